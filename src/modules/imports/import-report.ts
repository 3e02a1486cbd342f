import { Readable } from 'node:stream';
import type { DbOrTx } from '../../db/client.ts';
import type { ImportMode } from '../../db/schema/index.ts';
import { csvLine } from '../../domain/csv-cells.ts';
import type { FieldProblem } from '../../domain/customers.ts';
import { ambiguousMatch } from '../people/resolve-person.ts';
import { listImportRows, type ImportRowRow } from './imports.repository.ts';

/**
 * A real run lists every rejected row in its report, and the other rows (created, updated, unchanged) among the
 * first this many rows of the file; the rest are counted only (the import's progress). A dry run lists every row.
 * So the report of a 1M-row file holds its rejected rows plus 10,000, and its first rows show what the run did.
 */
export const runReportListedRows = 10_000;

/** Whether a row that was not rejected goes into the report: every row of a dry run, the first ones of a run. */
export function isListed(mode: ImportMode, rowNumber: number): boolean {
  return mode === 'dry_run' || rowNumber <= runReportListedRows;
}

/** Up to which row the report lists every row (after it, only rejected ones); null when it lists them all. */
export function listedThroughRow(mode: ImportMode, totalRows: number): number | null {
  return mode === 'dry_run' || totalRows <= runReportListedRows ? null : runReportListedRows;
}

/**
 * Why a row naming its person by an e-mail address that several people have is refused: the file cannot say which
 * one it means (the API answers such a write with 409 `ambiguous_match`), and a guess would write to the wrong
 * customer. The details are the API's (`reason`, `field`, `value`, `personIds` oldest first).
 */
export function ambiguousEmailRejection(
  field: string,
  email: string,
  people: readonly { id: string }[],
  /** The row's addresses that people have, and theirs, when the row names several addresses. */
  byAddress?: ReadonlyMap<string, readonly { id: string }[]>,
): { problem: FieldProblem; details: Record<string, unknown> } {
  const { details } = ambiguousMatch('email', email, people, field);
  const own = byAddress?.get(email);
  if (byAddress && own && own.length < people.length) {
    // No address of the row is several people's, but its addresses are different people's.
    const whose = [...byAddress].map(([address, ps]) => `${address} is ${ps.map((p) => p.id).join(', ')}`);
    return {
      problem: {
        field,
        message: `the row's addresses belong to ${people.length} different people (${whose.join('; ')}), so it cannot say which one it means: merge them first`,
      },
      details: {
        ...(details as Record<string, unknown>),
        value: [...byAddress.keys()],
        owners: Object.fromEntries([...byAddress].map(([address, ps]) => [address, ps.map((p) => p.id)])),
      },
    };
  }
  return {
    problem: {
      field,
      message: `${people.length} people have the e-mail address ${email}, so the row cannot say which one it means: merge them first`,
    },
    details: details as Record<string, unknown>,
  };
}

/** A rejected row's problem as the report keeps it: its field, and the file's columns the field is read from. */
export type RowProblem = FieldProblem & { columns?: string[] };

/** The field a problem names, without a list index: "emails[1]" → "emails". */
const fieldOf = (field: string) => field.replace(/\[\d+\]$/, '');

/** The file's headers each mapped field is read from, in file order (emails, phones or tags may take several). */
export function columnsOfFields(
  columns: ReadonlyArray<{ index: number; target: string }>,
  headers: readonly string[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { index, target } of columns) {
    const header = headers[index];
    if (!header) continue;
    const list = out.get(target);
    if (list) list.push(header);
    else out.set(target, [header]);
  }
  return out;
}

/**
 * A rejected row's problems as the user reads them: a problem about a mapped field names the file's column as the
 * header writes it (`column "Order date": …`), never the field it is mapped to, which stays in `field` for programs;
 * a problem about the row as a whole (no column gives its field) is its sentence alone.
 */
export function describeRowProblems(
  problems: readonly FieldProblem[],
  columnsOfField: ReadonlyMap<string, readonly string[]>,
): { problems: RowProblem[]; summary: string } {
  const described = problems.map((p): RowProblem => {
    const columns = columnsOfField.get(fieldOf(p.field));
    return columns?.length ? { ...p, columns: [...columns] } : { ...p };
  });
  const summary = described
    .map((p) => {
      const cols = p.columns?.map((c) => `"${c}"`);
      if (!cols) return p.message;
      return `${cols.length === 1 ? 'column' : 'columns'} ${cols.join(', ')}: ${p.message}`;
    })
    .join('; ')
    .slice(0, 1000);
  return { problems: described, summary };
}

export const reportCsvColumns = ['row', 'line', 'action', 'recordId', 'summary', 'details'] as const;

function reportCsvLine(r: ImportRowRow): string {
  return csvLine([r.rowNumber, r.line, r.action, r.recordId, r.summary, JSON.stringify(r.details)]);
}

/** The row report as CSV (a header, then its rows in file order), streamed a page at a time. */
export function reportCsv(
  db: DbOrTx,
  workspaceId: string,
  importId: string,
  q: { mode: ImportMode; action?: ImportRowRow['action'] | undefined },
): Readable {
  async function* generate(): AsyncGenerator<string> {
    yield csvLine(reportCsvColumns);
    let after: number | undefined;
    for (;;) {
      const page = await listImportRows(db, workspaceId, importId, { ...q, after, limit: 1000 });
      if (!page.length) return;
      yield page.map(reportCsvLine).join('');
      after = page[page.length - 1]?.rowNumber;
      if (page.length < 1000) return;
    }
  }
  return Readable.from(generate());
}

/**
 * Why a company row matched on a domain that several companies have is refused, as a person row on a shared e-mail
 * address is: the file cannot say which one it means, and updating the oldest would be a guess. The details name
 * them (`companyIds`, oldest first).
 */
export function ambiguousDomainRejection(
  domain: string,
  companies: readonly { id: string }[],
): { problem: FieldProblem; details: Record<string, unknown> } {
  return {
    problem: {
      field: 'domain',
      message: `${companies.length} companies have the domain ${domain}, so the row cannot say which one it means: merge them first`,
    },
    details: {
      reason: 'ambiguous_match',
      field: 'domain',
      value: domain,
      companyIds: companies.slice(0, 20).map((c) => c.id),
    },
  };
}

/** A company name as rows and companies are compared by it: trimmed, lower-cased. */
export function companyNameKey(name: string): string {
  return name.trim().toLowerCase();
}

/**
 * Why a company row matched on domain is refused when no company has its domain and several companies without a
 * domain have its name: the file cannot say which of them it means (the details name them, oldest first).
 */
export function ambiguousNameRejection(
  name: string,
  domain: string | undefined,
  companies: readonly { id: string }[],
): { problem: FieldProblem; details: Record<string, unknown> } {
  return {
    problem: {
      field: 'name',
      message: `${domain ? `no company has the domain ${domain}, and ` : ''}${companies.length} companies without a domain are named "${name}", so the row cannot say which one it means: merge them first, or give them their domains`,
    },
    details: {
      reason: 'ambiguous_match',
      field: 'name',
      value: name,
      companyIds: companies.slice(0, 20).map((c) => c.id),
    },
  };
}
