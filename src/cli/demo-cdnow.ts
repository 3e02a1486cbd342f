/**
 * `rapport demo cdnow [file]`: the CDNOW transaction log (Fader, Hardie & Lee 2005: 69,659 purchases by 23,570
 * customers, 1997-01 to 1998-06) imported as orders through the CSV import pipeline — the same upload, mapping,
 * checkpointed batches and row report as any orders file. The log is whitespace-separated
 * (`customer_id date number_of_cds dollar_value`, CRLF, dates YYYYMMDD); it is turned into the pipeline's CSV as it
 * streams, rather than teaching the pipeline a second file format: one reader, and the stored upload is an ordinary
 * orders CSV that the console's report and a resumed run read like any other. After the import the metric roll-ups
 * are rebuilt and the purchase models fitted (`fitCdnowModels`), so the analytics and predictions are there at once.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { Database, Db } from '../db/client.ts';
import type { Services } from '../services.ts';
import { importFilePaths, type ImportRow } from '../modules/imports/imports.repository.ts';
import { rebuildMetricRollups } from '../modules/metrics/metrics.rollup.ts';
import {
  refitPurchaseModels,
  type PurchaseModelParams,
  type RefitOutcome,
} from '../modules/predictions/predictions.service.ts';
import { checkSlug } from '../modules/auth/auth.service.ts';
import {
  findWorkspaceBySlug,
  removeWorkspace,
  type WorkspaceRow,
} from '../modules/workspaces/workspaces.repository.ts';
import { demoPassword } from './demo.ts';
import { importThroughPipeline } from './imports.ts';
import { projectRoot } from '../paths.ts';

/** Where the workplace keeps the data set: ../shared/data next to the repository, never inside it. */
export const defaultCdnowFile = path.resolve(projectRoot, '../shared/data/cdnow/CDNOW_master.txt');

const cdnowHeader = ['customer_id', 'date', 'number_of_cds', 'dollar_value'];

/** The pipeline's CSV columns and what each one maps to. */
export const cdnowMapping: Record<string, string> = {
  'Order ID': 'externalId',
  'Customer ID': 'customer.externalId',
  Date: 'placedAt',
  Product: 'line.name',
  Quantity: 'line.quantity',
  Total: 'total',
  Currency: 'currency',
  Status: 'status',
};

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * The CDNOW log as an orders CSV, line by line: each purchase an order `cdnow-<line number>` (the line in the file,
 * the header being line 1 — stable, and two purchases of one customer on one day stay two orders), of customer
 * `cdnow-<customer_id>`, in USD, paid, with one line of `number_of_cds` CDs. A line that is not four fields is
 * passed on as it is, so the import rejects that row with its reason instead of the whole file failing.
 */
