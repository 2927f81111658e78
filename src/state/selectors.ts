/**
 * Module-scope selectors (stable identities, so components do not re-subscribe each render) and
 * reference-keyed memos for data derived from the immutable report: the filtered+sorted call rows
 * and the ladder's messages. A memo recomputes only when one of its input references changes.
 */
import type { FindingKind, ReportMessage } from '../report/report.ts';
import { filterCalls, sortCalls } from '../view/call-rows.ts';
import type { CallRow } from '../view/call-rows.ts';
import type { AppState } from './store.tsx';

export const selectStatus = (s: AppState) => s.status;
export const selectReport = (s: AppState) => s.report;
export const selectCalls = (s: AppState) => s.calls;
export const selectView = (s: AppState) => s.view;
export const selectSelectedCalls = (s: AppState) => s.view.selectedCalls;
export const selectSelectedMessage = (s: AppState) => s.view.selectedMessage;
export const selectTimeMode = (s: AppState) => s.view.timeMode;
export const selectOverlays = (s: AppState) => s.view.overlays;
export const selectHosts = (s: AppState) => s.view.hosts;
export const selectUnfolded = (s: AppState) => s.view.unfolded;
export const selectAnnotations = (s: AppState) => s.view.annotations;
export const selectFilter = (s: AppState) => s.filter;
export const selectSort = (s: AppState) => s.sort;
export const selectHeaderColumns = (s: AppState) => s.headerColumns;
export const selectHeaderValues = (s: AppState) => s.headerValues;
export const selectEvidence = (s: AppState) => s.evidence;
export const selectDetailOpen = (s: AppState) => s.detailOpen;
export const selectPane = (s: AppState) => s.pane;
export const selectTheme = (s: AppState) => s.theme;
export const selectProposals = (s: AppState) => s.proposals;

/** A memo over a fixed list of reference inputs (speedscope's getters pattern). */
function memoByRefs<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  let last: A | null = null;
  let value: R;
  return (...args: A): R => {
    if (last && last.length === args.length && last.every((x, i) => x === args[i])) return value;
    value = fn(...args);
    last = args;
    return value;
  };
}

const visibleCalls = memoByRefs((calls: AppState['calls'], filter: AppState['filter'], sort: AppState['sort'], headerValues: AppState['headerValues']): CallRow[] => {
  if (!calls) return [];
  const rows = filterCalls(calls.rows, filter);
  const getHeader = (r: CallRow, name: string) => headerValues.get(r.firstMessage)?.[name.toLowerCase()];
  return sortCalls(rows, sort, getHeader);
});

/** The call list's rows after filter and sort. */
export const selectVisibleCalls = (s: AppState): CallRow[] => visibleCalls(s.calls, s.filter, s.sort, s.sort.key.startsWith('header:') ? s.headerValues : emptyHeaders);
const emptyHeaders: AppState['headerValues'] = new Map();

/**
 * Counts and lists derived from the call index, for components that need no row: a component
 * that holds the index or a list of its rows keeps them alive on React's other copy of its fiber
 * (the previous render's props, hooks and closures) until it renders again. When the calls were
 * listed and then diagnosed, the filter bar kept the listed index that way: a second copy of
 * every row (on the 200 MB bench capture, 68,582 rows, ~20 MB of the page's heap).
 */
export const selectCallCount = (s: AppState): number => s.calls?.rows.length ?? 0;
export const selectVisibleCount = (s: AppState): number => selectVisibleCalls(s).length;
/** The finding kinds of the calls, most frequent first, with their call counts (one list per index). */
export const selectFindingKindCounts = (s: AppState): Array<[FindingKind, number]> => findingKindCounts(s.calls);
const findingKindCounts = memoByRefs((calls: AppState['calls']): Array<[FindingKind, number]> => {
  const m = new Map<FindingKind, number>();
  for (const r of calls?.rows ?? []) for (const k of r.kinds) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m].sort((a, b) => b[1] - a[1]);
});

const ladderMessages = memoByRefs((report: AppState['report'], calls: AppState['calls'], selected: string[]): ReportMessage[] => {
  if (!report || !calls) return [];
  if (selected.length === 1) return (calls.messagesByCall.get(selected[0]!) ?? []).map((i) => report.messages[i]!);
  const idx: number[] = [];
  for (const c of selected) for (const i of calls.messagesByCall.get(c) ?? []) idx.push(i);
  idx.sort((a, b) => a - b);
  return idx.map((i) => report.messages[i]!);
});

/** The selected calls' messages in capture order (several calls merge into one ladder). */
export const selectLadderMessages = (s: AppState): ReportMessage[] => ladderMessages(s.report, s.calls, s.view.selectedCalls);

export const selectMarked = (s: AppState) => s.marked;
/** The call list's cursor: the moved-to call, else the last selected call. */
export const selectCursorCall = (s: AppState): string | null =>
  s.cursorCall !== null && (s.marked.length > 0 || s.view.selectedCalls.includes(s.cursorCall)) ? s.cursorCall : (s.view.selectedCalls.at(-1) ?? null);
