// Tables rendered twice: padded text for the terminal, and Markdown for bench/results/.
export interface Table {
  title: string;
  head: string[];
  rows: string[][];
  note?: string;
}

export function textTable(t: Table): string {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [`== ${t.title}`, line(t.head), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line), ...(t.note ? [t.note] : [])].join('\n');
}

export function markdownTable(t: Table): string {
  const row = (cells: string[]): string => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    `### ${t.title}`,
    '',
    row(t.head),
    `|${t.head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...t.rows.map(row),
    ...(t.note ? ['', t.note] : []),
  ].join('\n');
}

export const ms = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
export const ratio = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : `${v.toFixed(2)}x`);
export const int = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : Math.round(v).toLocaleString('en-US'));
