/**
 * Hosts → ladder columns. A column stands for one host: by default one IP (every port of it), so
 * a phone that changes its source port stays one lifeline. The model may propose merges (several
 * IPs that are one box, e.g. a proxy with a public and a private leg) through `report.hosts` or a
 * call's `hosts` extra; the user's host layout (rename, merge, split, reorder — see
 * `HostLayout` in state/view-state.ts) wins over proposals. Pure functions, no DOM.
 */
import type { Report } from '../../engine/report.ts';
import type { HostLayout } from '../../state/view-state.ts';
import { endpointIp, shortEndpoint, shortIp } from '../format.ts';

/** A merge the model proposes: these address keys are one host, optionally named. */
export interface HostProposal {
  name: string | null;
  addresses: string[];
  /** Why the model proposes it, in words (shown on the merged column). */
  reasons?: string[];
}

export interface HostColumn {
  /** Stable id: the first address key of its group. */
  id: string;
  label: string;
  /** Address keys (IPs, or ip:port for split IPs) that map to this column. */
  keys: string[];
  /** Endpoints seen on this column, in order of first appearance (for tooltips and exports). */
  endpoints: string[];
  /** True when the label is the user's. */
  renamed: boolean;
  /** When the column is a model proposal: why the addresses were merged (undo: "Split merged host"). */
  mergeReasons?: string[];
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string');
}

/**
 * Read one proposal from tolerant shapes: {name?, addresses|ips|endpoints: string[], kind?}.
 * A NAT proposal (a UA's private address and the NAT's public one) is not applied by default:
 * merged, a request sent to the private address would look as if it reached the UA, which is
 * exactly what the engineer must see did not happen. The user can still merge them by hand.
 */
function readProposal(x: unknown): HostProposal | null {
  if (typeof x !== 'object' || x === null) return null;
  const o = x as Record<string, unknown>;
  if (o.kind === 'nat' || o.kind === 'mixed') return null;
  const list = [o.addresses, o.ips, o.endpoints, o.members].find(isStringArray);
  if (!list || list.length === 0) return null;
  const name = typeof o.name === 'string' ? o.name : typeof o.label === 'string' ? o.label : null;
  const addresses = list.map((a) => (a.includes('.') || a.startsWith('[') ? endpointIp(a) : a));
  return isStringArray(o.reasons) && o.reasons.length > 0 ? { name, addresses, reasons: o.reasons } : { name, addresses };
}

/**
 * The model's host proposals, if the report carries any (`report.hosts`, or `hosts` on calls).
 * Unknown shapes are ignored: the ladder then shows one column per IP.
 */
export function proposedHosts(report: Pick<Report, 'calls'> & { hosts?: unknown }): HostProposal[] {
  const out: HostProposal[] = [];
  const seen = new Set<string>();
  const add = (list: unknown): void => {
    if (!Array.isArray(list)) return;
    for (const x of list) {
      const p = readProposal(x);
      if (!p) continue;
      const sig = [...p.addresses].sort().join(',');
      if (seen.has(sig)) continue;
      seen.add(sig);
      out.push(p);
    }
  };
  add(report.hosts);
  for (const c of report.calls) add(c.hosts);
  return out;
}

/** The address key an endpoint maps to under a layout: its IP, or the endpoint if split per port. */
export function addressKey(endpoint: string, layout: HostLayout): string {
  const ip = endpointIp(endpoint);
  return layout.splitPorts.includes(ip) ? endpoint : ip;
}

export interface ColumnResolver {
  columns: HostColumn[];
  /** Column index of an endpoint; adds a column when the endpoint is new. */
  columnOf(endpoint: string): number;
}

/**
 * Build the column resolver. Endpoints are added in the order the caller meets them (first
 * appearance); `finish()` applies the user's order. Groups: the user's groups first, then model
 * proposals for keys the user has not grouped or detached.
 */
