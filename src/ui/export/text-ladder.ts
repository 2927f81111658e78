/**
 * Text exports of a ladder layout, for tickets and docs: a plain-text ladder (monospace, one
 * line per arrow, findings and ghost arrows as annotated lines — like sngrep's call flow) and a
 * Mermaid sequence diagram. Pure functions of the layout (the same one the screen draws), so the
 * host names, merges, order, folding and overlays the user set carry over.
 */
import type { Finding } from '../../report/report.ts';
import { fullEndpoint } from '../../view/format.ts';
import type { LadderLayout } from '../ladder/layout.ts';

export interface TextOptions {
  findings?: readonly Finding[];
  /** Call-IDs shown, for the heading. */
  callIds?: readonly string[];
}

function fit(s: string, w: number): string {
  return s.length <= w ? s : `${s.slice(0, Math.max(0, w - 1))}…`;
}

function center(s: string, w: number, fill: string): string {
  const t = fit(s, w);
  const left = Math.floor((w - t.length) / 2);
  return fill.repeat(left) + t + fill.repeat(w - t.length - left);
}

/** The ladder as plain text. */
export function textLadder(layout: LadderLayout, opts: TextOptions = {}): string {
  const cols = layout.columns;
  const n = cols.length;
  const labelMax = Math.max(12, ...layout.rows.map((r) => (r.kind === 'message' ? Math.max(r.label.length + (r.message.hasSdp ? 6 : 0) + (r.count > 1 ? 4 : 0), r.ghost ? r.ghost.label.length : 0) : r.label.length)));
  const colW = Math.min(48, Math.max(16, labelMax + 8, ...cols.map((c) => c.label.length + 3)));
  const timeW = Math.max(10, ...layout.rows.map((r) => r.time.length)) + 1;
  const frameW = Math.max(5, ...layout.rows.map((r) => (r.kind === 'message' ? String(r.message.frame).length + 1 : 0))) + 1;
  const gutter = timeW + frameW;
  const pos = (i: number): number => gutter + Math.floor(colW / 2) + i * colW;
  const width = gutter + n * colW;
  const blank = (): string[] => {
    const line = Array<string>(width).fill(' ');
    for (let i = 0; i < n; i++) line[pos(i)] = '|';
    return line;
  };
  const put = (line: string[], at: number, s: string): void => {
    for (let i = 0; i < s.length && at + i < line.length; i++) if (at + i >= 0) line[at + i] = s[i]!;
  };
  const out: string[] = [];
  if (opts.callIds?.length) out.push(`Call-ID: ${opts.callIds.join(', ')}`);
  // Header: names, then addresses.
  const h1 = Array<string>(width).fill(' ');
  const h2 = Array<string>(width).fill(' ');
  put(h1, 0, 'time');
  put(h1, timeW, 'frame');
  cols.forEach((c, i) => {
    const name = fit(c.label, colW - 1);
    put(h1, pos(i) - Math.floor(name.length / 2), name);
    const addr = fit(c.keys.length > 1 ? `${c.keys.length} addresses` : fullEndpoint(c.endpoints[0] ?? c.keys[0] ?? ''), colW - 1);
    if (addr !== name) put(h2, pos(i) - Math.floor(addr.length / 2), addr);
  });
  out.push(h1.join('').trimEnd(), h2.join('').trimEnd(), blank().join('').trimEnd());

  const arrow = (line: string[], a: number, b: number, label: string, fill: string, headR: string, headL: string): void => {
    if (a === b) {
      put(line, pos(a) + 1, `${fill}${fill}+ ${label} (to itself)`);
      return;
    }
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    const span = pos(hi) - pos(lo) - 1;
    const body = center(` ${label} `, span - 1, fill);
    put(line, pos(lo) + 1, b > a ? body + headR : headL + body);
  };

  for (const r of layout.rows) {
    const line = blank();
    put(line, 0, r.time);
    if (r.kind === 'message') {
      put(line, timeW, `#${r.message.frame}`);
      const label = `${r.label}${r.message.hasSdp ? ' (SDP)' : ''}${r.count > 1 ? ` x${r.count}` : ''}`;
      arrow(line, r.from, r.to, label, r.isRetransmission ? '.' : '-', '>', '<');
      out.push(line.join('').trimEnd());
      for (const fi of r.findings) {
        const f = opts.findings?.[fi];
        if (!f) continue;
        const l2 = blank();
        put(l2, timeW, `  [${f.severity.toUpperCase()}] ${f.title}`);
        out.push(l2.join('').trimEnd());
      }
      if (r.ghost) {
        const l3 = blank();
        put(l3, timeW, 'ghost');
        arrow(l3, r.ghost.from, r.ghost.to, r.ghost.label, ' ', '>', '<');
        out.push(l3.join('').trimEnd());
      }
    } else {
      arrow(line, r.from, r.to, r.label, '=', '>', '<');
      out.push(line.join('').trimEnd());
    }
  }
  for (const l of layout.lanes) out.push(`connection ${l.summary}`);
  return out.join('\n') + '\n';
}

/**
 * Mermaid-safe text. Capture text (addresses, reasons, titles naming header values) is untrusted:
 * every character Mermaid or the HTML it renders could read as markup or syntax (`<>&"'` `` ` ``,
 * `#;` entity syntax, `%` comments, `{}`, `\\`, controls and bidi overrides) is written as
 * a Mermaid entity code `#NN;` (decimal), which Mermaid shows as the character itself. Line
 * breaks and other whitespace runs become one space.
 */
const MERMAID_MARKUP = new Set(['<', '>', '&', '"', "'", '`', '#', ';', '%', '{', '}', '\\']);
function mermaidUnsafe(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return MERMAID_MARKUP.has(ch) || c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}
function mm(s: string): string {
  let out = '';
  for (const ch of s.replace(/\s+/g, ' ').trim()) out += mermaidUnsafe(ch) ? `#${ch.charCodeAt(0)};` : ch;
  return out;
}

/** The ladder as a Mermaid sequence diagram. */
export function mermaidLadder(layout: LadderLayout, opts: TextOptions = {}): string {
  const out = ['sequenceDiagram'];
  layout.columns.forEach((c, i) => {
    const addr = c.keys.length > 1 ? c.keys.map(fullEndpoint).join(', ') : fullEndpoint(c.endpoints[0] ?? c.keys[0] ?? '');
    const named = c.renamed || !(addr.startsWith(c.label) || c.label.includes('…') || c.label.includes(' +'));
    const alias = named ? `${c.label} (${addr})` : addr;
    out.push(`  participant H${i} as ${mm(alias)}`);
  });
  for (const r of layout.rows) {
    const a = `H${r.from}`;
    const b = `H${r.to}`;
    if (r.kind === 'rtp') {
      out.push(`  ${a}-)${b}: ${mm(r.label)}`);
      continue;
    }
    const m = r.message;
    const label = `${r.label}${m.hasSdp ? ' (SDP)' : ''}${r.count > 1 ? ` x${r.count}` : ''}${r.isRetransmission ? ' (retransmission)' : ''}`;
    out.push(`  ${a}${m.status !== undefined ? '-->>' : '->>'}${b}: ${mm(`${label} [frame ${m.frame}]`)}`);
    for (const fi of r.findings) {
      const f = opts.findings?.[fi];
      if (f) out.push(`  Note over ${r.from === r.to ? a : `${a},${b}`}: ${mm(`${f.severity.toUpperCase()}: ${f.title}`)}`);
    }
    if (r.ghost) out.push(`  H${r.ghost.from}--xH${r.ghost.to}: ${mm(r.ghost.label)}`);
  }
  return out.join('\n') + '\n';
}
