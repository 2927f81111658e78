/**
 * TCP/TLS detectors on captures built from bytes (Ethernet/IPv4/TCP with real handshakes, FIN,
 * RST, TLS records) and run through the whole engine: new-connection-mid-dialog,
 * tls-handshake-failed, connection-closed-mid-dialog. Each failing capture has a healthy twin.
 *
 * Field note 000: an SBC 203.0.113.20 calls a far end reachable at 203.0.113.1:5060 (TCP). The
 * SBC's Contact has no port, so the far end sends its BYE on a new connection to port 5060 of the
 * SBC, which resets it.
 */
import { describe, expect, it } from 'vitest';
import { Capture, alarms, appData, changeCipherSpec, clientHello, serverHello, sipMsg } from '../testing/capture.ts';
import type { TcpConn } from '../testing/capture.ts';

const SBC = '203.0.113.20:40000';
const FAR = '203.0.113.1:5060';
const CALL = 'conn-1@203.0.113.20';

const hdr = (cseq: string, toTag: boolean, fromFar = false) =>
  fromFar
    ? ['From: <sip:bob@example.com>;tag=b1', 'To: <sip:sbc@example.com>;tag=s1', `Call-ID: ${CALL}`, `CSeq: ${cseq}`]
    : ['From: <sip:sbc@example.com>;tag=s1', `To: <sip:bob@example.com>${toTag ? ';tag=b1' : ''}`, `Call-ID: ${CALL}`, `CSeq: ${cseq}`];

/** INVITE / 200 OK / ACK on the SBC's connection; returns the frame of the INVITE. */
function call(c: Capture, conn: TcpConn, sbcContact: string): number {
  conn.open(0);
  const inv = c.next;
  conn.send(0.01, true, sipMsg(['INVITE sip:bob@203.0.113.1:5060;transport=tcp SIP/2.0', 'Via: SIP/2.0/TCP 203.0.113.20:40000;branch=z9hG4bKi1', 'Max-Forwards: 70', ...hdr('1 INVITE', false), `Contact: ${sbcContact}`]));
  conn.send(0.5, false, sipMsg(['SIP/2.0 200 OK', 'Via: SIP/2.0/TCP 203.0.113.20:40000;branch=z9hG4bKi1', ...hdr('1 INVITE', true), 'Contact: <sip:bob@203.0.113.1:5060;transport=tcp>']));
  conn.send(0.51, true, sipMsg(['ACK sip:bob@203.0.113.1:5060;transport=tcp SIP/2.0', 'Via: SIP/2.0/TCP 203.0.113.20:40000;branch=z9hG4bKa1', 'Max-Forwards: 70', ...hdr('1 ACK', true)]));
  return inv;
}

const byeText = (host: string) =>
  sipMsg([`BYE sip:sbc@${host};transport=tcp SIP/2.0`, 'Via: SIP/2.0/TCP 203.0.113.1:41000;branch=z9hG4bKb1', 'Max-Forwards: 70', ...hdr('2 BYE', true, true)]);
const byeOk = sipMsg(['SIP/2.0 200 OK', 'Via: SIP/2.0/TCP 203.0.113.1:41000;branch=z9hG4bKb1', ...hdr('2 BYE', true, true)]);

describe('new-connection-mid-dialog', () => {
  it('is an error when the BYE opens a second connection that is reset', async () => {
    const c = new Capture();
    const conn = c.tcp(SBC, FAR);
    const inv = call(c, conn, '<sip:sbc@203.0.113.20;transport=tcp>');
    const second = c.tcp('203.0.113.1:41000', '203.0.113.20:5060');
    const syn = c.next;
    second.open(10);
    const byeFrame = c.next;
    second.send(10.01, true, byeText('203.0.113.20'));
    const rst = c.next;
    second.rst(10.02, false);
    conn.fin(40, true);
    const a = await c.analyze();
    const f = a.report.findings.filter((x) => x.kind === 'new-connection-mid-dialog');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', callId: CALL });
    expect(f[0]!.frames).toEqual(expect.arrayContaining([syn, byeFrame, rst]));
    expect(f[0]!.explanation).toContain('203.0.113.1:41000 → 203.0.113.20:5060');
    expect(f[0]!.explanation).toContain('203.0.113.20:40000 → 203.0.113.1:5060');
    // The Contact without a port is named as the cause of the default port.
    const cmp = a.report.findings.filter((x) => x.kind === 'contact-missing-port');
    expect(cmp).toHaveLength(1);
    expect(cmp[0]).toMatchObject({ severity: 'error', callId: CALL });
    expect(cmp[0]!.frames).toEqual(expect.arrayContaining([inv, syn]));
    expect(cmp[0]!.explanation).toContain('<sip:sbc@203.0.113.20;transport=tcp>');
  });

  it('stays silent when the BYE reuses the call\'s connection', async () => {
    const c = new Capture();
    const conn = c.tcp(SBC, FAR);
    call(c, conn, '<sip:sbc@203.0.113.20:40000;transport=tcp>');
    conn.send(10, false, byeText('203.0.113.20:40000'));
    conn.send(10.01, true, byeOk);
    conn.fin(11, true);
    const a = await c.analyze();
    expect(alarms(a.report.findings)).toEqual([]);
    expect(a.report.findings.filter((x) => x.kind === 'new-connection-mid-dialog')).toEqual([]);
  });
});

