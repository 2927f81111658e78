import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeBytes } from '../engine/analyze.ts';
import { applySharedView } from './apply.ts';
import { buildBundle } from './bundle.ts';
import { decodeShareFragment, encodeShareFragment } from './fragment.ts';
import { scanBytes } from './scan.ts';

const PUBLIC = path.resolve(import.meta.dirname, '../../test/captures/public');

describe('applying a shared view', () => {
  it('restores calls, selection, notes and layout on the re-analysed capture, and names what a cut link lost', async () => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(PUBLIC, 'heplify/sip_ipv4_tcp.pcap')));
    const a = await analyzeBytes(bytes);
    const call = a.report.calls[0]!.callId;
    const last = a.report.messages.at(-1)!;
    const src = a.report.messages[0]!.src.split(':')[0]!;
    const b = await buildBundle(
      { report: a.report, messages: a.messages, scan: scanBytes(bytes) },
      {
        selectedCalls: [call],
        selectedMessage: last.index,
        hosts: { names: { [src]: 'Phone' }, groups: [], splitPorts: [], order: [src] },
        timeMode: 'delta',
        overlays: { findings: true, ghosts: false, connections: true, rtp: true },
        unfolded: [],
        annotations: { 0: 'starts here', [last.index]: 'ends here' },
      },
      { anonymise: true, callIds: true, rtpPackets: false },
    );
    const frag = await encodeShareFragment(b.view, b.capture);
    const full = await decodeShareFragment(frag);
    if (!full.ok) throw new Error(full.error);
    const again = await analyzeBytes(full.value.capture!.bytes);
    const { view, dropped } = applySharedView(full.value.view, again.report);
    expect(dropped).toEqual([]);
    expect(view.selectedCalls).toEqual([again.report.calls[0]!.callId]);
    const chosen = again.report.messages[view.selectedMessage!]!;
    expect([chosen.method, chosen.status, chosen.cseq]).toEqual([last.method, last.status, last.cseq]);
    expect(Object.values(view.annotations)).toEqual(['starts here', 'ends here']);
    expect(Object.keys(view.annotations).map(Number)).toEqual([0, again.report.messages.length - 1]);
    expect(view.timeMode).toBe('delta');
    expect(view.overlays.ghosts).toBe(false);
    expect(Object.values(view.hosts.names)).toEqual(['Phone']);
    expect(again.report.messages.some((m) => m.src.startsWith(`${view.hosts.order[0]}:`))).toBe(true);

    // Cut the link: the view survives; what did not arrive is named.
    const cut = await decodeShareFragment(frag.slice(0, frag.length - Math.floor((frag.length - frag.indexOf('&cap=')) * 0.5)));
    if (!cut.ok) throw new Error(cut.error);
    const partial = await analyzeBytes(cut.value.capture!.bytes);
    const applied = applySharedView(cut.value.view, partial.report);
    expect(applied.dropped.join('; ')).toMatch(/did not arrive/);
    expect(applied.view.timeMode).toBe('delta');
  });
});
