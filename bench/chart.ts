// A small SVG line chart, made here (no chart service): latency against offered rate.
export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  points: { x: number; y: number; overloaded?: boolean }[];
}

export interface ChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  /** Horizontal reference lines (targets). */
  hLines?: { y: number; label: string }[];
  width?: number;
  height?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceTicks(max: number): number[] {
  const rough = max / 5;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 2; v += step) ticks.push(Math.round(v * 1e6) / 1e6);
  return ticks;
}

/** Line chart with a linear x axis and a log10 y axis. */
export function lineChart(series: Series[], options: ChartOptions): string {
  const width = options.width ?? 760;
  const height = options.height ?? 440;
  const m = { left: 70, right: 190, top: 58, bottom: 52 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.y) && p.y > 0);
  const xMax = Math.max(1, ...all.map((p) => p.x));
  const yValues = [...all.map((p) => p.y), ...(options.hLines ?? []).map((h) => h.y)];
  const yMin = 10 ** Math.floor(Math.log10(Math.min(...yValues, 1)));
  const yMax = 10 ** Math.ceil(Math.log10(Math.max(...yValues, 1) * 1.05));
  const xTicks = niceTicks(xMax);
  const xEnd = xTicks[xTicks.length - 1] ?? xMax;
  const sx = (x: number): number => m.left + (x / xEnd) * plotW;
  const sy = (y: number): number => m.top + plotH - ((Math.log10(y) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${m.left}" y="24" font-size="16" font-weight="bold">${esc(options.title)}</text>`);
  if (options.subtitle !== undefined) out.push(`<text x="${m.left}" y="42" fill="#555">${esc(options.subtitle)}</text>`);
  // Grid and y ticks (decades and 2x, 5x).
  for (let d = yMin; d <= yMax * 1.0001; d *= 10) {
    for (const k of [1, 2, 5]) {
      const y = d * k;
      if (y > yMax * 1.0001) break;
      const py = sy(y);
      out.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}" stroke="${k === 1 ? '#ccc' : '#eee'}"/>`);
      out.push(`<text x="${m.left - 8}" y="${(py + 4).toFixed(1)}" text-anchor="end" fill="#333">${y >= 1 ? y : y.toPrecision(1)}</text>`);
    }
  }
  for (const x of xTicks) {
    const px = sx(x);
    out.push(`<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${m.top}" y2="${m.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${px.toFixed(1)}" y="${m.top + plotH + 18}" text-anchor="middle" fill="#333">${x}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${m.left + plotW / 2}" y="${height - 12}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  for (const h of options.hLines ?? []) {
    const py = sy(h.y);
    out.push(`<line x1="${m.left}" x2="${m.left + plotW}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}" stroke="#c00" stroke-dasharray="2 4"/>`);
    out.push(`<text x="${m.left + plotW - 4}" y="${(py - 4).toFixed(1)}" text-anchor="end" fill="#c00">${esc(h.label)}</text>`);
  }
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.y) && p.y > 0).sort((a, b) => a.x - b.x);
    if (pts.length > 0) {
      const d = pts.map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`);
      for (const p of pts) {
        out.push(
          p.overloaded === true
            ? `<text x="${sx(p.x).toFixed(1)}" y="${(sy(p.y) + 4).toFixed(1)}" text-anchor="middle" fill="${s.color}" font-weight="bold">×</text>`
            : `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${s.color}"/>`,
        );
      }
    }
    const ly = m.top + 10 + i * 20;
    const lx = m.left + plotW + 14;
    out.push(`<line x1="${lx}" x2="${lx + 26}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(`<text x="${lx + 32}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  const noteY = m.top + 10 + series.length * 20 + 10;
  out.push(`<text x="${m.left + plotW + 14}" y="${noteY}" fill="#555">× = saturated (the rate was</text>`);
  out.push(`<text x="${m.left + plotW + 14}" y="${noteY + 15}" fill="#555">not kept up with)</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
