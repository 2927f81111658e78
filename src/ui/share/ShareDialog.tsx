/**
 * "Share": a link that carries the diagnosis itself — the selected calls' packets (anonymised by
 * default) and the view — in the URL fragment, which browsers never send to a server. The dialog
 * shows the link and its length against what chat tools keep, a preview of exactly what will be
 * shared, and offers the same bundle as a pcapng file (notes as packet comments) when the link
 * is too long.
 */
import { useEffect, useRef, useState } from 'react';
import { useAppStore, useAppStoreApi } from '../../state/store.tsx';
import { selectStatus, selectView } from '../../state/selectors.ts';
import type { Bundle } from '../../share/bundle.ts';
import { encodeShareFragment, LINK_LIMITS, linkSizeLevel } from '../../share/fragment.ts';
import type { LinkSizeLevel } from '../../share/fragment.ts';

const LEVEL_TEXT: Record<LinkSizeLevel, string> = {
  ok: 'Short enough for any chat tool.',
  'some-cut': `Longer than ${LINK_LIMITS.someToolsCut.toLocaleString('en-US')} characters: some chat tools and SMS cut links this long.`,
  'most-cut': `Longer than ${LINK_LIMITS.mostToolsCut.toLocaleString('en-US')} characters: most chat tools and e-mail cut links this long — send the file instead.`,
  'too-long': 'Too long for a browser address (over about 2 MB): download the file and send that instead.',
};

type Built = { kind: 'building' } | { kind: 'ready'; bundle: Bundle; link: string } | { kind: 'error'; message: string };

function download(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/vnd.tcpdump.pcap' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function stemOf(name: string): string {
  return name.replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '') || 'capture';
}

function ShareDialog({ onClose }: { onClose: () => void }) {
  const api = useAppStoreApi();
  const view = useAppStore(selectView);
  const status = useAppStore(selectStatus);
  const name = status.kind === 'loaded' ? status.name : 'capture';
  const [anonymise, setAnonymise] = useState(true);
  const [callIds, setCallIds] = useState(false);
  const [rtpPackets, setRtpPackets] = useState(false);
  const [built, setBuilt] = useState<Built>({ kind: 'building' });
  const [copied, setCopied] = useState<string | null>(null);
  const ref = useRef<HTMLDialogElement>(null);
  const linkRef = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);

  useEffect(() => {
    let live = true;
    setBuilt({ kind: 'building' });
    setCopied(null);
    const sharedName = `${stemOf(name)}${anonymise ? '-anonymised' : ''}.pcapng`;
    (async () => {
      const bundle = await api.getState().client().share(view, { anonymise, callIds, rtpPackets, name: sharedName });
      const fragment = await encodeShareFragment(bundle.view, bundle.capture);
      const link = `${location.origin}${location.pathname}#${fragment}`;
      if (live) setBuilt({ kind: 'ready', bundle, link });
    })().catch((e: unknown) => {
      if (live) setBuilt({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
    });
    return () => {
      live = false;
    };
  }, [api, view, name, anonymise, callIds, rtpPackets]);

  const copy = async (link: string) => {
    try {
      await navigator.clipboard.writeText(link);
      setCopied('Copied.');
    } catch {
      // No clipboard permission: select the text so Ctrl+C works.
      linkRef.current?.select();
      setCopied('Selected — press Ctrl+C (or ⌘C) to copy.');
    }
  };

  const level = built.kind === 'ready' ? linkSizeLevel(built.link.length) : 'ok';
  const calls = view.selectedCalls.length;
  return (
    <dialog ref={ref} className="share-dialog" aria-labelledby="share-title" onClose={onClose} style={{ maxWidth: 'min(52rem, 95vw)', width: '100%' }}>
      <h2 id="share-title">Share {calls === 0 ? 'all calls' : calls === 1 ? 'this call' : `${calls} calls`}</h2>
      <p className="muted">
        The link holds the packets and the view itself, after “#”: browsers never send that part to a server, so nothing is uploaded — the capture goes from this browser to the one that opens the link.
      </p>
      <fieldset>
        <legend>What to share</legend>
        <label>
          <input type="checkbox" checked={anonymise} onChange={(e) => setAnonymise(e.currentTarget.checked)} /> Anonymise before sharing (phone numbers, user names, host names, IP addresses; private stays private, ports kept)
        </label>
        <br />
        <label>
          <input type="checkbox" checked={callIds} disabled={!anonymise} onChange={(e) => setCallIds(e.currentTarget.checked)} /> Also rewrite Call-IDs and tags
        </label>
        <br />
        <label>
          <input type="checkbox" checked={rtpPackets} onChange={(e) => setRtpPackets(e.currentTarget.checked)} /> Include the RTP packets themselves (audio; much longer link) — otherwise RTP travels as statistics
        </label>
      </fieldset>

      {built.kind === 'building' && <p aria-live="polite">Building the link…</p>}
      {built.kind === 'error' && (
        <p role="alert" className="error-inline">
          Could not build the link: {built.message}
        </p>
      )}
      {built.kind === 'ready' && (
        <>
          <div className="share-link-row" style={{ display: 'flex', gap: '0.5rem', alignItems: 'center' }}>
            <label htmlFor="share-link">Share link</label>
            <input id="share-link" ref={linkRef} readOnly value={built.link} style={{ flex: 1, minWidth: 0 }} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" onClick={() => void copy(built.link)}>
              Copy
            </button>
          </div>
          <p aria-live="polite" data-testid="share-size" className={level === 'ok' ? 'muted' : 'warning'}>
            {built.link.length.toLocaleString('en-US')} characters ({built.bundle.packets} packets). {LEVEL_TEXT[level]} {copied}
          </p>
          <p>
            <button type="button" onClick={() => download(built.bundle.capture, built.bundle.view.name)}>
              Download {built.bundle.view.name}
            </button>{' '}
            <span className="muted">The same bundle as a file Wireshark opens too: notes are packet comments, the view is in the file comment.</span>
          </p>
          {built.bundle.notes.length > 0 && (
            <ul className="muted">
              {built.bundle.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
          <details>
            <summary>
              Preview what will be shared ({built.bundle.preview.length} SIP messages{anonymise ? `, ${built.bundle.replacements.length} values replaced` : ', not anonymised'})
            </summary>
            {anonymise && built.bundle.replacements.length > 0 && (
              <table className="share-replacements">
                <thead>
                  <tr>
                    <th>Kind</th>
                    <th>In your capture</th>
                    <th>In the link</th>
                  </tr>
                </thead>
                <tbody>
                  {built.bundle.replacements.slice(0, 500).map((r) => (
                    <tr key={`${r.kind}|${r.from}`}>
                      <td>{r.kind}</td>
                      <td>{r.from}</td>
                      <td>{r.to}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {built.bundle.preview.slice(0, 20).map((p) => (
              <pre key={p.frame} style={{ whiteSpace: 'pre-wrap', maxHeight: '16rem', overflow: 'auto' }}>
                {`Frame ${p.frame}\n${p.text}`}
              </pre>
            ))}
          </details>
        </>
      )}
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </dialog>
  );
}

/** The topbar button; the dialog mounts only while open. */
export function ShareButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Share
      </button>
      {open && <ShareDialog onClose={() => setOpen(false)} />}
    </>
  );
}
