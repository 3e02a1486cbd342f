import type { BenchmarkResult, SummaryRow } from './types.ts';

export function formatNumber(n: number | null | undefined, digits: number): string {
  if (n === undefined || n === null || Number.isNaN(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function formatRatio(r: number | null): string {
  return r === null ? '–' : `${(r * 100).toFixed(1)}%`;
}

export function formatPass(p: boolean | null): string {
  return p === null ? 'info' : p ? 'PASS' : 'FAIL';
}

/** The summary as rows of cells: name, each metric column, baseline, ratio, target, result. */
export function summaryCells(result: Pick<BenchmarkResult, 'columns' | 'summary'>): string[][] {
  const header = ['', ...result.columns.map((c) => c.label), 'baseline', 'ratio', 'target', 'result'];
  const rows = result.summary.map((r: SummaryRow) => [
    r.name,
    ...result.columns.map((c) => formatNumber(r.metrics[c.key], c.digits)),
    r.baseline ?? '–',
    formatRatio(r.ratio),
    r.target ?? '–',
    formatPass(r.pass),
  ]);
  return [header, ...rows];
}

/** A fixed-width table for the terminal; numeric-looking cells are right-aligned. */
export function textTable(cells: string[][]): string {
  const widths = (cells[0] ?? []).map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const numeric = /^-?[\d.,]+%?$/;
  const line = (row: string[]) =>
    row.map((c, i) => (numeric.test(c) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ');
  const [head, ...body] = cells;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
