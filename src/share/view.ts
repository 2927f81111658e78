/**
 * The view state a share link carries, as it travels: versioned, and validated with zod field
 * by field, so one bad or cut-off value falls back to its default while every other field is
 * kept (sharing rules: docs EXAMPLES §7). Messages are named by their frame number *in the
 * shared capture* (the bundle renumbers frames), not by message index: frame numbers survive a
 * re-analysis and are what Wireshark shows.
 */
import { z } from 'zod';

/** Bump only for breaking changes; additions get defaults. */
export const SHARE_VERSION = 1;

export const TIME_MODE_VALUES = ['absolute', 'call', 'delta', 'selected'] as const;
export type SharedTimeMode = (typeof TIME_MODE_VALUES)[number];

export interface SharedHosts {
  names: Record<string, string>;
  groups: string[][];
  splitPorts: string[];
  order: string[];
  detached: string[];
}

export interface SharedOverlays {
  findings: boolean;
  ghosts: boolean;
  connections: boolean;
  rtp: boolean;
}

/** A note pinned to a message (by frame in the shared capture) or to a finding. */
export interface SharedNote {
  /** Frame of the message the note is pinned to. */
  frame?: number;
  /** A finding, as "kind@frame" (its kind and first evidence frame in the shared capture). */
  finding?: string;
  text: string;
}

/** Per-stream RTP statistics (the link carries these instead of the media). */
export interface SharedRtpStat {
  ssrc: number;
  kind: 'rtp' | 'rtcp';
  src: string;
  dst: string;
  payloadType: number;
  packets: number;
  bytes: number;
  lost: number;
  sequenceGaps: number;
  firstTime: string;
  lastTime: string;
  callId: string | null;
  sourceChanges: number;
}

/** The finding kinds the sender saw, with their evidence frames in the shared capture. */
export interface SharedFinding {
  kind: string;
  frames: number[];
}

export interface SharedMeta {
  /** Addresses, numbers and names were rewritten before sharing. */
  anonymised: boolean;
  /** Call-IDs and tags were rewritten too. */
  callIds: boolean;
  /** The RTP packets themselves are in the capture (else only statistics are). */
  rtpPackets: boolean;
}

export interface SharedView {
  version: number;
  /** File name to show for the embedded capture. */
  name: string;
  calls: string[];
  /** Frame (in the shared capture) of the selected message. */
  message: number | null;
  hosts: SharedHosts;
  timeMode: SharedTimeMode;
  overlays: SharedOverlays;
  /** Frames of unfolded retransmission-chain heads. */
  unfolded: number[];
  notes: SharedNote[];
  rtp: SharedRtpStat[];
  findings: SharedFinding[];
  meta: SharedMeta;
}

export function defaultSharedView(): SharedView {
  return {
    version: SHARE_VERSION,
    name: 'shared-capture.pcapng',
    calls: [],
    message: null,
    hosts: { names: {}, groups: [], splitPorts: [], order: [], detached: [] },
    timeMode: 'call',
    overlays: { findings: true, ghosts: true, connections: true, rtp: true },
    unfolded: [],
    notes: [],
    rtp: [],
    findings: [],
    meta: { anonymised: false, callIds: false, rtpPackets: false },
  };
}

const frameNo = z.number().int().positive().max(2 ** 31);
const shortText = z.string().max(2000);
const hostKey = z.string().min(1).max(300);

/** zod schemas of one element of each list field (a bad element is dropped alone). */
const noteSchema = z
  .object({ frame: frameNo.optional(), finding: z.string().max(200).optional(), text: z.string().min(1).max(4000) })
  .refine((n) => n.frame !== undefined || n.finding !== undefined, 'a note needs a frame or a finding');
const rtpSchema = z.object({
  ssrc: z.number().int().min(0).max(0xffffffff),
  kind: z.enum(['rtp', 'rtcp']),
  src: hostKey,
  dst: hostKey,
  payloadType: z.number().int().min(0).max(255),
  packets: z.number().int().min(0),
  bytes: z.number().int().min(0),
  lost: z.number().int(),
  sequenceGaps: z.number().int().min(0),
  firstTime: z.string().max(40),
  lastTime: z.string().max(40),
  callId: z.string().max(1000).nullable(),
  sourceChanges: z.number().int().min(0),
});
const findingSchema = z.object({ kind: z.string().min(1).max(60), frames: z.array(frameNo).max(1000) });

/** One field of the wire format: its key in the fragment and how to read it. */
interface FieldSpec<K extends keyof SharedView> {
  key: string;
  field: K;
  /** Validates the JSON value; returns the value and, for lists, what was dropped. */
  read(json: unknown): { value: SharedView[K]; problem: string | null } | { value: null; problem: string };
}

function issueText(e: z.ZodError): string {
  const i = e.issues[0];
  if (!i) return 'invalid value';
  const where = i.path.length ? ` at ${i.path.join('.')}` : '';
  return `${i.message}${where}`;
}

