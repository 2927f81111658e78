/**
 * Ladder → standalone SVG / PNG, and Blob downloads. The export draws the same layers as the
 * screen (LadderLayers.tsx) for *every* row, with the current host layout, folding, time mode,
 * overlays, selection and evidence highlight — so it is what the user sees, whole rather than
 * clipped to the viewport. It renders into a hidden node inside the document (so the stylesheet
 * and theme apply), copies each element's computed presentation styles inline, and serialises;
 * the result needs no stylesheet. PNG goes through an <img> of that SVG onto a canvas.
 */
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import type { LadderLayout } from '../ladder/layout.ts';
import { BodyLayers, GutterFrames, GutterTexts, HEADER_HEIGHT, SvgHeader } from '../ladder/LadderLayers.tsx';
import type { RowRenderState } from '../ladder/LadderLayers.tsx';

const SVG_NS = 'http://www.w3.org/2000/svg';
const STYLE_PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'stroke-opacity',
  'stroke-linecap',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'text-anchor',
  'dominant-baseline',
  'visibility',
  'display',
  'paint-order',
] as const;

function ExportSvg({ layout, state, title }: { layout: LadderLayout; state: RowRenderState; title: string }) {
  const top = HEADER_HEIGHT + 22;
  const w = layout.width;
  const h = layout.height + top + 16;
  return (
    <svg xmlns={SVG_NS} className="ladder-svg export" width={w} height={h} viewBox={`0 0 ${w} ${h}`} role="img" aria-label={title}>
      <rect className="export-bg" x={0} y={0} width={w} height={h} />
      <text className="export-title" x={8} y={15}>
        {title}
      </text>
      <g transform="translate(0,20)">
        <SvgHeader layout={layout} />
      </g>
      <g transform={`translate(0,${top})`}>
        <BodyLayers layout={layout} from={0} to={layout.rows.length} y0={0} y1={layout.height} state={state} interactive={false} />
        <g className="gutter">
          <GutterTexts layout={layout} from={0} to={layout.rows.length} selected={state.selected} />
          <GutterFrames layout={layout} from={0} to={layout.rows.length} />
        </g>
      </g>
    </svg>
  );
}

function inlineStyles(root: Element): void {
  const all = [root, ...root.querySelectorAll('*')];
  for (const el of all) {
    const cs = getComputedStyle(el);
    const parts: string[] = [];
    for (const p of STYLE_PROPS) {
      const v = cs.getPropertyValue(p);
      if (v && v !== 'normal' && v !== 'auto') parts.push(`${p}:${v}`);
    }
    el.setAttribute('style', parts.join(';'));
  }
}

/** The ladder as a standalone SVG document (string). */
export function ladderSvgString(layout: LadderLayout, state: RowRenderState, title: string): string {
  const host = document.createElement('div');
  host.className = 'export-host';
  host.setAttribute('aria-hidden', 'true');
  document.body.appendChild(host);
  const root = createRoot(host);
  try {
    flushSync(() => root.render(<ExportSvg layout={layout} state={state} title={title} />));
    const svg = host.querySelector('svg');
    if (!svg) throw new Error('export: the ladder did not render');
    inlineStyles(svg);
    svg.removeAttribute('class');
    const text = new XMLSerializer().serializeToString(svg);
    return `<?xml version="1.0" encoding="UTF-8"?>\n${text}\n`;
  } finally {
    root.unmount();
    host.remove();
  }
}

/** Rasterise an SVG string to PNG (2× when it fits the canvas limits). */
export async function svgToPng(svg: string, width: number, height: number): Promise<Blob> {
  const MAX_SIDE = 16384;
  const MAX_AREA = 120e6;
  let scale = 2;
  while (scale > 0.1 && (width * scale > MAX_SIDE || height * scale > MAX_SIDE || width * height * scale * scale > MAX_AREA)) scale /= 2;
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(width * scale);
    canvas.height = Math.ceil(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser cannot draw on a canvas');
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be encoded (image too large?)'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Offer a Blob as a download. */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** A file-name-safe stem from a Call-ID or capture name. */
export function fileStem(s: string): string {
  return s.replace(/\.(pcapng|pcap|cap)(\.gz)?$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'ladder';
}
