/**
 * Visible scrollbars for the ladder viewport. The ladder pans through a d3-zoom transform (not
 * native scrolling), so these are two native scroll strips whose inner spacer is as large as the
 * zoomed ladder: moving a strip pans the ladder, and panning the ladder (wheel, drag, keyboard,
 * revealing the selected arrow) moves the strip. Hosts to the right or rows below are therefore
 * always reachable by a visible bar, and the bar shows how much of the ladder is in view.
 */
import { useEffect, useRef } from 'react';
import type { RefObject } from 'react';
import type { PanZoom, Transform } from './pan-zoom.ts';

export function LadderScrollbars({ width, height, view, transform, panZoom }: { width: number; height: number; view: { w: number; h: number }; transform: Transform; panZoom: RefObject<PanZoom | null> }) {
  const hRef = useRef<HTMLDivElement>(null);
  const vRef = useRef<HTMLDivElement>(null);
  const { x, y, k } = transform;
  const contentW = width * k;
  const contentH = height * k + 40;
  const needH = contentW > view.w + 1;
  const needV = contentH > view.h + 1;

  // Ladder → bars.
  useEffect(() => {
    const h = hRef.current;
    const v = vRef.current;
    if (h && Math.abs(h.scrollLeft + x) > 0.5) h.scrollLeft = -x;
    if (v && Math.abs(v.scrollTop + y) > 0.5) v.scrollTop = -y;
  }, [x, y, needH, needV]);

  // Bars → ladder.
  const onScroll = (): void => {
    const pz = panZoom.current;
    if (!pz) return;
    const t = pz.getTransform();
    // An echo of the ladder moving the bar: nothing to do.
    const dx = hRef.current ? Math.abs(hRef.current.scrollLeft + t.x) : 0;
    const dy = vRef.current ? Math.abs(vRef.current.scrollTop + t.y) : 0;
    if (dx < 1 && dy < 1) return;
    pz.setTransform({ x: hRef.current ? -hRef.current.scrollLeft : t.x, y: vRef.current ? -vRef.current.scrollTop : t.y, k: t.k });
  };

  return (
    <>
      {needH && (
        <div className="ladder-scroll-x" ref={hRef} onScroll={onScroll} data-testid="ladder-scroll-x" aria-hidden="true">
          <div style={{ width: contentW, height: 1 }} />
        </div>
      )}
      {needV && (
        <div className="ladder-scroll-y" ref={vRef} onScroll={onScroll} data-testid="ladder-scroll-y" aria-hidden="true">
          <div style={{ height: contentH, width: 1 }} />
        </div>
      )}
    </>
  );
}
