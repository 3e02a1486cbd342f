import type { Readable } from 'node:stream';
import fastifyMultipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, isAppError } from '../../errors.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import { maxUploadBytes } from './csv-file.ts';
import type { ExportService } from './export.service.ts';
import type { ImportsService } from './imports.service.ts';
import {
  exportQuery,
  importPatch,
  importRowSchema,
  importRowsCsvQuery,
  importRowsQuery,
  importSchema,
  presentImport,
  presentImportRow,
  uploadQuery,
} from './imports.schemas.ts';

const csvTypes = ['text/csv', 'application/csv', 'text/comma-separated-values'];

/** The uploaded CSV as a stream: the body of a text/csv request, or the first file of a multipart form. */
async function uploadStream(req: FastifyRequest): Promise<{ stream: Readable; fileName: string | null }> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (csvTypes.includes(type)) return { stream: req.raw, fileName: null };
  if (type === 'multipart/form-data') {
    try {
      const part = await req.file();
      if (!part) throw new AppError('bad_request', 'The form has no file: send the CSV in a file field');
      return { stream: part.file, fileName: part.filename || null };
    } catch (err) {
      if (isAppError(err)) throw err;
      throw new AppError('bad_request', `The form cannot be read: ${err instanceof Error ? err.message : 'bad body'}`);
    }
  }
  throw new AppError(
    'unsupported_media_type',
    'Send the CSV as the body (Content-Type: text/csv) or as a file in multipart/form-data',
  );
}

