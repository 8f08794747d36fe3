import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { inTenant } from '../../platform/auth.ts';
import { sideReads } from '../../platform/db.ts';
import { AppError, badRequest } from '../../platform/errors.ts';
import { problems, uuidParam } from '../../platform/http-schemas.ts';
import { newId } from '../../platform/ids.ts';
import { pageOf } from '../../platform/pagination.ts';
import { commitImport, revertImport } from '../../workflows/import-commit.ts';
import {
  batchListQuery,
  batchView,
  failBody,
  kindCatalog,
  mappingBody,
  rowsQuery,
  rowView,
  templateList,
  templatesQuery,
  uploadQuery,
} from './contracts.ts';
import { XLSX_MEDIA_TYPE } from './parse.ts';
import * as service from './service.ts';

/** Files up to 512 MB; only the upload route accepts them (JSON routes keep the app's 1 MB limit). */
export const UPLOAD_LIMIT = 512 * 1024 * 1024;
const UPLOAD_URL = '/api/crm/imports';
const FILE_TYPES = ['text/csv', 'application/csv', 'text/tab-separated-values', XLSX_MEDIA_TYPE];

interface SpooledBody extends service.UploadedFile {}

/** Streams the request body to a temp file (hashing it on the way); never holds it in memory. */
async function spool(req: FastifyRequest, payload: NodeJS.ReadableStream): Promise<SpooledBody> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > UPLOAD_LIMIT) throw new AppError(413, 'request.too_large', 'The file is larger than 512 MB.');
  const dir = join(tmpdir(), 'helio-imports');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > UPLOAD_LIMIT) return cb(new AppError(413, 'request.too_large', 'The file is larger than 512 MB.'));
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(payload, meter, createWriteStream(path));
  } catch (err) {
    rmSync(path, { force: true });
    throw err;
  }
  const body = { bytes, sha256: hash.digest('hex') } as SpooledBody;
  // Not enumerable: the Idempotency-Key hash of the body sees the file's size and digest, not where it sits.
  Object.defineProperty(body, 'path', { value: path, enumerable: false });
  return body;
}

