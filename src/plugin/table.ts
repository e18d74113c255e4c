// Aligned columns as kubectl prints them (its tabwriter: minimum width 6, padding 3), with
// every cell made printable: names and reasons come from the cluster and may hold anything.
import { printable } from '../text/text.ts';

const PADDING = 3;
const MIN_WIDTH = 6;
const NONE = '<none>';

export type Cell = string | number | boolean | null | undefined;

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined || cell === '') return NONE;
  return printable(String(cell)).replace(/\s+/g, ' ');
}

export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cells = [headers.map((h) => h), ...rows.map((row) => headers.map((_, i) => cellText(row[i])))];
  const widths = headers.map((_, i) => Math.max(MIN_WIDTH, ...cells.map((row) => (row[i] ?? '').length + PADDING)));
  return cells
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('').trimEnd())
    .join('\n')
    .concat('\n');
}