export const importsRoutes =
  (deps: { imports: ImportsService; exports: ExportService }): FastifyPluginAsync =>
  async (app) => {
    // The CSV streams to disk: never parsed into memory here.
    app.addContentTypeParser(csvTypes, (_req, _payload, done) => done(null));
    await app.register(fastifyMultipart, { limits: { files: 1, fields: 10, fileSize: maxUploadBytes } });
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Imports'];
    const importReply = { 200: importSchema, ...errorResponses };

    r.post(
      '/imports',
      {
        schema: {
          tags,
          summary:
            'Upload a CSV of people, companies or orders (body text/csv, or multipart/form-data with a file): reads it, reports problems, suggests a column mapping',
          querystring: uploadQuery,
          response: { 201: importSchema, ...errorResponses, 413: errorResponses[400], 415: errorResponses[400] },
        },
      },
      async (req, reply) => {
        const actor = requireActor(req);
        const { stream, fileName } = await uploadStream(req);
        try {
          const d = await deps.imports.upload(actor, {
            entity: req.query.entity,
            matchOn: req.query.matchOn,
            fileName: req.query.fileName ?? fileName ?? 'upload.csv',
            stream,
          });
          return reply.status(201).send(presentImport(d));
        } catch (err) {
          if (isAppError(err)) throw err;
          if (err instanceof Error && /aborted|premature|truncat/i.test(err.message))
            throw new AppError('bad_request', 'The upload ended before the file was complete');
          throw err;
        }
      },
    );

    r.get(
      '/imports',
      {
        schema: {
          tags,
          summary: 'Imports, newest first',
          querystring: z.object({
            limit: z.coerce.number().int().min(1).max(200).default(50),
            cursor: z.string().max(100).optional().describe('page.nextCursor of the previous page'),
          }),
          response: {
            200: z.object({
              data: z.array(importSchema),
              page: z.object({ nextCursor: z.string().nullable(), limit: z.number().int() }),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const actor = requireActor(req);
        const page = await deps.imports.list(actor, req.query);
        const data = [];
        for (const row of page.rows) data.push(presentImport(await deps.imports.get(actor, row.id)));
        return { data, page: { nextCursor: page.nextCursor, limit: req.query.limit } };
      },
    );

    r.get(
      '/imports/:id',
      {
        schema: {
          tags,
          summary: 'An import: mapping, problems, status and progress (rows done of total; created, updated, rejected)',
          params: idParam,
          response: importReply,
        },
      },
      async (req) => presentImport(await deps.imports.get(requireActor(req), req.params.id)),
    );

    r.patch(
      '/imports/:id',
      {
        schema: {
          tags,
          summary: 'Change the column mapping or the upsert key before the run',
          params: idParam,
          body: importPatch,
          response: importReply,
        },
      },
      async (req) => presentImport(await deps.imports.update(requireActor(req), req.params.id, req.body)),
    );

    r.post(
      '/imports/:id/dry-run',
      {
        schema: {
          tags,
          summary: 'Start a dry run: reports row by row what would be created, updated or rejected, changing nothing',
          params: idParam,
          response: { 202: importSchema, ...errorResponses },
        },
      },
      async (req, reply) =>
        reply.status(202).send(presentImport(await deps.imports.start(requireActor(req), req.params.id, 'dry_run'))),
    );

    r.post(
      '/imports/:id/run',
      {
        schema: {
          tags,
          summary: 'Start the import (as a job; a failed run resumes from its checkpoint)',
          params: idParam,
          response: { 202: importSchema, ...errorResponses },
        },
      },
      async (req, reply) =>
        reply.status(202).send(presentImport(await deps.imports.start(requireActor(req), req.params.id, 'run'))),
    );

    r.get(
      '/imports/:id/rows',
      {
        schema: {
          tags,
          summary:
            'The row report, row by row with line numbers: created, updated (with the changes), unchanged, rejected (with reasons). A dry run lists every row; a real run every rejected row and the other rows among the first 10,000',
          params: idParam,
          querystring: importRowsQuery,
          response: {
            200: z.object({
              data: z.array(importRowSchema),
              mode: z.enum(['dry_run', 'run']),
              listedThroughRow: z
                .number()
                .int()
                .nullable()
                .describe(
                  'Rows after this one are listed only when rejected (the others are counted in the progress); null: every row is listed',
                ),
              page: z.object({ nextCursor: z.string().nullable(), limit: z.number().int() }),
            }),
            ...errorResponses,
          },
        },
      },
      async (req) => {
        const page = await deps.imports.rows(requireActor(req), req.params.id, {
          mode: req.query.mode,
          action: req.query.action,
          ...(req.query.cursor !== undefined ? { after: req.query.cursor } : {}),
          limit: req.query.limit,
        });
        return {
          data: page.rows.map(presentImportRow),
          mode: page.mode,
          listedThroughRow: page.listedThroughRow,
          page: { nextCursor: page.nextAfter === null ? null : String(page.nextAfter), limit: req.query.limit },
        };
      },
    );

    r.get(
      '/imports/:id/rows.csv',
      {
        schema: {
          tags,
          summary:
            'The row report as CSV (row, line, action, recordId, summary, details as JSON), streamed; same mode and action as the JSON report',
          params: idParam,
          querystring: importRowsCsvQuery,
          response: { 200: z.string().describe('CSV: a header row, then one row per reported row'), ...errorResponses },
        },
      },
      async (req, reply) => {
        const report = await deps.imports.rowsCsv(requireActor(req), req.params.id, {
          mode: req.query.mode,
          action: req.query.action,
        });
        return sendCsv(reply, report.stream, report.fileName);
      },
    );

    const exportResponse = {
      200: z.string().describe('CSV (a header row, then one row per record) or a JSON array, streamed'),
      ...errorResponses,
    };

    r.get(
      '/people/export',
      {
        schema: {
          tags: ['People'],
          summary: 'Export the people matching a filter as CSV or JSON (streamed; same filter/sort/q as the list)',
          querystring: exportQuery,
          response: exportResponse,
        },
      },
      async (req, reply) => {
        const { format, ...params } = req.query;
        const stream = await deps.exports.people(requireActor(req), params, format);
        return sendExport(reply, stream, format, 'people');
      },
    );

    r.get(
      '/companies/export',
      {
        schema: {
          tags: ['Companies'],
          summary: 'Export the companies matching a filter as CSV or JSON (streamed)',
          querystring: exportQuery,
          response: exportResponse,
        },
      },
      async (req, reply) => {
        const { format, ...params } = req.query;
        const stream = await deps.exports.companies(requireActor(req), params, format);
        return sendExport(reply, stream, format, 'companies');
      },
    );

    r.get(
      '/orders/export',
      {
        schema: {
          tags: ['Orders'],
          summary:
            'Export the orders matching a filter as CSV (one row per line, columns as the orders import reads them) or JSON (each order with its lines), streamed; same filter and sort as the list',
          querystring: exportQuery.omit({ q: true }),
          response: exportResponse,
        },
      },
      async (req, reply) => {
        const { format, ...params } = req.query;
        const stream = await deps.exports.orders(requireActor(req), params, format);
        return sendExport(reply, stream, format, 'orders');
      },
    );
  };

/** A CSV download; the file name kept to printable ASCII (a header cannot carry more). */
function sendCsv(reply: FastifyReply, stream: Readable, fileName: string) {
  return reply
    .header('content-disposition', `attachment; filename="${fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')}"`)
    .type('text/csv; charset=utf-8')
    .send(stream);
}

function sendExport(reply: FastifyReply, stream: Readable, format: 'csv' | 'json', what: string) {
  const date = new Date().toISOString().slice(0, 10);
  return reply
    .header('content-disposition', `attachment; filename="${what}-${date}.${format}"`)
    .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8')
    .send(stream);
}
