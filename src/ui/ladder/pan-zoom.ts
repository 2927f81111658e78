/**
 * Pan and zoom of the ladder viewport: d3-zoom wrapped in a plain factory (create, update,
 * destroy — no React in here; xyflow's XYPanZoom pattern). The transform maps ladder space to
 * screen space (see layout.ts): screen = translate(x, y) · scale(k) · ladder.
 *
 * Input mapping, chosen for a tall diagram read top to bottom rather than a map:
 *   wheel / trackpad      pan (vertical; shift or a horizontal swipe pans sideways)
 *   ctrl/⌘ + wheel, pinch zoom around the pointer
 *   drag on the background pan
 * The transform is clamped so the ladder never leaves its top-left corner and cannot be pushed
 * beyond its far edges (d3's default clamp centres small content, which we do not want).
 */
import { select } from 'd3-selection';
import type { Selection } from 'd3-selection';
import { zoom, zoomIdentity } from 'd3-zoom';
import type { D3ZoomEvent, ZoomBehavior, ZoomTransform } from 'd3-zoom';

export interface Transform {
  x: number;
  y: number;
  k: number;
}

export interface PanZoomOptions {
  /** Ladder-space size of the content. */
  contentWidth: number;
  contentHeight: number;
  /** Space kept free at the bottom (px, screen) so the last row is not glued to the edge. */
  bottomPad?: number;
  minZoom?: number;
  maxZoom?: number;
  onTransform: (t: Transform) => void;
}

export interface PanZoom {
  update(opts: Partial<Omit<PanZoomOptions, 'onTransform'>>): void;
  /** Set the transform (clamped). */
  setTransform(t: Transform): void;
  /** Pan so ladder-space rectangle [y0, y1] is visible (vertical), with a margin. */
  revealY(y0: number, y1: number, margin?: number): void;
  /** Pan so [x0, x1] is visible; `leftInset` screen px on the left are covered (time gutter). */
  revealX(x0: number, x1: number, margin?: number, leftInset?: number): void;
  /** Zoom so the whole width fits the viewport (never above 1, never below `minK`: labels stay
   * readable and the rest is reached with the scrollbar). */
  fitWidth(minK?: number): void;
  /** Pan by screen px. */
  panBy(dx: number, dy: number): void;
  zoomBy(factor: number): void;
  getTransform(): Transform;
  destroy(): void;
}

export function createPanZoom(el: HTMLElement, initial: PanZoomOptions): PanZoom {
  const opts: PanZoomOptions = { bottomPad: 40, minZoom: 0.25, maxZoom: 3, ...initial };
  const sel: Selection<HTMLElement, unknown, null, undefined> = select(el);
  let current: Transform = { x: 0, y: 0, k: 1 };

  const clamp = (t: ZoomTransform): ZoomTransform => {
    const vw = el.clientWidth;
    const vh = el.clientHeight;
    const k = t.k;
    const minX = Math.min(0, vw - opts.contentWidth * k);
    const minY = Math.min(0, vh - opts.contentHeight * k - (opts.bottomPad ?? 0));
    const x = Math.max(minX, Math.min(0, t.x));
    const y = Math.max(minY, Math.min(0, t.y));
    return x === t.x && y === t.y ? t : zoomIdentity.translate(x, y).scale(k);
  };

  const behavior: ZoomBehavior<HTMLElement, unknown> = zoom<HTMLElement, unknown>()
    .scaleExtent([opts.minZoom!, opts.maxZoom!])
    .constrain((t) => clamp(t))
    // Wheel zooms only with ctrl/⌘ (pinch sends ctrl); plain wheel pans (below). Drag with the
    // primary button anywhere that is not a form control.
    .filter((event: Event) => {
      if (event.type === 'wheel') return (event as WheelEvent).ctrlKey || (event as WheelEvent).metaKey;
      if (event.type === 'dblclick') return false;
      const target = event.target as Element | null;
      if (target?.closest('input, textarea, select, button, .ladder-scroll-x, .ladder-scroll-y')) return false;
      return (event as MouseEvent).button === 0 || event.type.startsWith('touch');
    })
    .on('zoom', (e: D3ZoomEvent<HTMLElement, unknown>) => {
      current = { x: e.transform.x, y: e.transform.y, k: e.transform.k };
      opts.onTransform(current);
    });
  sel.call(behavior);

  const onWheel = (e: WheelEvent): void => {
    if (e.ctrlKey || e.metaKey) return; // d3-zoom handles it
    e.preventDefault();
    const scale = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? el.clientHeight : 1;
    let dx = e.deltaX * scale;
    let dy = e.deltaY * scale;
    if (e.shiftKey && dx === 0) [dx, dy] = [dy, 0];
    api.panBy(-dx, -dy);
  };
  el.addEventListener('wheel', onWheel, { passive: false });

  const api: PanZoom = {
    update(o) {
      Object.assign(opts, o);
      behavior.scaleExtent([opts.minZoom!, opts.maxZoom!]);
      api.setTransform(current);
    },
    setTransform(t) {
      sel.call(behavior.transform, zoomIdentity.translate(t.x, t.y).scale(t.k));
    },
    revealY(y0, y1, margin = 24) {
      const { x, y, k } = current;
      const top = y0 * k + y;
      const bottom = y1 * k + y;
      const vh = el.clientHeight;
      if (top < margin) api.setTransform({ x, y: y + (margin - top), k });
      else if (bottom > vh - margin) api.setTransform({ x, y: y - (bottom - (vh - margin)), k });
    },
    revealX(x0, x1, margin = 24, leftInset = 0) {
      const { x, y, k } = current;
      const left = x0 * k + x;
      const right = x1 * k + x;
      const vw = el.clientWidth;
      const lo = leftInset + margin;
      if (right - left > vw - lo - margin) return;
      if (left < lo) api.setTransform({ x: x + (lo - left), y, k });
      else if (right > vw - margin) api.setTransform({ x: x - (right - (vw - margin)), y, k });
    },
    fitWidth(minK = opts.minZoom!) {
      const k = Math.max(opts.minZoom!, minK, Math.min(1, el.clientWidth / Math.max(1, opts.contentWidth)));
      api.setTransform({ x: 0, y: (current.y / current.k) * k, k });
    },
    panBy(dx, dy) {
      api.setTransform({ x: current.x + dx, y: current.y + dy, k: current.k });
    },
    zoomBy(factor) {
      sel.call(behavior.scaleBy, factor, [0, 0]);
    },
    getTransform: () => current,
    destroy() {
      el.removeEventListener('wheel', onWheel);
      sel.on('.zoom', null);
    },
  };
  return api;
}
