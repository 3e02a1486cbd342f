import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeCsvFormula, csvLine, unescapeCsvFormula } from '../../domain/csv-cells.ts';
import { analyseFile, readRecords, sniffBinary, sniffUtf16 } from './csv-file.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-csv-file-'));
let n = 0;
function file(text: string): string {
  const f = path.join(dir, `f${n++}.csv`);
  fs.writeFileSync(f, text);
  return f;
}

async function lines(f: string): Promise<Array<[string, number]>> {
  const out: Array<[string, number]> = [];
  for await (const r of readRecords(f, 'utf-8', ',')) out.push([r.values[0] ?? '', r.line]);
  return out;
}

describe('readRecords line numbers', () => {
  it('names the line each record starts on, after quoted cells holding CRLF and LF line breaks', async () => {
    const text = [
      'name,note', // 1
      'a,"one\r\ntwo\r\nthree"', // 2-4 (CRLF inside the cell)
      'b,"x\ny"', // 5-6 (LF inside a CRLF file)
      'c,plain', // 7
      '', // 8, empty: skipped
      'd,"p\r\nq\nr"', // 9-11
      'e,last', // 12
    ].join('\r\n');
    expect(await lines(file(`${text}\r\n`))).toEqual([
      ['name', 1],
      ['a', 2],
      ['b', 5],
      ['c', 7],
      ['d', 9],
      ['e', 12],
    ]);
    // The same in an LF file (and a CRLF inside a cell of it), with a byte-order mark and no final line break.
    const lf = '\ufeffname,note\na,"one\r\ntwo"\nb,"x\ny"\n\n\nc,z';
    expect(await lines(file(lf))).toEqual([
      ['name', 1],
      ['a', 2],
      ['b', 4],
      ['c', 8],
    ]);
  });

  it('reports a bad row after multi-line cells at its own line and column', async () => {
    // Lines: 1 header, 2-4 Ann, 5-6 Bob, 7 Cy.
    const f = file('name,email\r\nAnn,"a\r\nb\r\nc"\r\nBob,"x\ny"\r\nCy "C" Lee,cy@x.example\r\n');
    const a = await analyseFile(f);
    expect(a.problems[0]).toMatchObject({ code: 'bad_quoting', line: 7, column: '1 ("name")' });
    expect(a.problems[0]?.message).toMatch(/^Bad quoting at line 7, column 1 \("name"\)/);

    const closing = await analyseFile(file('name,email\r\nAnn,"a\r\nb"\r\n"Bob" B,b@x.example\r\n'));
    expect(closing.problems[0]).toMatchObject({ code: 'bad_quoting', line: 4, column: '1 ("name")' });

    // A quote that never closes is noticed at the end of the file: the report names the row it opened in.
    const unclosed = await analyseFile(
      file('name,email\r\nAnn,"a\r\nb"\r\n\r\nBob,"bob@x.example\r\nCy,c\r\nDi,d\r\n'),
    );
    expect(unclosed.problems[0]).toMatchObject({ code: 'bad_quoting', line: 5 });
    expect(unclosed.problems[0]?.message).toContain('the row that starts on line 5 is never closed');
  });
});

describe('CSV cells against formulas (OWASP)', () => {
  it('prefixes a quote to cells a spreadsheet would run, and the import takes it off again', () => {
    const cases: Array<[string, string]> = [
      ['=SUM(1)', "'=SUM(1)"],
      ['+351912345678', "'+351912345678"],
      ['-1+2', "'-1+2"],
      ['@cmd', "'@cmd"],
      ['\tx', "'\tx"],
      ['\rx', "'\rx"],
      ["'=already", "''=already"],
      ['-12.5', '-12.5'],
      ['plain', 'plain'],
      ["'quoted", "'quoted"],
      ['', ''],
    ];
    for (const [value, written] of cases) {
      expect(escapeCsvFormula(value), value).toBe(written);
      expect(unescapeCsvFormula(written), value).toBe(value);
    }
    expect(csvLine(['=1', 'a,b', null, 3, '-4'])).toBe(`'=1,"a,b",,3,-4\r\n`);
  });
});

describe('sniffUtf16 and sniffBinary', () => {
  const csv = 'name,email\nAnn,ann@x.example\n';
  it('tells UTF-16 without a byte-order mark by its zero bytes, and binary from text with a stray NUL', () => {
    expect(sniffUtf16(Buffer.from(csv, 'utf16le'))).toBe('utf-16le');
    expect(sniffUtf16(Buffer.from(csv, 'utf16le').swap16())).toBe('utf-16be');
    expect(sniffUtf16(Buffer.from(csv))).toBeNull();
    expect(sniffBinary(Buffer.from(csv))).toBeNull();
    expect(sniffBinary(Buffer.from(`name,email\nA\0nn,ann@x.example\n${'Bob,bob@x.example\n'.repeat(5)}`))).toBeNull();
    expect(sniffBinary(Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 256)))).toMatch(/it is binary/);
    expect(sniffBinary(Buffer.from('PK\x03\x04rest', 'latin1'))).toMatch(/Excel workbook \(\.xlsx\)/);
    expect(sniffBinary(Buffer.from('%PDF-1.7\n'))).toMatch(/PDF document/);
  });

  it('reads a UTF-16 file without a byte-order mark', async () => {
    const f = path.join(dir, `f${n++}.csv`);
    fs.writeFileSync(f, Buffer.from(csv, 'utf16le'));
    expect(await analyseFile(f)).toMatchObject({ encoding: 'utf-16le', headers: ['name', 'email'], totalRows: 1 });
  });
});
