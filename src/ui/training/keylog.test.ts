import { describe, expect, it } from 'vitest';
import { sampleKeyLog } from './session.ts';

describe('TLS samples ship their key log', () => {
  it('loads keylog.txt for a TLS sample and nothing for a UDP one', async () => {
    expect(await sampleKeyLog('05-bye-new-tls-connection')).toContain('CLIENT_TRAFFIC_SECRET_0');
    expect(await sampleKeyLog('11-good-tls')).toContain('SERVER_TRAFFIC_SECRET_0');
    expect(await sampleKeyLog('01-missing-ack')).toBeNull();
  });
});
