import { describe, expect, it } from 'vitest';
import { endpoint, endpointKey } from './types.ts';

describe('endpoints', () => {
  it('gives a shared endpoint and a plain one the same key, IPv6 in brackets', () => {
    expect(endpointKey(endpoint('192.0.2.1', 5060))).toBe('192.0.2.1:5060');
    expect(endpointKey({ ip: '192.0.2.1', port: 5060 })).toBe('192.0.2.1:5060');
    expect(endpointKey(endpoint('2001:db8::1', 5061))).toBe('[2001:db8::1]:5061');
    expect(endpointKey({ ip: '2001:db8::1', port: 5061 })).toBe('[2001:db8::1]:5061');
    // One key string per endpoint, whichever way it is asked.
    expect(endpointKey(endpoint('192.0.2.1', 5060))).toBe(endpointKey({ ip: '192.0.2.1', port: 5060 }));
  });

  it('makes one endpoint per address and port, which JSON, a clone or a spread turn into { ip, port }', () => {
    const e = endpoint('198.51.100.7', 5080);
    expect(endpoint('198.51.100.7', 5080)).toBe(e);
    expect(endpoint('198.51.100.7', 5081)).not.toBe(e);
    // Its key is not a property: JSON, a structured clone (the worker's posts) and a spread see ip and port only.
    expect(JSON.stringify(e)).toBe('{"ip":"198.51.100.7","port":5080}');
    expect(Object.keys(e)).toEqual(['ip', 'port']);
    expect({ ...e }).toStrictEqual({ ip: '198.51.100.7', port: 5080 });
    expect(structuredClone(e)).toStrictEqual({ ip: '198.51.100.7', port: 5080 });
    expect(e).toEqual({ ip: '198.51.100.7', port: 5080 });
    expect(endpointKey(structuredClone(e))).toBe(endpointKey(e));
  });
});
