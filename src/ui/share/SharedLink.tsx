/**
 * Opening a share link: when the address holds "#sl=…" (at start-up or when a link is pasted
 * into this tab), decode it, open the embedded capture exactly like a dropped file, then restore
 * the view (calls, selected message, notes, host layout, time mode, overlays). A damaged link
 * says what is wrong and shows what survived.
 */
import { useEffect, useState } from 'react';
import { useAppStoreApi } from '../../state/store.tsx';
import { applySharedView } from '../../share/apply.ts';
import { decodeShareFragment, isShareFragment } from '../../share/fragment.ts';

interface Outcome {
  name: string;
  anonymised: boolean;
  /** The link is damaged: what is wrong, in plain words. */
  damage: string[];
  /** Smaller things (a field fell back to its default, a note had nowhere to go). */
  notes: string[];
  /** The capture was refused (it inflates beyond the limit): why, in plain words. */
  refused?: string;
}

export function SharedLink() {
  const api = useAppStoreApi();
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  useEffect(() => {
    let seq = 0;
    const load = async (hash: string) => {
      if (!isShareFragment(hash)) return;
      const mine = ++seq;
      const decoded = await decodeShareFragment(hash);
      if (mine !== seq) return;
      if (!decoded.ok) {
        setOutcome({ name: 'shared link', anonymised: false, damage: [decoded.error], notes: [] });
        return;
      }
      const { view, problems, capture } = decoded.value;
      const damage: string[] = [];
      const notes = problems.map((p) => `${p.field}: ${p.message}`);
      if (capture?.tooLarge) {
        setOutcome({ name: view.name, anonymised: view.meta.anonymised, damage: [], notes, refused: capture.problem ?? 'the capture in this link is too large to open' });
        return;
      }
      if (!capture) damage.push('the link carries no capture (it was made without one, or cut before it)');
      else if (!capture.complete) damage.push(capture.problem ?? 'the capture in the link is incomplete');
      setOutcome({ name: view.name, anonymised: view.meta.anonymised, damage, notes });
      if (!capture || capture.bytes.length === 0) return;
      await api.getState().openFile(new Blob([capture.bytes as BlobPart]), view.name);
      if (mine !== seq) return;
      const s = api.getState();
      if (s.status.kind !== 'loaded' || !s.report) return;
      const applied = applySharedView(view, s.report);
      s.setView({ ...s.view, ...applied.view });
      const lostFindings = view.findings.filter((f) => !s.report!.findings.some((g) => g.kind === f.kind)).map((f) => f.kind);
      const more = [...applied.dropped];
      if (lostFindings.length) more.push(`findings the sender saw that this part does not show: ${[...new Set(lostFindings)].join(', ')}`);
      if (more.length) setOutcome((o) => (o ? { ...o, notes: [...o.notes, ...more] } : o));
    };
    void load(location.hash);
    const onHash = () => void load(location.hash);
    window.addEventListener('hashchange', onHash);
    return () => {
      seq++;
      window.removeEventListener('hashchange', onHash);
    };
  }, [api]);

  if (!outcome) return null;
  const damaged = outcome.damage.length > 0 || outcome.refused !== undefined;
  return (
    <section className={damaged ? 'share-status error-line' : 'share-status status-line'} role={damaged ? 'alert' : 'status'} aria-label="Shared link">
      {outcome.refused !== undefined ? (
        <p>
          <strong>This share link was not opened</strong>: {outcome.refused}. Nothing else was loaded; ask the sender for the capture file.
        </p>
      ) : damaged ? (
        <p>
          <strong>This share link is damaged</strong> — probably cut short when it was pasted into a chat. {outcome.damage.join('; ')}. What survived is shown below; ask the sender for the
          file if something is missing.
        </p>
      ) : (
        <p>
          Opened a shared link: <strong>{outcome.name}</strong>
          {outcome.anonymised ? ' (anonymised by the sender: addresses, numbers and names are stand-ins)' : ''}. Nothing was downloaded from a server: the capture was inside the link.
        </p>
      )}
      {outcome.notes.length > 0 && (
        <ul>
          {outcome.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <button type="button" onClick={() => setOutcome(null)}>
        Dismiss
      </button>
    </section>
  );
}
