import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeBytes } from '../engine/analyze.ts';
import { TransactionBuilder, TransactionTable } from './transactions.ts';

const root = path.resolve(import.meta.dirname, '../..');
/**
 * Per capture: how many transactions the builder makes of it and a digest of their JSON (every
 * field of every transaction, in order). Written from the builder of 2026-12-05, which kept one
 * object per transaction, before it wrote its columns directly; `SIPLADDER_UPDATE_DIGESTS=1`
 * writes it again when the transactions are meant to change.
 */
const DIGESTS = path.join(import.meta.dirname, 'golden/transactions.sha256.json');

/** Every capture of the public samples and the test corpus with SIP in it. */
function captures(): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, 'public/samples'))) out.push(path.join(root, 'public/samples', name, 'capture.pcap'));
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name));
      else if (/\.(pcap|pcapng|cap)$/.test(e.name)) out.push(path.join(dir, e.name));
    }
  };
  walk(path.join(root, 'test/captures'));
  return out.sort();
}

describe('TransactionTable: the transactions as columns once the model is built', () => {
  it('makes the same transactions of every sample and test capture as the builder that kept objects (count and digest of their JSON)', async () => {
    const want = JSON.parse(readFileSync(DIGESTS, 'utf8')) as Record<string, { transactions: number; sha256: string }>;
    const got: Record<string, { transactions: number; sha256: string }> = {};
    for (const file of captures()) {
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(file));
      } catch {
        continue;
      }
      const messages = await analyzeBytes(bytes, { keepParse: true }).then(
        (a) => a.messages,
        () => null, // not a capture this engine reads (the corpus keeps some on purpose)
      );
      if (messages === null) continue;
      const tb = new TransactionBuilder(messages.length);
      for (const c of messages) tb.add(c);
      tb.finish();
      const table = tb.table();
      const json = JSON.stringify(table);
      got[path.relative(root, file)] = { transactions: table.length, sha256: createHash('sha256').update(json).digest('hex').slice(0, 32) };
      // The field readers and the lists say what at() says.
      for (let id = 0; id < table.length; id++) {
        const t = table.at(id)!;
        expect(Array.from(table.requestsOf(id)), file).toEqual(t.requests);
        expect(table.cancelsOf(id), file).toBe(t.cancels);
        expect(table.finalStatusOf(id), file).toBe(t.finalStatus);
      }
    }
    if (process.env.SIPLADDER_UPDATE_DIGESTS === '1') writeFileSync(DIGESTS, JSON.stringify(got, null, 1) + '\n');
    expect(Object.keys(got).length).toBeGreaterThan(20);
    expect(Object.values(got).reduce((s, x) => s + x.transactions, 0)).toBeGreaterThan(500);
    expect(got).toEqual(want);
  });

  it('answers nothing for an id it does not have', () => {
    const table = TransactionTable.fromTransactions([]);
    expect(table.at(0)).toBeUndefined();
    expect(table.at(-1)).toBeUndefined();
    expect(table.requestsOf(3)).toHaveLength(0);
    expect(table.cancelsOf(3)).toBeNull();
    expect(table.toArray()).toEqual([]);
  });
});
