import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleKeyLog } from './session.ts';

// What the page's server would answer: the files under public/, by URL path.
const PUBLIC = path.resolve(import.meta.dirname, '../../../public');
const served = async (url: string) => {
  const file = path.join(PUBLIC, decodeURIComponent(new URL(url, 'http://x').pathname));
  return fs.existsSync(file) ? new Response(fs.readFileSync(file, 'utf8')) : new Response('', { status: 404 });
};

describe('TLS samples ship their key log', () => {
  it('loads keylog.txt for a TLS sample and nothing for a UDP one', async () => {
    expect(await sampleKeyLog('05-bye-new-tls-connection', served)).toContain('CLIENT_TRAFFIC_SECRET_0');
    expect(await sampleKeyLog('11-good-tls', served)).toContain('SERVER_TRAFFIC_SECRET_0');
    expect(await sampleKeyLog('01-missing-ack', served)).toBeNull();
  });
});
