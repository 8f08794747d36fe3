import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import chardet from 'chardet';
import { parse as csvParse } from 'csv-parse';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { disambiguateHeaders } from './fields.ts';

/** Spreadsheet files are read as streams: a 512 MB / 1M-row file is never held in memory whole. */

export class UnparseableFile extends Error {}

export interface TableRow {
  /** As a spreadsheet shows it: the header is row 1 (CSV counts records, XLSX uses the sheet's row numbers). */
  rowNumber: number;
  cells: string[];
}

export interface OpenedTable {
  columns: string[];
  encoding: string | null;
  delimiter: string | null;
  rows: AsyncGenerator<TableRow>;
}

export const XLSX_MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const SAMPLE_BYTES = 64 * 1024;

async function readSample(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SAMPLE_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** UTF-8 (with or without BOM), UTF-16 by BOM, otherwise what chardet reads (Latin-1 is read as its superset Windows-1252). */
export function detectEncoding(sample: Buffer): string {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return 'utf8';
  if (sample[0] === 0xff && sample[1] === 0xfe) return 'utf16le';
  if (sample[0] === 0xfe && sample[1] === 0xff) return 'utf16be';
  try {
    // stream: true tolerates a character cut at the end of the sample.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return 'utf8';
  } catch {}
  const guess = String(chardet.detect(sample) ?? '').toLowerCase();
  if (!guess || guess === 'iso-8859-1' || guess === 'windows-1252' || guess === 'ascii') return 'win1252';
  return iconv.encodingExists(guess) ? guess : 'win1252';
}

/** The candidate that splits the header line most often (outside quotes); a comma when none does. */
export function detectDelimiter(text: string): string {
  const firstLine = text.split(/\r?\n/).find((l) => l.trim().length > 0) ?? '';
  const counts = new Map<string, number>([
    [',', 0],
    [';', 0],
    ['\t', 0],
    ['|', 0],
  ]);
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  for (const [d, n] of counts) if (n > counts.get(best)!) best = d;
  return best;
}

// PostgreSQL text cannot hold NUL; a stray one in an export is dropped rather than failing the file.
const clean = (s: string) => (s.includes('\u0000') ? s.replaceAll('\u0000', '') : s);
const isEmptyRow = (cells: string[]) => cells.every((c) => c.trim() === '');

async function openCsv(path: string): Promise<OpenedTable> {
  const sample = await readSample(path);
  const encoding = detectEncoding(sample);
  const text = encoding === 'utf8' ? sample.toString('utf8') : iconv.decode(sample, encoding);
  const delimiter = detectDelimiter(text.replace(/^\uFEFF/, ''));
  const source: Readable | NodeJS.ReadWriteStream =
    encoding === 'utf8' ? createReadStream(path) : createReadStream(path).pipe(iconv.decodeStream(encoding));
  const parser = source.pipe(
    csvParse({
      delimiter,
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      encoding: encoding === 'utf8' ? 'utf8' : undefined,
    }),
  );
  source.on('error', (err: Error) => parser.destroy(err));
  const iterator = parser[Symbol.asyncIterator]() as AsyncIterator<string[]>;
  const next = async () => {
    try {
      return await iterator.next();
    } catch (err) {
      throw new UnparseableFile(`The CSV file cannot be read: ${(err as Error).message}`);
    }
  };
  let header: string[] | undefined;
  for (;;) {
    const r = await next();
    if (r.done) break;
    if (!isEmptyRow(r.value)) {
      header = r.value.map(clean);
      break;
    }
  }
  if (!header) throw new UnparseableFile('The file has no header row.');
  const columns = disambiguateHeaders(header);
  async function* rows(): AsyncGenerator<TableRow> {
    let n = 1;
    try {
      for (;;) {
        const r = await next();
        if (r.done) return;
        if (isEmptyRow(r.value)) continue;
        n += 1;
        yield { rowNumber: n, cells: r.value.map(clean) };
      }
    } finally {
      parser.destroy();
      (source as Readable).destroy?.();
    }
  }
  return { columns, encoding, delimiter, rows: rows() };
}

function cellText(v: unknown): string {
  if (v == null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    const o = v as Record<string, any>;
    if (Array.isArray(o.richText)) return o.richText.map((t: any) => t.text ?? '').join('');
    if ('result' in o) return cellText(o.result);
    if ('text' in o) return cellText(o.text);
    if ('error' in o) return '';
  }
  return String(v);
}

async function openXlsx(path: string): Promise<OpenedTable> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'ignore',
    worksheets: 'emit',
    entries: 'emit',
  });
  const sheetRows = async function* () {
    try {
      for await (const sheet of reader) {
        for await (const row of sheet as any) {
          const values = (row.values as unknown[]) ?? [];
          // exceljs row values are 1-based.
          yield { rowNumber: row.number as number, cells: values.slice(1).map((v) => clean(cellText(v))) };
        }
        return; // the first worksheet only
      }
    } catch (err) {
      if (err instanceof UnparseableFile) throw err;
      throw new UnparseableFile(`The XLSX file cannot be read: ${(err as Error).message}`);
    }
  };
  const it = sheetRows();
  let header: string[] | undefined;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    if (!isEmptyRow(r.value.cells)) {
      header = r.value.cells;
      break;
    }
  }
  if (!header) throw new UnparseableFile('The workbook has no header row.');
  const columns = disambiguateHeaders(header);
  async function* rows(): AsyncGenerator<TableRow> {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      // Sparse rows come back shorter; pad so positions match the header.
      const cells = r.value.cells.map((c) => c ?? '');
      if (!isEmptyRow(cells)) yield { rowNumber: r.value.rowNumber, cells };
    }
  }
  return { columns, encoding: null, delimiter: null, rows: rows() };
}

export function openTable(path: string, format: 'csv' | 'xlsx'): Promise<OpenedTable> {
  return format === 'xlsx' ? openXlsx(path) : openCsv(path);
}
