import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { decodeShareFragment, encodeShareFragment, linkSizeLevel } from './fragment.ts';
import { defaultSharedView, readSharedView, writeSharedView } from './view.ts';
import type { SharedView } from './view.ts';

function sampleView(): SharedView {
  const v = defaultSharedView();
  v.name = 'call.pcapng';
  v.calls = ['a84b4c76e66710@pc33.example.com', 'second-call'];
  v.message = 7;
  v.timeMode = 'delta';
  v.overlays = { findings: true, ghosts: false, connections: true, rtp: false };
  v.hosts = { names: { '10.0.0.1': 'PBX' }, groups: [['10.0.0.1', '10.0.0.2']], splitPorts: ['192.168.1.9'], order: ['10.0.0.1'], detached: [] };
  v.unfolded = [3];
  v.notes = [{ frame: 7, text: 'The 200 OK never reaches the phone — see the Contact.' }, { finding: 'contact-private-address@7', text: 'ALG?' }];
  v.findings = [{ kind: 'contact-private-address', frames: [7] }];
  v.rtp = [{ ssrc: 0x1234, kind: 'rtp', src: '10.0.0.1:4000', dst: '203.0.113.9:5000', payloadType: 0, packets: 500, bytes: 86000, lost: 2, sequenceGaps: 1, firstTime: '2024-05-01T12:00:00.000000Z', lastTime: '2024-05-01T12:00:10.000000Z', callId: 'second-call', sourceChanges: 0 }];
  v.meta = { anonymised: true, callIds: false, rtpPackets: false };
  return v;
}

describe('base64url', () => {
  it('round-trips every length mod 3 and every byte value', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 255, 256, 257, 10_000]) {
      const bytes = new Uint8Array(n).map((_, i) => (i * 37 + 11) & 255);
      const text = encodeBase64url(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      const back = decodeBase64url(text);
      expect(back.ok && back.value.problem).toBe(null);
      expect(back.ok && Array.from(back.value.bytes)).toEqual(Array.from(bytes));
    }
  });
  it('matches Node\'s base64url', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xfe, 0x00, 0x3e, 0x3f]);
    expect(encodeBase64url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
  });
  it('keeps the whole bytes before a bad character and says where', () => {
    const r = decodeBase64url('aGVsbG8gd29ybGQ$$$');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(new TextDecoder().decode(r.value.bytes)).toBe('hello world');
    expect(r.value.problem).toMatch(/position 15/);
  });
  it('garbage with nothing usable is an error, not a throw', () => {
    const r = decodeBase64url('%%%');
    expect(r.ok).toBe(false);
  });
});

