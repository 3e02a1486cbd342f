/**
 * The API side of the import tests (imports.test.ts, imports.orders.test.ts, imports.integrity.test.ts): a workspace
 * with an API key, and the calls an import goes through — upload, dry run or run to the end (the jobs run here), the
 * row report, the files kept under the data folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { bearer, caller, type Method, type TestContext } from '../../../test/app.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { JobRunner } from '../../jobs/queue.ts';
import { importJob } from './imports.job.ts';

export type Json = Record<string, unknown>;

/** An import as the API answers it (the fields the tests read). */
export type ImportDto = Json & {
  id: string;
  status: string;
  encoding: string;
  headers: string[];
  mapping: Record<string, string | null>;
  matchOn: string;
  problems: Array<{ code: string; message: string; line?: number | null; column?: string | null }>;
  mappingProblems: Array<{ field: string; message: string }>;
  fields: string[];
  warnings: string[];
  progress: {
    totalRows: number;
    processedRows: number;
    created: number;
    updated: number;
    unchanged: number;
    rejected: number;
  };
};

/** A row of the report, as GET /imports/{id}/rows answers it. */
export type RowDto = {
  row: number;
  line: number;
  action: string;
  summary: string;
  details: Json;
  recordId: string | null;
};

/** A new workspace, an API key of it, and the import calls on its behalf; uploads are `entity=…` `defaultQuery`. */
export async function importTestSetup(ctx: TestContext, defaultQuery = 'entity=person') {
  const ws = await makeWorkspace(ctx.services);
  const h = bearer(await makeApiKey(ctx.services, ws));
  const send = caller(ctx.app, h, '/api/v1');
  const call = async (method: Method, url: string, payload?: object) => {
    const res = await send(method, url, payload);
    return { status: res.statusCode, body: res.body, json: <T = Json>() => res.json<T>() };
  };
  /** POST /imports with a CSV body: the raw answer. */
  const post = (csv: string | Buffer, query: string) =>
    ctx.app.inject({
      method: 'POST',
      url: `/api/v1/imports?${query}`,
      headers: { ...h, 'content-type': 'text/csv' },
      payload: csv,
    });
  const upload = async (csv: string | Buffer, query = defaultQuery) => {
    const res = await post(csv, query);
    expect(res.statusCode, res.body).toBe(201);
    return res.json<ImportDto>();
  };
  const runJobs = async () => {
    const runner = new JobRunner(ctx.database.db, [importJob], { batchSize: 1 });
    while ((await runner.tick()) > 0);
  };
  /** Dry run or run, to the end; returns the import. */
  const start = async (id: string, what: 'dry-run' | 'run') => {
    const res = await call('POST', `/imports/${id}/${what}`);
    expect(res.status, res.body).toBe(202);
    await runJobs();
    return (await call('GET', `/imports/${id}`)).json<ImportDto>();
  };
  const rows = async (id: string, query = '') =>
    (await call('GET', `/imports/${id}/rows?limit=200${query}`)).json<{ data: RowDto[] }>().data;
  /** The files the workspace's uploads left under the data folder. */
  const storedFiles = () => {
    const dir = path.join(ctx.dataDir, 'imports', ws.workspace.id);
    return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  };
  return { ws, h, call, post, upload, runJobs, start, rows, storedFiles };
}
