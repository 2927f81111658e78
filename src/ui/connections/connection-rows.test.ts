/**
 * The connections view's rows on real captures with no key log: lab sample 05 (a TLS call whose
 * BYE opens a new connection that the far side resets) and sngrep's tlssaved.pcap (TLS connections
 * captured mid-stream). Packet and byte counts are the ones tshark reads
 * (`tshark -Y tcp -T fields -e tcp.stream -e tcp.srcport -e tcp.len`, summed per side).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../../engine/analyze.ts';
import { connectionRows } from './connection-rows.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const read = async (rel: string) => (await analyzeBytes(new Uint8Array(readFileSync(path.join(root, rel))))).report;

describe('connectionRows', () => {
  it('sample 05 without its key log: who opened each connection, the TLS handshake, the RST, the encrypted bytes', async () => {
    const report = await read('public/samples/05-bye-new-tls-connection/capture.pcap');
    expect(report.calls).toHaveLength(0);
    expect(report.connections.map((c) => [c.packets, c.clientBytes, c.serverBytes])).toEqual([
      [16, 2234, 3694],
      [5, 297, 0],
    ]);
    const [a, b] = connectionRows(report);
    expect(a).toMatchObject({
      id: 1,
      transport: 'tls',
      endpoints: '203.0.113.20:54564 → 203.0.113.1:5061',
      opened: 'SYN by client, frame 3',
      tls: 'TLS 1.3',
      handshake: 'complete',
      closed: 'open at the end of the capture',
      carried: 'encrypted: client 2.2 KiB · server 3.6 KiB',
      sipMessages: 0,
    });
    expect(b).toMatchObject({
      id: 2,
      endpoints: '203.0.113.1:24351 → 203.0.113.20:5061',
      opened: 'SYN by client, frame 723',
      tls: 'handshake failed (offered TLS 1.3, TLS 1.2, TLS 1.1, TLS 1.0)',
      closed: 'RST by server, frame 730',
      carried: 'encrypted: client 297 B · server 0 B',
      bad: true,
    });
    // Both findings of the capture name connection #2; only the mid-dialog one names #1 too.
    expect(b!.findings.map((i) => report.findings[i]!.kind).sort()).toEqual(['new-connection-mid-dialog', 'tls-handshake-failed']);
    expect(b!.frames).toEqual([723, 729, 730]);
  });

  it('with the key log, the same connections carry SIP messages', async () => {
    const { report } = await analyzeBytes(new Uint8Array(readFileSync(path.join(root, 'public/samples/05-bye-new-tls-connection/capture.pcap'))), {
      keyLog: readFileSync(path.join(root, 'public/samples/05-bye-new-tls-connection/keylog.txt'), 'utf8'),
    });
    const [a] = connectionRows(report);
    expect(a!.sipMessages).toBeGreaterThan(0);
    expect(a!.carried).toMatch(new RegExp(`^${a!.sipMessages} SIP messages \\(client `));
  });

  it('tlssaved.pcap: connections seen mid-stream have no handshake and say so', async () => {
    const report = await read('test/captures/public/sngrep/tlssaved.pcap');
    const rows = connectionRows(report);
    expect(rows.length).toBe(2);
    for (const r of rows) {
      expect(r.opened).toMatch(/^open before the capture \(first seen frame \d+\)$/);
      expect(r.tls).toBe('no handshake in the capture (it started mid-connection)');
      expect(r.carried).toMatch(/^encrypted: client \d/);
    }
  });
});
