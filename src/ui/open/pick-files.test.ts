import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { looksLikeKeyLog, pickFiles } from './pick-files.ts';

const SAMPLE = path.resolve(import.meta.dirname, '../../../public/samples/05-bye-new-tls-connection');

describe('telling a key log from a capture', () => {
  it('recognises the lab key log by its content, and not SIP text or a capture', () => {
    expect(looksLikeKeyLog(readFileSync(path.join(SAMPLE, 'keylog.txt'), 'utf8'))).toBe(true);
    expect(looksLikeKeyLog('# comment\nCLIENT_RANDOM 0a1b 2c3d\n')).toBe(true);
    expect(looksLikeKeyLog('INVITE sip:a@b SIP/2.0\r\n')).toBe(false);
    expect(looksLikeKeyLog('')).toBe(false);
    expect(looksLikeKeyLog(readFileSync(path.join(SAMPLE, 'capture.pcap'), 'latin1'))).toBe(false);
  });

  it('picks the capture and the key log whatever their order and names', async () => {
    const cap = new File([readFileSync(path.join(SAMPLE, 'capture.pcap'))], 'trace.bin');
    const log = new File([readFileSync(path.join(SAMPLE, 'keylog.txt'))], 'secrets');
    const picked = await pickFiles([log, cap]);
    expect(picked.capture?.name).toBe('trace.bin');
    expect(picked.keyLogName).toBe('secrets');
    expect(picked.keyLog).toContain('CLIENT_TRAFFIC_SECRET_0');
    expect((await pickFiles([cap])).keyLog).toBeNull();
  });
});
