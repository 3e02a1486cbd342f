import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, type CsvError } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { AppError } from '../../errors.ts';
import { describeCsvError } from '../../domain/imports.ts';
import type { ImportFileProblem } from '../../db/schema/index.ts';

/** The longest row accepted, in characters: a longer one is almost always a quote that never closes. */
export const maxRecordChars = 1_000_000;
/** Uploads larger than this are refused while they stream in. */
export const maxUploadBytes = 2 * 1024 * 1024 * 1024;

export type SavedFile = { size: number; sha256: string };

/** Streams an upload to disk (never whole in memory), hashing it; refuses one over `maxBytes`. */
export async function saveUpload(source: Readable, dest: string, maxBytes = maxUploadBytes): Promise<SavedFile> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const hash = crypto.createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > maxBytes)
        return cb(new AppError('payload_too_large', `The file is larger than ${Math.round(maxBytes / 1048576)} MB`));
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, fs.createWriteStream(dest));
  } catch (err) {
    fs.rmSync(dest, { force: true });
    throw err;
  }
  return { size, sha256: hash.digest('hex') };
}

export type Encoding = 'utf-8' | 'utf-16le' | 'windows-1252';

/**
 * UTF-8 unless proven otherwise: a UTF-16 byte-order mark, or a byte sequence that is not UTF-8 anywhere in the
 * file (read in a stream). Such a file is most often Latin-1/Windows-1252 (Excel on Windows).
 */
export async function detectEncoding(file: string): Promise<{ encoding: Encoding; badLine: number | null }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let first = true;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (first) {
      first = false;
      if (chunk[0] === 0xff && chunk[1] === 0xfe) return { encoding: 'utf-16le', badLine: null };
    }
    try {
      decoder.decode(chunk, { stream: true });
    } catch {
      const at = firstInvalidUtf8(chunk);
      for (let i = 0; i < at; i++) if (chunk[i] === 0x0a) line++;
      return { encoding: 'windows-1252', badLine: line };
    }
    for (const b of chunk) if (b === 0x0a) line++;
  }
  try {
    decoder.decode();
  } catch {
    return { encoding: 'windows-1252', badLine: line };
  }
  return { encoding: 'utf-8', badLine: null };
}

/** Index of the first byte that cannot start or continue a UTF-8 sequence (continuations at the very start skipped). */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length && i < 3 && ((buf[i] as number) & 0xc0) === 0x80) i++;
  while (i < buf.length) {
    const b = buf[i] as number;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (!len) return i;
    for (let k = 1; k < len; k++) {
      if (i + k >= buf.length) return buf.length;
      if (((buf[i + k] as number) & 0xc0) !== 0x80) return i;
    }
    i += len;
  }
  return buf.length;
}

/** The separator of the header line: the most frequent of , ; and tab outside quotes (comma on a tie). */
export function sniffDelimiter(headerLine: string): string {
  const counts: Record<string, number> = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch in counts) counts[ch] = (counts[ch] ?? 0) + 1;
  }
  let best = ',';
  for (const d of [';', '\t']) if ((counts[d] ?? 0) > (counts[best] ?? 0)) best = d;
  return best;
}

async function firstLine(file: string, encoding: Encoding): Promise<string> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fd.read(buf, 0, buf.length, 0);
    const text = iconv.decode(buf.subarray(0, bytesRead), encoding);
    return text.split(/\r?\n/)[0] ?? '';
  } finally {
    await fd.close();
  }
}

/** A record and the file line it starts on (1 = the first line), as an editor numbers lines. */
export type CsvRecord = { values: string[]; line: number };

/** CRLF pairs in a value. */
function crlfPairs(v: string): number {
  let n = 0;
  for (let i = v.indexOf('\r\n'); i !== -1; i = v.indexOf('\r\n', i + 2)) n++;
  return n;
}

/**
 * Turns csv-parse's line counts into the lines an editor shows. csv-parse counts every CR and every LF inside a
 * quoted cell (a CRLF there is two lines to it, one to an editor), and its `info.lines` is where a record ends:
 * a report names the line a record starts on. The start is the line after the previous record's end, past the
 * empty lines skipped in between (`empty_lines`).
 */
export class LineCounter {
  /** CRLF pairs inside the cells read so far: what csv-parse counted twice. */
  private extra = 0;
  private lastEnd = 0;
  private lastEmpty = 0;

  /** The start line of a record just parsed, given its info snapshot. */
  record(values: readonly string[], info: { lines: number; empty_lines: number }): number {
    for (const v of values) if (v.includes('\r')) this.extra += crlfPairs(v);
    const start = this.lastEnd + 1 + (info.empty_lines - this.lastEmpty);
    this.lastEnd = info.lines - this.extra;
    this.lastEmpty = info.empty_lines;
    return start;
  }

  /** A parse error's line, corrected by the double counts of the records before it. */
  errorLine(lines: number): number {
    return Math.max(lines - this.extra, this.lastEnd + 1);
  }

  /** The line the record that failed to parse starts on. */
  errorRecordStart(emptyLines: number | undefined): number {
    return this.lastEnd + 1 + Math.max(0, (emptyLines ?? this.lastEmpty) - this.lastEmpty);
  }
}

