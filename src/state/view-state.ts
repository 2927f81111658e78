/**
 * The view state: everything a "share" link will carry to rebuild what the user is looking at —
 * which calls and message are selected, how hosts are laid out (names, merges, per-port splits,
 * order), the time mode, which overlays are on, which retransmission chains are unfolded, and
 * the user's notes. Plain JSON-serialisable data only (no Maps, Sets or functions), so it can be
 * encoded into a URL fragment as is; `store.tsx` holds it as one slice with setters.
 */

/** What the time column shows. */
export type TimeMode = 'absolute' | 'call' | 'delta' | 'selected';

export const TIME_MODES: Array<{ mode: TimeMode; label: string }> = [
  { mode: 'absolute', label: 'Absolute (UTC)' },
  { mode: 'call', label: 'From call start' },
  { mode: 'delta', label: 'Delta from previous' },
  { mode: 'selected', label: 'Delta from selected' },
];

/**
 * How hosts become ladder columns. An *address key* is an IP ("203.0.113.5"), or "ip:port" for an
 * IP the user split per port. By default each IP is one column; `groups` merges keys into one
 * column (the column id is the group's first key); `names` renames columns (by column id);
 * `order` ranks column ids (unranked columns follow in order of first appearance).
 */
export interface HostLayout {
  names: Record<string, string>;
  groups: string[][];
  /** IPs shown as one column per port. */
  splitPorts: string[];
  order: string[];
  /** Address keys the user split out of a model-proposed merge (proposals no longer apply). */
  detached?: string[];
}

export interface Overlays {
  /** Finding badges on arrows and the evidence highlight. */
  findings: boolean;
  /** Dashed "should have gone to …" arrows. */
  ghosts: boolean;
  /** TCP/TLS connection lanes beside the ladder. */
  connections: boolean;
  /** RTP stream bands. */
  rtp: boolean;
}

export interface ViewState {
  /** Call-IDs shown in the ladder (multi-select in the list), in selection order. */
  selectedCalls: string[];
  /** Message index (report.messages[i].index) selected in the ladder. */
  selectedMessage: number | null;
  hosts: HostLayout;
  timeMode: TimeMode;
  overlays: Overlays;
  /** Message indices of retransmission-chain heads the user unfolded. */
  unfolded: number[];
  /** The user's notes on messages, by message index (exported as pcapng packet comments). */
  annotations: Record<number, string>;
  /**
   * The user's notes on findings, keyed by `findingNoteKey` ("kind@first evidence frame"), so a
   * note survives a re-analysis (share links, exports) where finding indices would not.
   */
  findingNotes: Record<string, string>;
}

/** The stable key of a finding for notes: its kind and first evidence frame. */
export function findingNoteKey(f: { kind: string; frames: readonly number[] }): string {
  return `${f.kind}@${f.frames[0] ?? 0}`;
}

export const emptyHostLayout: HostLayout = { names: {}, groups: [], splitPorts: [], order: [], detached: [] };

export function defaultViewState(): ViewState {
  return {
    selectedCalls: [],
    selectedMessage: null,
    hosts: { names: {}, groups: [], splitPorts: [], order: [], detached: [] },
    timeMode: 'call',
    overlays: { findings: true, ghosts: true, connections: true, rtp: true },
    unfolded: [],
    annotations: {},
    findingNotes: {},
  };
}
