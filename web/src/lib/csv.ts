import { csvLine } from '../../../src/domain/csv-cells.ts';

/**
 * A CSV file of rows (the first is the header), quoted where needed, with text a spreadsheet would run as a formula
 * kept as text: the same cells as the server's exports (src/domain/csv-cells.ts).
 */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  return rows.map(csvLine).join('');
}
export function downloadCsv(fileName: string, rows: ReadonlyArray<ReadonlyArray<string | number | null>>): void {
  const url = URL.createObjectURL(new Blob([toCsv(rows)], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