export function createColumns(layout: HostLayout, proposals: readonly HostProposal[] = []) {
  const groupOf = new Map<string, string[]>();
  const userKeys = new Set<string>();
  for (const g of layout.groups) {
    if (g.length === 0) continue;
    for (const k of g) {
      groupOf.set(k, g);
      userKeys.add(k);
    }
  }
  const detached = new Set(layout.detached ?? []);
  const proposalName = new Map<string, string>();
  const proposalReasons = new Map<string, string[]>();
  for (const p of proposals) {
    const free = p.addresses.filter((a) => !userKeys.has(a) && !detached.has(a));
    if (free.length === 0) continue;
    for (const k of free) groupOf.set(k, free);
    if (p.name) proposalName.set(free[0]!, p.name);
    if (free.length > 1 && p.reasons && p.reasons.length > 0) proposalReasons.set(free[0]!, p.reasons);
  }

  const columns: HostColumn[] = [];
  const byId = new Map<string, number>();
  const byEndpoint = new Map<string, number>();

  const columnOf = (endpoint: string): number => {
    const hit = byEndpoint.get(endpoint);
    if (hit !== undefined) return hit;
    const key = addressKey(endpoint, layout);
    // A split IP's ports may still be grouped by IP: try the port key, then the IP.
    const group = groupOf.get(key) ?? groupOf.get(endpointIp(endpoint));
    const id = group ? group[0]! : key;
    let col = byId.get(id);
    if (col === undefined) {
      col = columns.length;
      byId.set(id, col);
      const keys = group ? [...group] : [key];
      const custom = layout.names[id];
      columns.push({
        id,
        keys,
        endpoints: [],
        renamed: custom !== undefined,
        label: custom ?? proposalName.get(id) ?? defaultLabel(keys),
        ...(proposalReasons.has(id) && keys.length > 1 ? { mergeReasons: proposalReasons.get(id) } : {}),
      });
    }
    columns[col]!.endpoints.push(endpoint);
    byEndpoint.set(endpoint, col);
    return col;
  };

  /** Apply the user's order; returns the old→new index map. */
  const finish = (): number[] => {
    const rank = new Map(layout.order.map((id, i) => [id, i]));
    const idx = columns.map((_, i) => i);
    idx.sort((a, b) => {
      const ra = rank.get(columns[a]!.id);
      const rb = rank.get(columns[b]!.id);
      if (ra !== undefined && rb !== undefined) return ra - rb;
      if (ra !== undefined) return -1;
      if (rb !== undefined) return 1;
      return a - b;
    });
    const remap = new Array<number>(columns.length);
    idx.forEach((old, neu) => (remap[old] = neu));
    const sorted = idx.map((i) => columns[i]!);
    columns.splice(0, columns.length, ...sorted);
    for (const [ep, c] of byEndpoint) byEndpoint.set(ep, remap[c]!);
    for (const [id, c] of byId) byId.set(id, remap[c]!);
    return remap;
  };

  return { columns, columnOf, finish };
}

export function defaultLabel(keys: readonly string[], max = 22): string {
  const first = keys[0] ?? '?';
  const suffix = keys.length > 1 ? ` +${keys.length - 1}` : '';
  const room = Math.max(8, max - suffix.length);
  const base = first.includes(']:') || /^\d+\.\d+\.\d+\.\d+:\d+$/.test(first) ? shortEndpoint(first, room) : shortIp(first, room);
  return `${base}${suffix}`;
}

// ---- Edits of the host layout (pure: old layout in, new layout out) ----

export function renameHost(layout: HostLayout, id: string, name: string): HostLayout {
  const names = { ...layout.names };
  if (name.trim() === '') delete names[id];
  else names[id] = name.trim();
  return { ...layout, names };
}

/** Merge column `source` into column `target` (both given as their key lists). */
export function mergeHosts(layout: HostLayout, target: HostColumn, source: HostColumn): HostLayout {
  const keys = [...target.keys, ...source.keys.filter((k) => !target.keys.includes(k))];
  const groups = layout.groups.filter((g) => !g.some((k) => keys.includes(k)));
  groups.push(keys);
  const detached = (layout.detached ?? []).filter((k) => !keys.includes(k));
  const order = layout.order.filter((id) => id !== source.id);
  return { ...layout, groups, detached, order };
}

/**
 * Split a column: a merged column falls apart into its keys; a single-IP column becomes one
 * column per port; a per-port column of a split IP joins its siblings again.
 */
export function splitHost(layout: HostLayout, col: HostColumn): HostLayout {
  if (col.keys.length > 1) {
    const groups = layout.groups.filter((g) => !g.some((k) => col.keys.includes(k)));
    const detached = [...new Set([...(layout.detached ?? []), ...col.keys])];
    return { ...layout, groups, detached };
  }
  const key = col.keys[0]!;
  const ip = endpointIp(key);
  if (key === ip) return { ...layout, splitPorts: [...layout.splitPorts.filter((x) => x !== ip), ip] };
  return { ...layout, splitPorts: layout.splitPorts.filter((x) => x !== ip) };
}

/** Move column `id` to position `to` in the given current order of ids. */
export function moveHost(layout: HostLayout, currentOrder: string[], id: string, to: number): HostLayout {
  const order = currentOrder.filter((x) => x !== id);
  order.splice(Math.max(0, Math.min(order.length, to)), 0, id);
  return { ...layout, order };
}