export async function importRoutes(root: FastifyInstance) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['crm', 'imports'];

  app.addContentTypeParser(FILE_TYPES, (req, payload, done) => {
    if (req.method !== 'POST' || req.routeOptions.url !== UPLOAD_URL) {
      done(new AppError(415, 'request.unsupported_media_type', 'Send the body as application/json.'), undefined);
      return;
    }
    spool(req, payload).then(
      (body) => done(null, body),
      (err) => done(err, undefined),
    );
  });
  // The temp file goes once the request is answered, whatever happened.
  app.addHook('onResponse', async (req) => {
    const path = (req.body as Partial<SpooledBody> | undefined)?.path;
    if (path) rmSync(path, { force: true });
  });

  app.post(
    UPLOAD_URL,
    {
      bodyLimit: UPLOAD_LIMIT,
      schema: {
        tags,
        summary: 'Upload a file and parse it into a batch',
        description:
          'The body is the file itself: `text/csv` (comma, semicolon or tab; UTF-8 with or without BOM, ' +
          `UTF-16 with BOM, Latin-1/Windows-1252) or \`${XLSX_MEDIA_TYPE}\` (the first worksheet), up to 512 MB. ` +
          'The first non-empty row is the header. Answers 201 with the batch `parsed`, its columns and the ' +
          'suggested mapping. A file that cannot be parsed leaves the batch `failed` with the reason and ' +
          'answers 400 `import.unparseable` (with `batchId`). To reuse a saved mapping template, name it ' +
          'in `PUT /api/crm/imports/{id}/mapping` as `templateName`.',
        querystring: uploadQuery,
        response: { 201: batchView, ...problems(409, 413, 415, 422) },
      },
      config: { auth: 'imports:write' },
    },
    async (req, reply) => {
      const file = req.body as SpooledBody | undefined;
      if (!file?.path) {
        throw new AppError(415, 'request.unsupported_media_type', `Send the file as text/csv or ${XLSX_MEDIA_TYPE}.`);
      }
      service.assertSupportedKind(req.query.kind);
      const format = String(req.headers['content-type']).startsWith(XLSX_MEDIA_TYPE) ? 'xlsx' : 'csv';
      const input = {
        id: newId(),
        kind: req.query.kind,
        fileName: req.query.fileName ?? (format === 'xlsx' ? 'upload.xlsx' : 'upload.csv'),
        format: format as 'csv' | 'xlsx',
        file,
      };
      try {
        const created = await inTenant(req, (ctx) => service.uploadAndParse(ctx, input));
        return reply.code(201).header('location', `${UPLOAD_URL}/${created.id}`).send(created);
      } catch (err) {
        if (!service.isUnparseable(err)) throw err;
        await inTenant(req, (ctx) => service.recordUnparseable(ctx, input, err.message));
        throw badRequest('import.unparseable', err.message, undefined, { batchId: input.id });
      }
    },
  );

  app.get(
    UPLOAD_URL,
    {
      schema: {
        tags,
        summary: 'Import batches, newest first',
        querystring: batchListQuery,
        response: { 200: pageOf(batchView), ...problems() },
      },
      config: { auth: 'imports:write' },
    },
    async (req) => inTenant(req, (ctx) => service.listBatches(ctx, req.query)),
  );

  app.get(
    `${UPLOAD_URL}/kinds`,
    {
      schema: {
        tags,
        summary: 'What can be imported: each kind with its fields and what its mapping must include',
        response: { 200: kindCatalog, ...problems() },
      },
      config: { auth: 'imports:write' },
    },
    async () => ({ data: service.importKinds() }),
  );

  app.get(
    `${UPLOAD_URL}/templates`,
    {
      schema: {
        tags,
        summary: "The tenant's saved mapping templates of a kind, by name",
        querystring: templatesQuery,
        response: { 200: templateList, ...problems() },
      },
      config: { auth: 'imports:write' },
    },
    async (req) => inTenant(req, async (ctx) => ({ data: await service.listTemplates(ctx, req.query.kind) })),
  );

  app.get(
    `${UPLOAD_URL}/:id`,
    {
      schema: {
        tags,
        summary: 'The batch with its mapping, report and every transition (who, when)',
        params: uuidParam,
        response: { 200: batchView, ...problems() },
      },
      config: { auth: 'imports:write' },
    },
    async (req) => inTenant(req, (ctx) => service.getBatch(ctx, req.params.id)),
  );

  app.put(
    `${UPLOAD_URL}/:id/mapping`,
    {
      schema: {
        tags,
        summary: 'Set the column → field mapping (→ mapped)',
        description:
          'Give `mapping`, or `templateName` to apply a saved template of this tenant; `saveAs` saves the ' +
          'mapping as a named template for later files. Allowed while parsed, mapped or proposed (a new ' +
          'mapping discards the proposal).',
        params: uuidParam,
        body: mappingBody,
        response: { 200: batchView, ...problems(409) },
      },
      config: { auth: 'imports:write' },
    },
    async (req) => inTenant(req, (ctx) => service.setMapping(ctx, req.params.id, req.body)),
  );

  app.post(
    `${UPLOAD_URL}/:id/propose`,
    {
      schema: {
        tags,
        summary: 'Dry run: validate, deduplicate and propose an action per row (→ proposed)',
        description:
          'Nothing is written to CRM records. Rows match existing people by email, by phone (E.164) and, ' +
          'as a weaker signal looked for only when neither found a person, by name + postcode; a row repeating an earlier row of the file (same email ' +
          'or phone) is a `merge` into it, or a `skip` when it adds nothing. Other kinds: accounts match by ' +
          'domain, then name + postcode (weak); installers by email, then company name; region_postcodes by ' +
          'country + pattern (owned by the same region → `skip`, by another → `invalid`). For these a later ' +
          'row repeating an earlier one of the file is a `skip`, never a merge.',
        params: uuidParam,
        response: { 200: batchView, ...problems(409) },
      },
      config: { auth: 'imports:write' },
    },
    async (req) =>
      inTenant(req, (ctx) => service.propose(ctx, req.params.id, undefined, sideReads(req.server.db, ctx.tenantId))),
  );

  app.get(
    `${UPLOAD_URL}/:id/rows`,
    {
      schema: {
        tags,
        summary: 'Row-level results: row number, proposed action, target, errors, evidence, diff',
        params: uuidParam,
        querystring: rowsQuery,
        response: { 200: pageOf(rowView), ...problems() },
      },
      config: { auth: 'imports:write' },
    },
    async (req) => inTenant(req, (ctx) => service.listRows(ctx, req.params.id, req.query)),
  );

  app.post(
    `${UPLOAD_URL}/:id/approve`,
    {
      schema: {
        tags,
        summary: 'Approve the proposal (→ approved)',
        params: uuidParam,
        response: { 200: batchView, ...problems(409) },
      },
      config: { auth: 'imports:approve' },
    },
    async (req) => inTenant(req, (ctx) => service.approve(ctx, req.params.id)),
  );

  app.post(
    `${UPLOAD_URL}/:id/commit`,
    {
      schema: {
        tags,
        summary: 'Write the approved batch (→ committed)',
        description:
          'Written in chunks, each in its own transaction together with the checkpoint: after a crash or a ' +
          'failed request, committing again resumes after the last whole chunk. People are written in ' +
          'lanes side by side (every row of one person in one lane, in file order), each with its own ' +
          "checkpoint; while they run, `committedThrough` is the lowest lane's. On a committed batch it " +
          'changes nothing and returns the same result.',
        params: uuidParam,
        response: { 200: batchView, ...problems(409) },
      },
      config: { auth: 'imports:write' },
    },
    async (req) => {
      const { tenantId, actor } = req.principal!;
      return commitImport(req.server.db, { tenantId, actor, requestId: String(req.id) }, req.params.id);
    },
  );

  app.post(
    `${UPLOAD_URL}/:id/revert`,
    {
      schema: {
        tags,
        summary: 'Undo a committed batch (→ reverted)',
        description:
          'Records the batch created (people, accounts, installers, postcode patterns) are removed and updated ' +
          'fields get their prior values back, only while none of them changed since the commit and no other ' +
          'record points at a created one; otherwise 409 `import.revert_conflict`.',
        params: uuidParam,
        response: { 200: batchView, ...problems(409) },
      },
      config: { auth: 'imports:write' },
    },
    async (req) => {
      const { tenantId, actor } = req.principal!;
      return revertImport(req.server.db, { tenantId, actor, requestId: String(req.id) }, req.params.id);
    },
  );

  app.post(
    `${UPLOAD_URL}/:id/fail`,
    {
      schema: {
        tags,
        summary: 'Abandon the batch with a reason (→ failed); not once its commit has started',
        params: uuidParam,
        body: failBody,
        response: { 200: batchView, ...problems(409) },
      },
      config: { auth: 'imports:write' },
    },
    async (req) => inTenant(req, (ctx) => service.markFailed(ctx, req.params.id, req.body.reason)),
  );
}
