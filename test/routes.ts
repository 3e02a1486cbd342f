import type { FastifyInstance } from 'fastify';

/** One operation of the OpenAPI document: `method` upper-case, `path` in OpenAPI form (`/api/v1/users/{id}`). */
export type ApiRoute = { method: string; path: string; key: string };

export type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
};

const httpMethods = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

export async function openApiDocument(app: FastifyInstance): Promise<OpenApiDocument> {
  const res = await app.inject({ method: 'GET', url: '/api/openapi.json' });
  if (res.statusCode !== 200) throw new Error(`GET /api/openapi.json answered ${res.statusCode}`);
  return res.json<OpenApiDocument>();
}

/** Every operation the app documents, read from its own OpenAPI document (so new routes show up by themselves). */
export async function apiRoutes(app: FastifyInstance): Promise<ApiRoute[]> {
  const doc = await openApiDocument(app);
  const routes: ApiRoute[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const m of Object.keys(ops)) {
      if (!httpMethods.has(m)) continue;
      const method = m.toUpperCase();
      routes.push({ method, path, key: `${method} ${path}` });
    }
  }
  return routes.sort((a, b) => a.key.localeCompare(b.key));
}

/** The names of the `{param}`s of an OpenAPI path. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
}

/** Fills `{param}`s with already-encoded segments. */
export function fillPath(path: string, values: Record<string, string>): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`no value for {${name}} in ${path}`);
    return v;
  });
}

/** A valid error body: `{"error":{"code","message","details"}}` with string code and message. */
export function isErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const e = body.error;
  if (typeof e !== 'object' || e === null) return false;
  return (
    'code' in e &&
    typeof e.code === 'string' &&
    e.code.length > 0 &&
    'message' in e &&
    typeof e.message === 'string' &&
    'details' in e
  );
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