describe('view state', () => {
  it('round-trips through the fragment', async () => {
    const v = sampleView();
    const frag = await encodeShareFragment(v, null);
    expect(frag.startsWith('sl=1&')).toBe(true);
    const r = await decodeShareFragment(`#${frag}`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.problems).toEqual([]);
    expect(r.value.view).toEqual(v);
    expect(r.value.capture).toBe(null);
  });

  // Each field, broken alone, falls back to its default while every other field survives.
  const breakers: Array<[string, keyof SharedView, string]> = [
    ['name', 'name', '42'],
    ['calls', 'calls', '"not a list"'],
    ['msg', 'message', '-3'],
    ['time', 'timeMode', '"sideways"'],
    ['ov', 'overlays', '[1,2]'],
    ['meta', 'meta', 'null'],
    ['hosts', 'hosts', '"x"'],
    ['unf', 'unfolded', '{"a":1}'],
    ['notes', 'notes', '7'],
    ['find', 'findings', 'true'],
    ['rtp', 'rtp', '"rtp"'],
  ];
  for (const [key, field, bad] of breakers) {
    it(`a bad "${key}" fails alone`, () => {
      const v = sampleView();
      const raw = new Map(writeSharedView(v));
      raw.set(key, bad);
      const { view, problems } = readSharedView(raw);
      expect(problems.map((p) => p.field)).toEqual([field]);
      expect(problems[0]!.message.length).toBeGreaterThan(5);
      const expected = { ...v, [field]: defaultSharedView()[field] };
      expect(view).toEqual(expected);
    });
  }

  it('drops one bad note and keeps the others', () => {
    const v = sampleView();
    const raw = new Map(writeSharedView(v));
    raw.set('notes', JSON.stringify([{ frame: 7, text: 'good' }, { frame: 'x', text: 'bad frame' }, { text: 'pinned to nothing' }, { finding: 'k@1', text: 'also good' }]));
    const { view, problems } = readSharedView(raw);
    expect(view.notes).toEqual([{ frame: 7, text: 'good' }, { finding: 'k@1', text: 'also good' }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toMatch(/^2 dropped/);
  });

  it('keeps the good overlay keys when one is wrong', () => {
    const raw = new Map(writeSharedView(sampleView()));
    raw.set('ov', JSON.stringify({ findings: false, ghosts: 'yes', rtp: false }));
    const { view, problems } = readSharedView(raw);
    expect(view.overlays).toEqual({ findings: false, ghosts: true, connections: true, rtp: false });
    expect(problems[0]!.message).toMatch(/ghosts/);
  });
});

describe('decoding bad links', () => {
  const garbage = ['', '#', '#hello', 'sl', '#sl=', '#sl=abc', '#sl=1&&&&==&', '#sl=1&calls=%E0%A4%A', '#sl=1&cap=', '#sl=1&cap=d.', '#sl=1&cap=x.abcd', '#sl=1&cap=d.!!!!', '#sl=1&cap=d.AAAAAAAAAAAAAAAA', `#sl=1&${'%'.repeat(1000)}`, '#sl=99&time=%22delta%22'];
  for (const g of garbage) {
    it(`never throws on ${JSON.stringify(g.slice(0, 30))}`, async () => {
      const r = await decodeShareFragment(g);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(10);
      else if (r.value.capture) expect(r.value.capture.complete || r.value.capture.problem !== null).toBe(true);
    });
  }
  it('a newer version still reads what it can, and says so', async () => {
    const r = await decodeShareFragment('#sl=99&time=%22delta%22');
    expect(r.ok && r.value.view.timeMode).toBe('delta');
    expect(r.ok && r.value.problems[0]!.message).toMatch(/newer sipladder/);
  });
  it('a link that is not a share link says what it should look like', async () => {
    const r = await decodeShareFragment('#/calls/3');
    expect(!r.ok && r.error).toMatch(/#sl=/);
  });

  it('a capture cut short keeps the view, recovers a prefix and says how much arrived', async () => {
    // 64 KiB of varied bytes so the compressed stream is long enough to cut in the middle.
    const capture = new Uint8Array(65536).map((_, i) => (i * 2654435761) >>> 24);
    const frag = await encodeShareFragment(sampleView(), capture);
    const full = await decodeShareFragment(frag);
    expect(full.ok && full.value.capture?.complete).toBe(true);
    expect(full.ok && Array.from(full.value.capture!.bytes.subarray(0, 100))).toEqual(Array.from(capture.subarray(0, 100)));
    const cut = frag.slice(0, Math.floor(frag.length * 0.6));
    const r = await decodeShareFragment(cut);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.view).toEqual(sampleView());
    const c = r.value.capture!;
    expect(c.complete).toBe(false);
    expect(c.problem).toMatch(/cut short: [\d,]+ of [\d,]+ characters/);
    expect(c.bytes.length).toBeGreaterThan(1000);
    expect(c.bytes.length).toBeLessThan(capture.length);
    expect(Array.from(c.bytes)).toEqual(Array.from(capture.subarray(0, c.bytes.length)));
  });

  it('a link cut inside the view state keeps the fields before the cut', async () => {
    const frag = await encodeShareFragment(sampleView(), new Uint8Array([1, 2, 3]));
    const at = frag.indexOf('&notes=') + 20;
    const r = await decodeShareFragment(frag.slice(0, at));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.view.calls).toEqual(sampleView().calls);
    expect(r.value.view.hosts).toEqual(sampleView().hosts);
    expect(r.value.view.notes).toEqual([]);
    expect(r.value.problems.map((p) => p.field)).toContain('notes');
  });
});

describe('link size levels', () => {
  it('follows the chat-tool limits', () => {
    expect(linkSizeLevel(1999)).toBe('ok');
    expect(linkSizeLevel(2001)).toBe('some-cut');
    expect(linkSizeLevel(8001)).toBe('most-cut');
    expect(linkSizeLevel(3_000_000)).toBe('too-long');
  });
});
