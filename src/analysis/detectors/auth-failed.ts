/**
 * auth-failed: digest authentication fails (RFC 3261 §22, RFC 8760). A request was challenged
 * (401 WWW-Authenticate / 407 Proxy-Authenticate), sent again with credentials (Authorization /
 * Proxy-Authorization), and then refused with 403 Forbidden, or challenged once more without
 * `stale=true` (a stale nonce is a normal re-challenge, §22.4 / RFC 2617 §3.2.1). One finding per
 * Call-ID, naming the user name and realm the credentials were for.
 */
import type { Detector } from '../detector.ts';
import type { Finding } from '../../report/report.ts';
import type { Msg } from '../lib/flow.ts';
import { getFlow, responsesTo } from '../lib/flow.ts';
import { headerValue } from '../../sip/modelutil.ts';
import { framesText, plural, uniqFrames } from '../lib/text.ts';

/**
 * The credentials a request carried. The flow says first whether it has any (most requests carry
 * none, and the flow keeps no header values: a message is parsed again to read one).
 */
const credentials = (x: Msg): string | null => (x.hasCredentials ? (headerValue(x.sip, 'Authorization') ?? headerValue(x.sip, 'Proxy-Authorization')) : null);
const param = (v: string, name: string): string | null => new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*"?([^",]*)"?`, 'i').exec(v)?.[1] ?? null;
const challenge = (x: Msg): string | null => headerValue(x.sip, 'WWW-Authenticate') ?? headerValue(x.sip, 'Proxy-Authenticate');

export const detectAuthFailed: Detector = {
  kind: 'auth-failed',
  title: 'Authentication failed after a challenge',
  severity: 'error',
  detect(ctx) {
    const flow = getFlow(ctx.messages);
    const out: Finding[] = [];
    for (let cAt = 0; cAt < flow.callLists.length; cAt++) {
      const list = flow.callLists[cAt]!;
      const callId = list[0]!.callId;
      const failures: Array<{ req: Msg; resp: Msg }> = [];
      // Whether the last request sent with credentials went through (the user agent recovered).
      let succeededAfter = false;
      for (let reqAt = 0; reqAt < list.length; reqAt++) {
        const req = list[reqAt]!;
        if (!req.isReq || req.retransmission || req.duplicate || req.method === 'ACK' || req.method === 'CANCEL') continue;
        // What was answered first (the flow has it), the credentials only when that can matter:
        // reading a header means parsing the message again, and an authenticated registration
        // trace has credentials on every other request.
        const finals = responsesTo(flow, req).filter((r) => r.status >= 200 && r.dst === req.src);
        const refusable = finals.some((r) => r.status === 403 || r.status === 401 || r.status === 407);
        const accepted = finals.some((r) => r.status < 300);
        // A success matters only after a failure (it resets succeededAfter, which starts false).
        if (!refusable && !(accepted && failures.length > 0)) continue;
        if (credentials(req) === null) continue;
        const refused = refusable ? finals.find((r) => r.status === 403 || ((r.status === 401 || r.status === 407) && !/stale\s*=\s*"?true/i.test(challenge(r) ?? ''))) : undefined;
        if (refused) {
          failures.push({ req, resp: refused });
          succeededAfter = false;
        } else if (accepted) succeededAfter = true;
      }
      if (failures.length === 0) continue;
      const first = failures[0]!;
      const creds = credentials(first.req) ?? '';
      const user = param(creds, 'username');
      const realm = param(creds, 'realm');
      const again = failures.length > 1 ? ` It failed ${plural(failures.length, 'time')} in all (${framesText(failures.map((f) => f.resp.frame))}).` : '';
      const reason = first.resp.reason;
      out.push({
        kind: 'auth-failed',
        severity: succeededAfter ? 'info' : 'error',
        callId,
        frames: uniqFrames(failures.flatMap((f) => [f.req.frame, f.resp.frame])),
        title: `${first.req.method} credentials${user ? ` of ${user}` : ''} refused (${first.resp.status}${reason ? ` ${reason}` : ''})`,
        explanation:
          `${first.req.src} answered a challenge by sending ${first.req.method} again with ${headerValue(first.req.sip, 'Authorization') !== null ? 'Authorization' : 'Proxy-Authorization'} ` +
          `(frame ${first.req.frame}${user ? `, username "${user}"` : ''}${realm ? `, realm "${realm}"` : ''}), and ${first.resp.src} ` +
          (first.resp.status === 403
            ? `refused it with 403 ${reason} (frame ${first.resp.frame}): the server checked the credentials and does not accept them.`
            : `challenged it again with ${first.resp.status} (frame ${first.resp.frame}) without saying the nonce was stale (stale=true): the answer to the challenge did not match, which means wrong credentials (or a server wanting a fresh nonce without saying so).`) +
          again +
          (succeededAfter ? ' A later attempt with credentials succeeded, so the user agent recovered.' : ' The last attempt with credentials did not succeed.'),
        references: ['RFC 3261 §22.2', 'RFC 3261 §22.4', 'RFC 8760'],
        fix: 'Check the user name, password and realm configured on the user agent against the account on the server (and the authentication user if it differs from the From user); a 403 may also mean the account is not allowed this request.',
      });
    }
    return out;
  },
};
