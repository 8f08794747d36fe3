import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, createTenant, createTestApp, type TestApp, type TestTenant } from '../../../test/helpers.ts';
import { disambiguateHeaders, suggestMapping } from './fields.ts';
import { openTable, XLSX_MEDIA_TYPE } from './parse.ts';

const dir = mkdtempSync(join(tmpdir(), 'helio-import-files-'));
let n = 0;
function file(content: string | Buffer) {
  const path = join(dir, `f${++n}`);
  writeFileSync(path, content);
  return path;
}

async function readAll(path: string, format: 'csv' | 'xlsx' = 'csv') {
  const table = await openTable(path, format);
  const rows: { rowNumber: number; cells: string[] }[] = [];
  for await (const r of table.rows) rows.push(r);
  return { ...table, rows };
}

async function xlsxBuffer(build: (ws: ExcelJS.Worksheet) => void) {
  const wb = new ExcelJS.Workbook();
  build(wb.addWorksheet('People'));
  return Buffer.from(await wb.xlsx.writeBuffer());
}

let t: TestApp;
let a: TestTenant;
beforeAll(async () => {
  t = await createTestApp();
  a = await createTenant(t);
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('awkward spreadsheet exports', () => {
  it('semicolons, quoted newlines and delimiters, a UTF-8 BOM, CRLF, empty lines, repeated headers', async () => {
    const csv =
      '\uFEFFName;Email;Email;Notes\r\n' +
      '\r\n' +
      '"Byrne; Ada";ada@example.com;ada2@example.com;"line one\r\nline two"\r\n' +
      ';;;\r\n' +
      '\r\n' +
      'Zoë Ó Súilleabháin;zoe@example.com;;"say ""hi"""\r\n';
    const t1 = await readAll(file(csv));
    expect(t1.delimiter).toBe(';');
    expect(t1.encoding).toBe('utf8');
    expect(t1.columns).toEqual(['Name', 'Email', 'Email (2)', 'Notes']);
    expect(t1.rows).toEqual([
      { rowNumber: 2, cells: ['Byrne; Ada', 'ada@example.com', 'ada2@example.com', 'line one\r\nline two'] },
      { rowNumber: 3, cells: ['Zoë Ó Súilleabháin', 'zoe@example.com', '', 'say "hi"'] },
    ]);
    expect(suggestMapping(t1.columns)).toEqual({ Name: 'fullName', Email: 'email' });
  });

  it('Latin-1 / Windows-1252 text is detected and decoded', async () => {
    const text = 'Name,City,Note\nJosé Müller,Zürich,café – naïve façade\nRenée Côté,Québec,€ 5\n';
    const t1 = await readAll(file(iconv.encode(text, 'win1252')));
    expect(t1.encoding).not.toBe('utf8');
    expect(t1.rows.map((r) => r.cells)).toEqual([
      ['José Müller', 'Zürich', 'café – naïve façade'],
      ['Renée Côté', 'Québec', '€ 5'],
    ]);
  });

  it('tab-separated, UTF-16 with BOM, ragged rows', async () => {
    const tsv = 'Full Name\tMobile\tPost Code\nAda\t087 123 4567\nBo\t\tD02\textra\n';
    const t1 = await readAll(file(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tsv, 'utf16le')])));
    expect(t1.encoding).toBe('utf16le');
    expect(t1.delimiter).toBe('\t');
    expect(t1.columns).toEqual(['Full Name', 'Mobile', 'Post Code']);
    expect(t1.rows.map((r) => r.cells)).toEqual([
      ['Ada', '087 123 4567'],
      ['Bo', '', 'D02', 'extra'],
    ]);
  });

  it('1,000 columns', async () => {
    const header = Array.from({ length: 1000 }, (_, i) => (i === 0 ? 'Name' : i === 999 ? 'Email' : `C${i}`));
    const row = Array.from({ length: 1000 }, (_, i) =>
      i === 0 ? 'Wide Row' : i === 999 ? 'wide@example.com' : `v${i}`,
    );
    const t1 = await readAll(file(`${header.join(',')}\n${row.join(',')}\n`));
    expect(t1.columns).toHaveLength(1000);
    expect(t1.rows[0].cells[999]).toBe('wide@example.com');
    expect(suggestMapping(t1.columns)).toEqual({ Name: 'fullName', Email: 'email' });
  });

  it('XLSX read as a stream: numbers, rich text, formulas, sparse rows', async () => {
    const buf = await xlsxBuffer((ws) => {
      ws.addRow(['Name', 'E-mail', 'Phone', 'Email']);
      ws.addRow(['Ada Lovelace', 'ada@example.com', 353871234567, 'second@example.com']);
      ws.addRow([]);
      ws.addRow([
        { richText: [{ text: 'Rich ' }, { text: 'Text' }] },
        { formula: '"f@"&"example.com"', result: 'f@example.com' },
      ]);
    });
    const t1 = await readAll(file(buf), 'xlsx');
    expect(t1.columns).toEqual(['Name', 'E-mail', 'Phone', 'Email']);
    expect(t1.rows).toEqual([
      { rowNumber: 2, cells: ['Ada Lovelace', 'ada@example.com', '353871234567', 'second@example.com'] },
      { rowNumber: 4, cells: ['Rich Text', 'f@example.com'] },
    ]);
  });

  it('header names are made unique and never empty', () => {
    expect(disambiguateHeaders(['Email', 'email', 'Email', '', ' Phone  Number '])).toEqual([
      'Email',
      'email (2)',
      'Email (3)',
      'Column 4',
      'Phone Number',
    ]);
    expect(suggestMapping(['Post Code', 'Mobile', 'E-mail Address', 'Surname', 'Given name', 'Eircode'])).toEqual({
      'Post Code': 'postcode',
      Mobile: 'phone',
      'E-mail Address': 'email',
      Surname: 'lastName',
      'Given name': 'firstName',
    });
  });

  it('end to end over HTTP: an XLSX upload and a Latin-1 CSV reach the proposal with their values intact', async () => {
    const buf = await xlsxBuffer((ws) => {
      ws.addRow(['Name', 'Email', 'Mobile']);
      ws.addRow(['Xlsx Person', 'xlsx.person@example.com', '0871112233']);
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/crm/imports?kind=people&fileName=people.xlsx',
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': XLSX_MEDIA_TYPE },
      payload: buf,
    });
    expect(res.statusCode).toBe(201);
    const up = JSON.parse(res.body);
    expect(up).toMatchObject({ format: 'xlsx', rowCount: 1, fileName: 'people.xlsx' });
    await call(t.app, 'PUT', `/api/crm/imports/${up.id}/mapping`, {
      token: a.apiKey,
      body: { mapping: up.suggestedMapping },
    });
    const proposed = await call(t.app, 'POST', `/api/crm/imports/${up.id}/propose`, { token: a.apiKey });
    expect(proposed.body.report).toMatchObject({ create: 1, invalid: 0 });
    const rowsRes = await call(t.app, 'GET', `/api/crm/imports/${up.id}/rows`, { token: a.apiKey });
    expect(rowsRes.body.data[0].values).toMatchObject({ fullName: 'Xlsx Person', phone: '+353871112233' });

    const latin = await t.app.inject({
      method: 'POST',
      url: '/api/crm/imports?kind=people',
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'text/csv' },
      payload: iconv.encode('Nom;Courriel\nRenée Côté;renee@example.com\n', 'win1252'),
    });
    const l = JSON.parse(latin.body);
    expect(l.columns).toEqual(['Nom', 'Courriel']);
    await call(t.app, 'PUT', `/api/crm/imports/${l.id}/mapping`, {
      token: a.apiKey,
      body: { mapping: { Nom: 'fullName', Courriel: 'email' } },
    });
    await call(t.app, 'POST', `/api/crm/imports/${l.id}/propose`, { token: a.apiKey });
    const lr = await call(t.app, 'GET', `/api/crm/imports/${l.id}/rows`, { token: a.apiKey });
    expect(lr.body.data[0].values.fullName).toBe('Renée Côté');
  });

  it('the same Idempotency-Key with the same file replays the first upload', async () => {
    const send = (body: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/crm/imports?kind=people',
        headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'text/csv', 'idempotency-key': 'upload-1' },
        payload: body,
      });
    const first = await send('Name,Email\nOnce Only,once@example.com\n');
    const second = await send('Name,Email\nOnce Only,once@example.com\n');
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(JSON.parse(second.body).id).toBe(JSON.parse(first.body).id);
    const different = await send('Name,Email\nSomeone Else,else@example.com\n');
    expect(different.statusCode).toBe(422);
  });
});