describe('connection-closed-mid-dialog', () => {
  it('is an error when the call\'s connection is closed and the BYE then cannot get through', async () => {
    const c = new Capture();
    const conn = c.tcp(SBC, FAR);
    call(c, conn, '<sip:sbc@203.0.113.20:40000;transport=tcp>');
    const fin = c.next;
    conn.fin(10, true); // the SBC closes the idle connection while the call is up
    conn.fin(10.001, false);
    // The far end must open a new connection for its BYE; the SBC's firewall resets it.
    const second = c.tcp('203.0.113.1:41000', '203.0.113.20:40000');
    second.open(20);
    const byeFrame = c.next;
    second.send(20.01, true, byeText('203.0.113.20:40000'));
    second.rst(20.02, false);
    const a = await c.analyze();
    const f = a.report.findings.filter((x) => x.kind === 'connection-closed-mid-dialog');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', callId: CALL });
    expect(f[0]!.frames).toEqual(expect.arrayContaining([fin, byeFrame]));
    expect(f[0]!.explanation).toContain('203.0.113.20:40000 → 203.0.113.1:5060');
    expect(f[0]!.explanation).toContain(`frame ${fin}`);
  });

  it('stays silent when the connection outlives the call', async () => {
    const c = new Capture();
    const conn = c.tcp(SBC, FAR);
    call(c, conn, '<sip:sbc@203.0.113.20:40000;transport=tcp>');
    conn.send(10, false, byeText('203.0.113.20:40000'));
    conn.send(10.01, true, byeOk);
    conn.fin(30, true);
    conn.fin(30.001, false);
    expect(await c.findings('connection-closed-mid-dialog')).toEqual([]);
  });
});

/** A complete TLS 1.2 handshake and one application record each way. */
function tlsUp(conn: TcpConn, at: number, sni?: string): void {
  conn.open(at);
  conn.send(at + 0.01, true, clientHello(sni));
  conn.send(at + 0.02, false, serverHello());
  conn.send(at + 0.03, true, changeCipherSpec());
  conn.send(at + 0.04, false, changeCipherSpec());
  conn.send(at + 0.05, true, appData());
  conn.send(at + 0.06, false, appData());
}

describe('tls-handshake-failed', () => {
  it('is an error when a second TLS connection to the SBC is reset before any ServerHello (no SNI)', async () => {
    const c = new Capture();
    const call1 = c.tcp('203.0.113.20:40000', '203.0.113.1:5061');
    tlsUp(call1, 0, 'far.example.com');
    const second = c.tcp('203.0.113.1:41000', '203.0.113.20:5061');
    const syn = c.next;
    second.open(10);
    const hello = c.next;
    second.send(10.01, true, clientHello());
    const rst = c.next;
    second.rst(10.02, false);
    call1.send(30, true, appData());
    const a = await c.analyze();
    const f = a.report.findings.filter((x) => x.kind === 'tls-handshake-failed');
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('error');
    expect(f[0]!.frames).toEqual(expect.arrayContaining([syn, hello, rst]));
    expect(f[0]!.title).toContain('203.0.113.20:5061');
    expect(f[0]!.explanation).toContain('no SNI');
    expect(f[0]!.explanation).toContain('before any ServerHello');
    // Seen at connection level: a new connection while one between the two hosts was open.
    const n = a.report.findings.filter((x) => x.kind === 'new-connection-mid-dialog');
    expect(n.map((x) => x.severity)).toEqual(['error']);
  });

  it('stays silent for a completed handshake', async () => {
    const c = new Capture();
    const conn = c.tcp('203.0.113.20:40000', '203.0.113.1:5061');
    tlsUp(conn, 0, 'far.example.com');
    conn.send(30, true, appData());
    const a = await c.analyze();
    expect(a.report.connections[0]?.tls?.handshake).toBe('complete');
    expect(alarms(a.report.findings)).toEqual([]);
    expect(a.report.findings.filter((x) => x.kind === 'tls-handshake-failed')).toEqual([]);
  });
});