/** A csv-parse error with the lines an editor shows: `lines` where it happened, `recordLine` where its record starts. */
export type CsvReadError = CsvError & { lines?: number; column?: number | string | null; recordLine?: number };

/**
 * Reads the file as a stream of records (the header first), decoding it and parsing with bounded row size. Each
 * record comes with the line it starts on; a parse error's `lines` is corrected the same way (see LineCounter).
 */
export async function* readRecords(file: string, encoding: Encoding, delimiter: string): AsyncGenerator<CsvRecord> {
  const input = fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  const lines = new LineCounter();
  // Counted as the parser makes each record (on_record), not as the loop below takes them: records parsed in the
  // same chunk as an error never reach the loop, and their lines must still count for the error's.
  const starts: number[] = [];
  let taken = 0;
  const parser = parse({
    bom: true,
    delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: maxRecordChars,
    on_record: (record: string[], info) => {
      starts.push(lines.record(record, info));
      return record;
    },
  });
  const source = encoding === 'utf-8' ? input : input.pipe(iconv.decodeStream(encoding));
  input.on('error', (e) => parser.destroy(e));
  source.pipe(parser);
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const line = starts[taken++] ?? 0;
      if (taken >= 4096) {
        starts.splice(0, taken);
        taken = 0;
      }
      yield { values: record, line };
    }
  } catch (err) {
    if (isCsvError(err)) {
      const e = err as CsvReadError & { empty_lines?: number };
      e.recordLine = lines.errorRecordStart(e.empty_lines);
      if (typeof e.lines === 'number') e.lines = lines.errorLine(e.lines);
    }
    throw err;
  } finally {
    input.destroy();
  }
}

/** Makes header names unique and non-empty ("Email", "Email (2)", "Column 3"). */
export function uniqueHeaders(raw: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return raw.map((h, i) => {
    const base = h.trim() || `Column ${i + 1}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base} (${n})`;
  });
}

export type FileAnalysis = {
  encoding: Encoding;
  delimiter: string;
  headers: string[];
  totalRows: number;
  warnings: string[];
  problems: ImportFileProblem[];
};

function headerOf(line: string, delimiter: string): string[] {
  try {
    const [first] = parseSync(line, { delimiter, relax_column_count: true, bom: true }) as string[][];
    return uniqueHeaders(first ?? []);
  } catch {
    return [];
  }
}

function isCsvError(e: unknown): e is CsvError {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string';
}

/**
 * Reads the whole file once, in a stream: encoding, separator, header, row count, and anything that makes it
 * unreadable (bad quoting, an over-long row, no rows). Never throws for a bad file: problems are the report.
 */
export async function analyseFile(file: string): Promise<FileAnalysis> {
  const out: FileAnalysis = {
    encoding: 'utf-8',
    delimiter: ',',
    headers: [],
    totalRows: 0,
    warnings: [],
    problems: [],
  };
  const size = fs.statSync(file).size;
  if (size === 0) {
    out.problems.push({ code: 'empty', message: 'The file is empty.' });
    return out;
  }
  const enc = await detectEncoding(file);
  out.encoding = enc.encoding;
  if (enc.encoding === 'windows-1252')
    out.warnings.push(
      `The file is not UTF-8 (the first non-UTF-8 byte is on line ${enc.badLine ?? '?'}); it was read as Windows-1252 (Latin-1). Check accented letters in the dry run, or save the file as "CSV UTF-8" and upload it again.`,
    );
  if (enc.encoding === 'utf-16le') out.warnings.push('The file is UTF-16; it was read as such.');
  const head = await firstLine(file, enc.encoding);
  out.delimiter = sniffDelimiter(head);
  try {
    for await (const r of readRecords(file, out.encoding, out.delimiter)) {
      if (!out.headers.length) {
        out.headers = uniqueHeaders(r.values);
        continue;
      }
      out.totalRows++;
    }
  } catch (err) {
    if (!isCsvError(err)) throw err;
    const e = err as CsvReadError;
    // A parse error drops the records parsed with it from the stream: read the header line on its own.
    if (!out.headers.length) out.headers = headerOf(head, out.delimiter);
    // A record too long, or a quote never closed, is noticed far from where its row starts: name that line.
    const atRecord = e.code === 'CSV_MAX_RECORD_SIZE' || e.code === 'CSV_QUOTE_NOT_CLOSED';
    const d = describeCsvError(
      { code: e.code, message: e.message, lines: atRecord ? (e.recordLine ?? e.lines) : e.lines, column: e.column },
      out.headers,
      maxRecordChars,
    );
    if (e.code === 'CSV_QUOTE_NOT_CLOSED' && e.recordLine !== undefined)
      d.message = `Bad quoting: a quote opened in the row that starts on line ${e.recordLine} is never closed, so the rest of the file would be one field.`;
    out.problems.push(d);
    return out;
  }
  if (!out.headers.length) out.problems.push({ code: 'empty', message: 'The file has no rows, not even a header.' });
  else if (out.totalRows === 0)
    out.problems.push({ code: 'no_rows', message: 'The file has a header row but no data rows.' });
  return out;
}