export function cdnowToCsv(): Transform {
  let rest = '';
  let lineNo = 0;
  let sawHeader = false;
  const convert = (raw: string): string => {
    lineNo++;
    const fields = raw.trim().split(/\s+/).filter(Boolean);
    if (!sawHeader) {
      if (!fields.length) return '';
      sawHeader = true;
      if (fields.join(' ') !== cdnowHeader.join(' '))
        throw new Error(
          `This is not the CDNOW master log: its first line is "${raw.trim().slice(0, 80)}", not "${cdnowHeader.join(' ')}"`,
        );
      return `${Object.keys(cdnowMapping).join(',')}\n`;
    }
    if (!fields.length) return '';
    const [customer, date, cds, dollars] = fields;
    const row = [
      `cdnow-${lineNo}`,
      customer ? `cdnow-${customer}` : '',
      date ?? '',
      'CD',
      cds ?? '',
      dollars ?? '',
      'USD',
      'paid',
    ];
    if (fields.length > 4) row.push(fields.slice(4).join(' '));
    return `${row.map(csvField).join(',')}\n`;
  };
  return new Transform({
    decodeStrings: true,
    transform(chunk: Buffer, _enc, cb) {
      try {
        const lines = (rest + chunk.toString('latin1')).split('\n');
        rest = lines.pop() ?? '';
        cb(null, lines.map(convert).join(''));
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb) {
      try {
        cb(null, rest ? convert(rest) : '');
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

export type CdnowImport = { workspace: WorkspaceRow; createdWorkspace: boolean; import: ImportRow };

/**
 * Imports the log into the workspace `slug`, made (in UTC, so the dates stay the file's calendar days) when it is not
 * there. Running it again changes nothing: every order and customer is matched by its external id.
 */
export async function importCdnow(
  d: Database,
  s: Services,
  opts: {
    file: string;
    slug: string;
    batchSize?: number | undefined;
    progress?: NodeJS.WritableStream | undefined;
    log?: (line: string) => void;
    fail: (message: string) => Error;
  },
): Promise<CdnowImport> {
  if (!fs.existsSync(opts.file))
    throw opts.fail(
      `The CDNOW log is not at ${opts.file}. It is CDNOW_master.txt of the CDNOW data set (see ../shared/data/cdnow/SOURCE.md in the workplace); pass its path: rapport demo cdnow <file>`,
    );
  // The file and the slug are checked before anything is made: a refused run leaves no workspace behind.
  if (!fs.statSync(opts.file).isFile()) throw opts.fail(`${opts.file} is a folder, not the CDNOW log`);
  const first = firstLine(opts.file);
  if (first.split(/\s+/).join(' ') !== cdnowHeader.join(' '))
    throw opts.fail(
      `${opts.file} is not the CDNOW master log: its first line is "${first.slice(0, 80)}", not "${cdnowHeader.join(' ')}"`,
    );
  let workspace = await findWorkspaceBySlug(d.db, checkSlug(opts.slug));
  let createdWorkspace = false;
  if (!workspace) {
    workspace = (
      await s.auth.createWorkspace(
        {
          workspaceName: 'CDNOW (demo)',
          slug: opts.slug,
          ownerName: 'CDNOW Analyst',
          ownerEmail: 'analyst@cdnow.example',
          password: demoPassword,
          timezone: 'UTC',
        },
        { firstRunOnly: false },
      )
    ).workspace;
    createdWorkspace = true;
  }
  const open = (): Readable => fs.createReadStream(opts.file).pipe(cdnowToCsv());
  const made = workspace;
  const imp = await importThroughPipeline(
    d,
    s,
    workspace,
    {
      entity: 'order',
      open,
      fileName: `${path.basename(opts.file)} (as CSV)`,
      mapping: cdnowMapping,
      batchSize: opts.batchSize,
      progress: opts.progress,
      log: opts.log,
    },
    opts.fail,
  ).catch(async (err: unknown) => {
    // A workspace made by this run goes with a failed import, so that the same command can run again — and so do
    // the files its uploads stored under the data folder, which nothing would read again.
    if (createdWorkspace) {
      const files = await importFilePaths(d.db, made.id);
      await removeWorkspace(d.db, made.id);
      for (const f of files) fs.rmSync(f, { force: true });
      removeEmptyFolders(new Set(files.map((f) => path.dirname(f))));
    }
    throw err;
  });
  return { workspace, createdWorkspace, import: imp };
}

/** Removes the folders a removed workspace's uploads were in, once nothing is left in them. */
function removeEmptyFolders(folders: ReadonlySet<string>): void {
  for (const dir of folders)
    if (fs.existsSync(dir) && fs.readdirSync(dir).length === 0) fs.rmSync(dir, { recursive: true, force: true });
}

/** The first non-blank line of a file (of its first 64 KiB), trimmed. */
function firstLine(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(65536);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return (
      buf
        .subarray(0, n)
        .toString('latin1')
        .split('\n')
        .map((l) => l.trim())
        .find(Boolean) ?? ''
    );
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * What the server's jobs would do within a minute or two of the import, done now so that `rapport demo cdnow` leaves
 * a workspace ready to read: the workspace's metric roll-ups rebuilt from its orders, then its purchase models (BG/NBD
 * + Gamma-Gamma, per currency) fitted and every customer scored.
 */
export async function fitCdnowModels(db: Db, workspaceId: string): Promise<RefitOutcome[]> {
  await rebuildMetricRollups(db, workspaceId);
  return refitPurchaseModels(db, workspaceId);
}

const fourDigits = (n: number) => n.toPrecision(4);

/** One line per currency: what was fitted (parameters per day, as stored), or why it was not. */
export function describeRefit(o: RefitOutcome): string {
  if (o.status === 'skipped') return `Predictions (${o.currency}): not fitted — ${o.reason}.`;
  const m = o.model;
  // Written by refitPurchaseModels in this shape (the column is an open JSON record).
  const bg = (m.params as PurchaseModelParams).bgNbd;
  return `Predictions (${m.currency}): model v${m.version} on ${m.customers} customers, data up to ${m.asOf.toISOString().slice(0, 10)} — BG/NBD r=${fourDigits(bg.r)} α=${fourDigits(bg.alpha)} a=${fourDigits(bg.a)} b=${fourDigits(bg.b)} (α in days).`;
}