/**
 * Many connections in one dialog (a UA that opens a new connection for every in-dialog request):
 * each finding names at most the eight oldest earlier or later connections and says how many
 * more, while judging by all of them — an open one far down the list still makes the new one a
 * needless connection, a failed one far down still makes the teardown an error.
 */
describe('a dialog with more connections than a finding names', () => {
  const info = (i: number, port: number) =>
    sipMsg([`INFO sip:bob@203.0.113.1:5060;transport=tcp SIP/2.0`, `Via: SIP/2.0/TCP 203.0.113.20:${port};branch=z9hG4bKinfo${i}`, 'Max-Forwards: 70', ...hdr(`${i + 2} INFO`, true)]);
  const infoOk = (i: number, port: number) => sipMsg(['SIP/2.0 200 OK', `Via: SIP/2.0/TCP 203.0.113.20:${port};branch=z9hG4bKinfo${i}`, ...hdr(`${i + 2} INFO`, true)]);

  it('judges each new connection against every earlier one, open or closed', async () => {
    const c = new Capture();
    const first = c.tcp(SBC, FAR);
    call(c, first, '<sip:sbc@203.0.113.20:40000;transport=tcp>');
    first.fin(1, true); // the call's own connection closes early
    first.fin(1.001, false);
    // Twelve INFOs, each on a new connection; the first eleven close after their answer except
    // the tenth, which stays open: the twelfth is opened while it (the 11th connection) is open.
    for (let i = 0; i < 12; i++) {
      const port = 42000 + i;
      const conn = c.tcp(`203.0.113.20:${port}`, FAR);
      conn.open(2 + i);
      conn.send(2 + i + 0.01, true, info(i, port));
      conn.send(2 + i + 0.02, false, infoOk(i, port));
      if (i !== 9 && i !== 11) {
        conn.fin(2 + i + 0.5, true);
        conn.fin(2 + i + 0.501, false);
      }
    }
    const a = await c.analyze();
    const conns = a.report.connections;
    expect(conns).toHaveLength(13);
    const f = a.report.findings.filter((x) => x.kind === 'new-connection-mid-dialog');
    expect(f).toHaveLength(12);
    for (const x of f) {
      const id = x.connections![0]!;
      const me = conns.find((k) => k.id === id)!;
      // By brute force (frames are in time order here): every connection of the dialog opened
      // before this one, and those still open then.
      const earlier = conns.filter((k) => k.openedFrame < me.openedFrame).sort((p, q) => p.id - q.id);
      const open = earlier.filter((k) => k.closedFrame === null || k.closedFrame > me.openedFrame);
      expect(x.connections!.slice(1), `connection #${id}`).toEqual(earlier.slice(0, 8).map((k) => k.id));
      if (open.length > 0) {
        expect(x.explanation).toContain('was still open');
        expect(x.explanation).toContain(`connection #${open[0]!.id} `);
      } else expect(x.explanation).toContain(`had been closed at frame ${earlier[0]!.closedFrame}`);
    }
    const last = f.find((x) => x.connections![0] === conns[12]!.id)!;
    expect(last.explanation).toContain(`#${conns[10]!.id} 203.0.113.20:42009`); // the open one, eleventh of twelve earlier
  });

  it('counts every later failed connection when the call\'s connection closed mid-call', async () => {
    const c = new Capture();
    const first = c.tcp(SBC, FAR);
    call(c, first, '<sip:sbc@203.0.113.20:40000;transport=tcp>');
    first.fin(10, true);
    first.fin(10.001, false);
    // The far end tries its BYE on eleven new connections; the SBC resets each.
    for (let i = 0; i < 11; i++) {
      const conn = c.tcp(`203.0.113.1:${41000 + i}`, '203.0.113.20:40000');
      conn.open(20 + i);
      conn.send(20 + i + 0.01, true, byeText('203.0.113.20:40000'));
      conn.rst(20 + i + 0.02, false);
    }
    const a = await c.analyze();
    const f = a.report.findings.filter((x) => x.kind === 'connection-closed-mid-dialog');
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('error');
    const later = a.report.connections.slice(1).map((k) => k.id);
    expect(f[0]!.connections).toEqual([a.report.connections[0]!.id, ...later.slice(0, 8)]);
    expect(f[0]!.explanation).toContain(`(#${later.slice(0, 8).join(', #')} and 3 more) failed`);
  });
});
