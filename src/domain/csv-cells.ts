/**
 * Cells of the CSV files Rapport writes (exports, report downloads, the console's chart data), kept from running as
 * spreadsheet formulas (CSV injection). The rule is OWASP's: a cell starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return gets a leading single quote, which Excel and Sheets take as "this is text" and do not show. So an
 * E.164 phone number is written `'+351912345678`: shown as text, which also keeps Excel from turning it into
 * 3.51912E+11. A plain negative number (`-12.5`) is left alone: it is a number, not a formula.
 *
 * A cell that already starts with quotes before such a character gets one more, so that `unescapeCsvFormula` (the
 * import's side: one leading quote off when what follows starts like a formula) gives back exactly what was
 * exported, and an exported file imports back as it was.
 */

const formulaStart = /^'*[=+\-@\t\r]/;
const plainNegativeNumber = /^-\d+(\.\d+)?$/;

/** The cell as written to a CSV file: a leading `'` when a spreadsheet would run it as a formula. */
export function escapeCsvFormula(value: string): string {
  return formulaStart.test(value) && !plainNegativeNumber.test(value) ? `'${value}` : value;
}

/** The opposite, for a cell read from a CSV file: `'=SUM(1)` → `=SUM(1)`, `'+351…` → `+351…`; others unchanged. */
export function unescapeCsvFormula(value: string): string {
  return value.charCodeAt(0) === 39 && formulaStart.test(value.slice(1)) ? value.slice(1) : value;
}

/** A cell quoted as RFC 4180 wants (a separator, quote or line break inside: in quotes, quotes doubled). */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'number' ? String(value) : escapeCsvFormula(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line (CRLF-terminated) of cells. */
export function csvLine(cells: ReadonlyArray<string | number | null | undefined>): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}
