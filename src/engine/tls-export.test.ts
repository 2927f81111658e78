/**
 * A pcapng export of a call carried over TLS stays readable without the key log beside it: the
 * whole TLS connection goes in, and a Decryption Secrets Block with that connection's key-log
 * lines (lab sample 05: kamailio/sipp over TLS 1.3, key log from the OpenSSL callback).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openContainer } from '../capture/sniff.ts';
import { DSB_TLS_KEY_LOG } from '../capture/keylog.ts';
import { analyzeBytes } from './analyze.ts';
import { extractFrames } from './extract.ts';
import { clientHelloRandom, tlsKeysFor } from './tls-export.ts';

const DIR = path.resolve(import.meta.dirname, '../../public/samples/05-bye-new-tls-connection');
const bytes = new Uint8Array(readFileSync(path.join(DIR, 'capture.pcap')));
const keyLog = readFileSync(path.join(DIR, 'keylog.txt'), 'utf8');

/** The Decryption Secrets Blocks of a pcapng, as text. */
function secretsOf(pcapng: Uint8Array): string[] {
  const out: string[] = [];
  const reader = openContainer(pcapng, {
    packet() {},
    warning() {},
    secrets(type: number, data: Uint8Array) {
      if (type === DSB_TLS_KEY_LOG) out.push(new TextDecoder().decode(data));
    },
  });
  if ('error' in reader) throw new Error(reader.error);
  reader.push(pcapng);
  reader.end();
  return out;
}

describe('pcapng export of SIP over TLS', async () => {
  const full = (await analyzeBytes(bytes, { keyLog })).report;
  const call = full.calls[0]!;
  const msgs = full.messages.filter((m) => m.callId === call.callId);
  const frames = new Set<number>(msgs.flatMap((m) => m.frames));
  for (const c of full.connections) if (c.messageFrames.some((f) => frames.has(f))) frames.add(c.openedFrame);
  const conn = full.connections.find((c) => c.messageFrames.length > 0)!;
  const other = full.connections.find((c) => c !== conn && c.tls !== null)!;

  it('re-reads as the same SIP messages, with no key log given', async () => {
    const tls = tlsKeysFor(full, frames, keyLog);
    expect(tls).toBeDefined();
    const out = await extractFrames(new Blob([bytes]), frames, 'pcapng', {}, tls);
    const again = (await analyzeBytes(out)).report;
    expect(again.messages.map((m) => m.startLine)).toEqual(msgs.map((m) => m.startLine));
    expect(again.messages.every((m) => m.transport === 'tls')).toBe(true);
    // Without the connection's other records and the keys, nothing of it can be read.
    const bare = await extractFrames(new Blob([bytes]), frames, 'pcapng');
    expect((await analyzeBytes(bare)).report.messages).toHaveLength(0);
  });

  it("carries only the exported connection's key-log lines", async () => {
    // A key log usually holds other sessions too: add one that is in no exported connection.
    const foreign = `CLIENT_RANDOM ${'ab'.repeat(32)} ${'cd'.repeat(48)}`;
    const out = await extractFrames(new Blob([bytes]), frames, 'pcapng', {}, tlsKeysFor(full, frames, `# lab key log\n${keyLog}${foreign}\n`));
    const [dsb, ...more] = secretsOf(out);
    expect(more).toHaveLength(0);
    const lines = dsb!.trim().split('\n');
    expect(lines).not.toContain(foreign);
    expect(lines.some((l) => l.startsWith('#'))).toBe(false);
    // Every line of the exported connection's session, and only those.
    const randoms = new Set(lines.map((l) => l.split(' ')[1]));
    expect(randoms.size).toBe(1);
    expect(lines).toEqual(keyLog.trim().split('\n').filter((l) => randoms.has(l.split(' ')[1])));
    expect(lines.length).toBe(10);
    // The other TLS connection of the capture (the BYE's, reset before its handshake finished)
    // has no keys at all, and its frames are not in the file.
    const again = (await analyzeBytes(out)).report;
    expect(again.connections.map((c) => c.client)).toEqual([conn.client]);
    expect(other.tls?.clientHelloFrame).not.toBeNull();
  });

  it('is decrypted by tshark from the file alone', async () => {
    if (spawnSync('tshark', ['--version']).status !== 0) return;
    const out = await extractFrames(new Blob([bytes]), frames, 'pcapng', {}, tlsKeysFor(full, frames, keyLog));
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'sipladder-tls-')), 'call.pcapng');
    writeFileSync(file, out);
    const shown = execFileSync('tshark', ['-r', file, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Method', '-e', 'sip.Status-Code'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n')
      .map((l) => l.split('\t').filter(Boolean).join(''));
    expect(shown).toEqual(msgs.map((m) => m.method ?? String(m.status)));
  });

  it('leaves a connection that also carried messages outside the export as it was', () => {
    const without = new Set(frames);
    without.delete(msgs[msgs.length - 1]!.frame); // as if the last message belonged to another call
    expect(tlsKeysFor(full, without, keyLog)).toBeUndefined();
    expect(tlsKeysFor(full, frames, '')).toBeUndefined();
  });

  it('reads the ClientHello random only from a ClientHello record', () => {
    const hello = new Uint8Array(60);
    hello.set([22, 3, 1, 0, 55, 1, 0, 0, 51, 3, 3]);
    for (let i = 0; i < 32; i++) hello[11 + i] = i;
    expect(clientHelloRandom(hello)).toBe([...Array(32).keys()].map((i) => i.toString(16).padStart(2, '0')).join(''));
    hello[5] = 2; // ServerHello
    expect(clientHelloRandom(hello)).toBeNull();
    expect(clientHelloRandom(hello.subarray(0, 40))).toBeNull();
  });
});
