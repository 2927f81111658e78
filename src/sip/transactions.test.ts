import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { analyzeBytes } from '../engine/analyze.ts';
import { TransactionBuilder, TransactionTable } from './transactions.ts';

const root = path.resolve(import.meta.dirname, '../..');

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
  return out;
}

describe('TransactionTable: the transactions as columns once the model is built', () => {
  it('gives back every transaction exactly as the builder made it, field order included, on every sample and test capture', async () => {
    let transactions = 0;
    let files = 0;
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
      const table = new TransactionTable(tb.transactions);
      expect(table.length, file).toBe(tb.transactions.length);
      expect(JSON.stringify(table), file).toBe(JSON.stringify(tb.transactions));
      for (const t of tb.transactions) {
        expect(Array.from(table.requestsOf(t.id)), file).toEqual(t.requests);
        expect(table.cancelsOf(t.id), file).toBe(t.cancels);
      }
      transactions += tb.transactions.length;
      files++;
    }
    expect(files).toBeGreaterThan(20);
    expect(transactions).toBeGreaterThan(500);
  });

  it('answers nothing for an id it does not have', () => {
    const table = new TransactionTable([]);
    expect(table.at(0)).toBeUndefined();
    expect(table.at(-1)).toBeUndefined();
    expect(table.requestsOf(3)).toHaveLength(0);
    expect(table.cancelsOf(3)).toBeNull();
    expect(table.toArray()).toEqual([]);
  });
});
