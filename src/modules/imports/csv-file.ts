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

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/**
 * UTF-16 without a byte-order mark, told by its zero bytes: text of a CSV is mostly ASCII (separators, digits,
 * quotes), which UTF-16LE writes as the character then a zero byte and UTF-16BE the other way round. Of the first KB,
 * at least a third of one side of the byte pairs is zero and (almost) none of the other.
 */
export function sniffUtf16(head: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const pairs = Math.floor(Math.min(head.length, 1024) / 2);
  if (pairs < 1) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < pairs; i++) {
    if (head[2 * i] === 0) evenZeros++;
    if (head[2 * i + 1] === 0) oddZeros++;
  }
  if (oddZeros >= pairs / 3 && evenZeros <= pairs / 20) return 'utf-16le';
  if (evenZeros >= pairs / 3 && oddZeros <= pairs / 20) return 'utf-16be';
  return null;
}

const signatures: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'an Excel workbook (.xlsx) or another zip archive' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an Excel 97-2003 workbook (.xls)' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x1f, 0x8b], what: 'a gzip archive' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
];

/**
 * Why the start of a file says it is not text at all, or null. A known signature (zip/xlsx, xls, PDF, gzip, images)
 * names what it is; otherwise a file that is not UTF-16 and has NUL bytes is binary when more than 5% of its first
 * bytes are control characters (other than tab, CR, LF and form feed). A text file with a stray NUL in a cell is
 * not binary: that row is refused when the file is imported (`nulCellProblems`).
 */
export function sniffBinary(head: Uint8Array): string | null {
  for (const s of signatures)
    if (head.length >= s.bytes.length && s.bytes.every((b, i) => head[i] === b))
      return `The file is not a CSV: it looks like ${s.what}. Save it as "CSV UTF-8" and upload that.`;
  if (!head.includes(0)) return null;
  let controls = 0;
  for (const b of head) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) controls++;
  if (controls <= head.length / 20) return null;
  return 'The file is not a CSV: it is binary (it has NUL bytes and other control characters that text does not). Save it as "CSV UTF-8" and upload that.';
}

/** The first `bytes` of a file. */
async function readHead(file: string, bytes: number): Promise<Buffer> {
  const fd = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fd.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fd.close();
  }
}

/**
 * UTF-8 unless proven otherwise: a UTF-16 byte-order mark, or the zero bytes of UTF-16 without one (`sniffUtf16`),
 * or a byte sequence that is not UTF-8 anywhere in the file (read in a stream). Such a file is most often
 * Latin-1/Windows-1252 (Excel on Windows).
 */
export async function detectEncoding(file: string): Promise<{ encoding: Encoding; badLine: number | null }> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let first = true;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    if (first) {
      first = false;
      if (chunk[0] === 0xff && chunk[1] === 0xfe) return { encoding: 'utf-16le', badLine: null };
      if (chunk[0] === 0xfe && chunk[1] === 0xff) return { encoding: 'utf-16be', badLine: null };
      const utf16 = sniffUtf16(chunk);
      if (utf16) return { encoding: utf16, badLine: null };
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
  /** Set when the file is not text at all (a workbook, an image, binary data): nothing of it is worth keeping. */
  binary?: string;
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
  const out = await analyse(file);
  // Nothing with a NUL reaches the database (PostgreSQL text cannot hold one): header names lose theirs, and a
  // problem quoting the file shows U+FFFD instead.
  if (out.headers.some((h) => h.includes('\0'))) {
    out.headers = uniqueHeaders(out.headers.map((h) => h.replaceAll('\0', '')));
    out.warnings.push('The header row has NUL bytes (\\0); they were left out of the column names.');
  }
  out.problems = out.problems.map((p) => ({
    ...p,
    message: withoutNul(p.message),
    ...(typeof p.column === 'string' ? { column: withoutNul(p.column) } : {}),
  }));
  return out;
}

/** A NUL byte, which PostgreSQL text cannot hold, shown as U+FFFD (the replacement character). */
export function withoutNul(s: string): string {
  return s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s;
}

async function analyse(file: string): Promise<FileAnalysis> {
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
  // UTF-16 (with a byte-order mark, or told by its zero bytes) has NULs of its own: it is text.
  const start = await readHead(file, 64 * 1024);
  const bom16 = (start[0] === 0xff && start[1] === 0xfe) || (start[0] === 0xfe && start[1] === 0xff);
  const binary = bom16 || sniffUtf16(start) ? null : sniffBinary(start);
  if (binary) {
    out.binary = binary;
    out.problems.push({ code: 'binary', message: binary });
    return out;
  }
  const enc = await detectEncoding(file);
  out.encoding = enc.encoding;
  if (enc.encoding === 'windows-1252')
    out.warnings.push(
      `The file is not UTF-8 (the first non-UTF-8 byte is on line ${enc.badLine ?? '?'}); it was read as Windows-1252 (Latin-1). Check accented letters in the dry run, or save the file as "CSV UTF-8" and upload it again.`,
    );
  if (enc.encoding === 'utf-16le' || enc.encoding === 'utf-16be')
    out.warnings.push(`The file is ${enc.encoding === 'utf-16le' ? 'UTF-16LE' : 'UTF-16BE'}; it was read as such.`);
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
