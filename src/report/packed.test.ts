import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import { analyzeMany } from '../engine/analyze-many.ts';
import { packAll, packedBuffers, Strings, unpackAll } from './packed.ts';
import type { Report } from './report.ts';

const root = path.resolve(import.meta.dirname, '../..');
const read = (p: string) => new Uint8Array(readFileSync(path.join(root, p)));
const samples = readdirSync(path.join(root, 'public/samples')).filter((d) => existsSync(path.join(root, 'public/samples', d, 'capture.pcap')));

/** The reports of every lab sample, odd public captures, and two captures aligned. */
async function reports(): Promise<Array<[string, Report]>> {
  const out: Array<[string, Report]> = [];
  for (const s of samples) out.push([s, (await analyzeBytes(read(`public/samples/${s}/capture.pcap`))).report]);
  for (const p of ['test/captures/public/ndpi/fuzz-2006-06-26-2594.pcap', 'test/captures/public/zeek/sip-junk-before-request.pcap', 'test/captures/public/sngrep/ipv6frag.pcap']) {
    if (existsSync(path.join(root, p))) out.push([p, (await analyzeBytes(read(p))).report]);
  }
  const dir = 'test/captures/alignment/binding-expired';
  const many = await analyzeMany([
    { name: 'wan', data: read(`${dir}/capture.pcap`) },
    { name: 'lan', data: read(`${dir}/capture-lan.pcap`) },
  ]);
  out.push(['two captures', many.report]);
  return out;
}

/** Across to the page as the worker posts it: the streams moved, the strings and shapes cloned. */
function across<T>(values: readonly T[]): T[] {
  const p = packAll(values);
  const crossed = structuredClone(p, { transfer: packedBuffers(p) });
  // Moved, not copied: the worker's streams are detached.
  expect(p.ops.byteLength).toBe(0);
  return unpackAll<T>(crossed);
}

describe('packed values (a report\'s calls and findings, worker → page)', () => {
  it('gives the calls and findings of real reports back exactly, as a structured clone would', async () => {
    const all = await reports();
    let calls = 0;
    let findings = 0;
    for (const [name, report] of all) {
      expect(across(report.calls), name).toStrictEqual(structuredClone(report.calls));
      expect(across(report.findings), name).toStrictEqual(structuredClone(report.findings));
      calls += report.calls.length;
      findings += report.findings.length;
    }
    // The corpus has calls and findings of every shape to check (dialogs, legs, evidence, media).
    expect(calls).toBeGreaterThan(30);
    expect(findings).toBeGreaterThan(30);
  });

  it('sends each distinct string once, and gives every field that held it the same value', async () => {
    const report = (await analyzeBytes(read('public/samples/01-missing-ack/capture.pcap'))).report;
    const copies = [report.calls[0]!, report.calls[0]!, report.calls[0]!];
    const p = packAll(copies);
    expect(new Set(p.strings).size).toBe(p.strings.length);
    // Three calls, one shape for them and one per nested object shape, no more.
    expect(p.shapes.length).toBe(packAll([report.calls[0]!]).shapes.length);
    const back = unpackAll<typeof copies[number]>(p);
    expect(back[2]).toStrictEqual(report.calls[0]);
    expect(back[0]).not.toBe(back[1]);
  });

  it('sends a string once per open: the later values refer to the strings the earlier ones brought', async () => {
    const report = (await analyzeBytes(read('public/samples/03-408-behind-nat/capture.pcap'))).report;
    const sender = new Strings();
    const receiver = new Strings();
    const calls = packAll(report.calls, sender);
    const findings = packAll(report.findings, sender);
    // The findings name their calls' Call-IDs: those are not sent again.
    for (const f of report.findings) if (f.callId !== null) expect(findings.strings).not.toContain(f.callId);
    expect(report.findings.some((f) => f.callId !== null)).toBe(true);
    expect(findings.stringsFrom).toBe(calls.strings.length);
    const crossedCalls = structuredClone(calls);
    const crossedFindings = structuredClone(findings);
    // Out of order, the table cannot resolve them: refused, not misread.
    expect(() => unpackAll(crossedFindings, new Strings())).toThrow(/strings start at/);
    expect(unpackAll(crossedCalls, receiver)).toStrictEqual(structuredClone(report.calls));
    expect(unpackAll(crossedFindings, receiver)).toStrictEqual(structuredClone(report.findings));
    expect(receiver.list).toEqual(sender.list);
  });

  it('keeps every number, undefined fields, nesting, and an own "__proto__" key', () => {
    const odd = { n: [0, -0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53, 0.1, -1e-300, NaN, Infinity, -Infinity], u: undefined, deep: [[[], {}], { a: null, b: true, c: false, d: '' }] };
    const evil = JSON.parse('{"__proto__": {"polluted": 1}, "x": "y"}') as Record<string, unknown>;
    const back = across([odd, evil, 'a string', 7, null]);
    expect(back[0]).toStrictEqual(odd);
    expect(Object.is((back[0] as typeof odd).n[1], -0)).toBe(true);
    expect('u' in (back[0] as object)).toBe(true);
    const e = back[1] as Record<string, unknown>;
    expect(Object.keys(e)).toEqual(['__proto__', 'x']);
    expect(Object.getPrototypeOf(e)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(back.slice(2)).toEqual(['a string', 7, null]);
  });

  it('grows its streams past their first size', () => {
    const long = Array.from({ length: 20_000 }, (_, k) => (k % 3 === 0 ? k + 0.5 : k % 3 === 1 ? `s${k % 50}` : { k }));
    const back = across([long]);
    expect(back[0]).toStrictEqual(long);
  });

  it('keeps a value written across many chunks of its streams, in order', () => {
    // ~1.2 M ints and ~300,000 doubles: several chunks of the largest size, and a last one part-full.
    const long = Array.from({ length: 300_000 }, (_, k) => [k, k + 0.25]);
    const p = packAll([long, 'end']);
    expect(p.ops.length).toBeGreaterThan(4 * (1 << 18));
    expect(p.nums.length).toBe(300_000);
    const back = unpackAll<unknown>(p);
    expect(back[0]).toStrictEqual(long);
    expect(back[1]).toBe('end');
  });

  it('refuses what it cannot give back the same (rather than change it quietly)', () => {
    expect(() => packAll([new Map()])).toThrow(/Map/);
    expect(() => packAll([{ at: new Date(0) }])).toThrow(/Date/);
    expect(() => packAll([new Uint8Array(2)])).toThrow(/Uint8Array/);
    expect(() => packAll([() => 1])).toThrow(/function/);
    let deep: unknown = 1;
    for (let k = 0; k < 100; k++) deep = [deep];
    expect(() => packAll([deep])).toThrow(/deeper/);
  });

  it('refuses streams that do not match their counts', () => {
    const p = packAll([{ a: 1 }, [2, 3]]);
    expect(() => unpackAll({ ...p, count: 1 })).toThrow(/end/);
    expect(() => unpackAll({ ...p, ops: Int32Array.from([99]) , count: 1 })).toThrow(/unknown op/);
  });
});
