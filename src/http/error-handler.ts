import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, errorStatus, type ErrorCode } from '../errors.ts';
import { ListQueryError } from '../domain/list-query.ts';

export function sendError(reply: FastifyReply, status: number, code: string, message: string, details: unknown = null) {
  return reply.status(status).type('application/json; charset=utf-8').send({ error: { code, message, details } });
}

/**
 * Errors Fastify raises before routing (a malformed percent-encoding, a path parameter over the length limit):
 * without this they would be answered in Fastify's own body shape.
 */
export function frameworkErrorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  return sendError(reply, status, 'bad_request', err.message);
}

/** The path of the first string (or key) holding U+0000, which PostgreSQL text cannot store; null when none does. */
export function findNulCharacter(value: unknown, path: string[] = [], depth = 0): string[] | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  for (const [k, v] of Object.entries(value)) {
    if (k.includes('\u0000')) return [...path, k];
    const found = findNulCharacter(v, [...path, k], depth + 1);
    if (found) return found;
  }
  return null;
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The body with every lone UTF-16 surrogate (an escape like "\ud800" in JSON, which no UTF-8 text can hold and which
 * PostgreSQL's jsonb refuses) replaced by U+FFFD, as text columns already do. Unchanged values are returned as they are.
 */
export function wellFormedDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(loneSurrogate, '\uFFFD');
  if (value === null || typeof value !== 'object' || depth > 64) return value;
  if (Array.isArray(value)) return value.map((v) => wellFormedDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[wellFormedDeep(k) as string] = wellFormedDeep(v, depth + 1);
  return out;
}

/**
 * Refuses text with U+0000 in the params, query or body, before it reaches the database; makes lone surrogates in
 * the body well-formed.
 */
export function rejectNulCharacters(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    if (req.body !== null && typeof req.body === 'object') req.body = wellFormedDeep(req.body);
    const parts = { params: req.params, querystring: req.query, body: req.body } as const;
    for (const [where, value] of Object.entries(parts)) {
      const path = findNulCharacter(value);
      if (path) {
        const message = 'must not contain the NUL character (\\u0000)';
        throw new AppError('validation_failed', `The ${where} is not valid: ${path.join('.') || where} ${message}`, {
          problems: [{ in: where, path: path.join('.') || null, message }],
        });
      }
    }
  });
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_VALIDATION: 'validation_failed',
};

/** The one place an error becomes an HTTP response. 5xx bodies never carry internal messages or stacks. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err }, 'service error');
      return sendError(reply, err.status, err.code, err.message, err.details);
    }
    if (err instanceof ListQueryError) {
      // The first problem in the message: the console shows the message alone, and "not valid" left a user with a
      // saved view (whose custom field was archived since) no way to tell which filter to drop.
      const [first] = err.problems;
      const more = err.problems.length > 1 ? ` (and ${err.problems.length - 1} more)` : '';
      const what = first ? `: ${first.param}: ${first.message}${more}` : '';
      return sendError(reply, 400, 'validation_failed', `The list parameters are not valid${what}`, {
        problems: err.problems,
      });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = (err as FastifyError).validationContext ?? 'request';
      const problems = err.validation.map((v) => ({
        in: where,
        path: (v.instancePath || '').replace(/^\//, '').replace(/\//g, '.') || null,
        message: v.message ?? 'is not valid',
      }));
      const first = problems[0];
      const message = first
        ? `The ${where} is not valid: ${first.path ? `${first.path} ` : ''}${first.message}`
        : `The ${where} is not valid`;
      return sendError(reply, 400, 'validation_failed', message, { problems });
    }
    if (isResponseSerializationError(err)) {
      req.log.error({ err, issues: err.cause.issues }, 'response did not match its schema');
      return sendError(reply, 500, 'internal', 'Something went wrong on our side; it has been logged');
    }
    const fe = err as FastifyError;
    if (fe.statusCode === 429)
      return sendError(reply, 429, 'rate_limited', fe.message || 'Too many requests; slow down');
    const mapped = fe.code ? fastifyCodes[fe.code] : undefined;
    if (mapped) return sendError(reply, errorStatus[mapped], mapped, fe.message);
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
      return sendError(reply, fe.statusCode, 'bad_request', fe.message);
    req.log.error({ err }, 'unhandled error');
    return sendError(reply, 500, 'internal', 'Something went wrong on our side; it has been logged');
  });
}