function whole<K extends keyof SharedView>(key: string, field: K, schema: z.ZodType<SharedView[K]>): FieldSpec<K> {
  return {
    key,
    field,
    read(json) {
      const r = schema.safeParse(json);
      return r.success ? { value: r.data, problem: null } : { value: null, problem: issueText(r.error) };
    },
  };
}

/** A list read element by element: bad elements are dropped and counted, the rest kept. */
function list<K extends keyof SharedView>(key: string, field: K, element: z.ZodType<unknown>, max: number): FieldSpec<K> {
  return {
    key,
    field,
    read(json) {
      if (!Array.isArray(json)) return { value: null, problem: 'expected a list' };
      const kept: unknown[] = [];
      const problems: string[] = [];
      json.slice(0, max).forEach((x, i) => {
        const r = element.safeParse(x);
        if (r.success) kept.push(r.data);
        else problems.push(`item ${i + 1}: ${issueText(r.error)}`);
      });
      if (json.length > max) problems.push(`${json.length - max} items beyond the limit of ${max} ignored`);
      return { value: kept as SharedView[K], problem: problems.length ? `${problems.length} dropped (${problems.slice(0, 3).join('; ')})` : null };
    },
  };
}

const d = defaultSharedView();

/** Object fields are read key by key: a bad key falls back to its default, the others stay. */
function perKey<K extends 'hosts' | 'overlays' | 'meta'>(key: string, field: K, shape: { [P in keyof SharedView[K]]: z.ZodType<SharedView[K][P]> }): FieldSpec<K> {
  return {
    key,
    field,
    read(json) {
      if (typeof json !== 'object' || json === null || Array.isArray(json)) return { value: null, problem: 'expected an object' };
      const out = { ...d[field] } as Record<string, unknown>;
      const problems: string[] = [];
      for (const [k, schema] of Object.entries(shape) as Array<[string, z.ZodType<unknown>]>) {
        const v = (json as Record<string, unknown>)[k];
        if (v === undefined) continue; // additions default
        const r = schema.safeParse(v);
        if (r.success) out[k] = r.data;
        else problems.push(`${k}: ${issueText(r.error)}`);
      }
      return { value: out as unknown as SharedView[K], problem: problems.length ? problems.join('; ') : null };
    },
  };
}

/** The wire fields, in the order they are written (the capture goes last, after these). */
export const FIELDS: ReadonlyArray<FieldSpec<keyof SharedView>> = [
  whole('name', 'name', z.string().min(1).max(200)),
  list('calls', 'calls', z.string().min(1).max(1000), 100),
  whole('msg', 'message', frameNo.nullable()),
  whole('time', 'timeMode', z.enum(TIME_MODE_VALUES)),
  perKey('ov', 'overlays', { findings: z.boolean(), ghosts: z.boolean(), connections: z.boolean(), rtp: z.boolean() }),
  perKey('meta', 'meta', { anonymised: z.boolean(), callIds: z.boolean(), rtpPackets: z.boolean() }),
  perKey('hosts', 'hosts', {
    names: z.record(hostKey, shortText),
    groups: z.array(z.array(hostKey).max(100)).max(200),
    splitPorts: z.array(hostKey).max(200),
    order: z.array(hostKey).max(400),
    detached: z.array(hostKey).max(200),
  }),
  list('unf', 'unfolded', frameNo, 1000),
  list('notes', 'notes', noteSchema, 500),
  list('find', 'findings', findingSchema, 500),
  list('rtp', 'rtp', rtpSchema, 200),
] as ReadonlyArray<FieldSpec<keyof SharedView>>;

export interface FieldProblem {
  field: string;
  message: string;
}

/** Reads the view fields from raw (already URI-decoded) JSON texts by key; never throws. */
export function readSharedView(raw: ReadonlyMap<string, string>): { view: SharedView; problems: FieldProblem[] } {
  const view = defaultSharedView();
  const problems: FieldProblem[] = [];
  for (const spec of FIELDS) {
    const text = raw.get(spec.key);
    if (text === undefined) continue;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      problems.push({ field: spec.field, message: `not readable (${text.length > 40 ? `${text.slice(0, 40)}…` : text}) — cut short or edited?` });
      continue;
    }
    const r = spec.read(json);
    if (r.value !== null) (view as unknown as Record<string, unknown>)[spec.field] = r.value;
    if (r.problem !== null) problems.push({ field: spec.field, message: r.value === null ? `${r.problem}; the default is used` : r.problem });
  }
  return { view, problems };
}

/** The view fields as JSON texts, in wire order (defaults are written too: links are explicit). */
export function writeSharedView(view: SharedView): Array<[string, string]> {
  return FIELDS.map((spec) => [spec.key, JSON.stringify(view[spec.field])]);
}
