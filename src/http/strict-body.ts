import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import type { ZodType } from 'zod';
import { AppError } from '../errors.ts';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * The keys of a request body its schema did not keep: every key of an object in the input that the parsed value's
 * object in the same place lacks (a zod object strips keys it does not know). Only where both sides are plain objects
 * or arrays of the same length: a value a schema transformed into something else is not compared.
 */
export function droppedKeys(input: unknown, output: unknown, path: string[] = [], depth = 0): string[][] {
  if (depth > 32) return [];
  if (Array.isArray(input) && Array.isArray(output)) {
    if (input.length !== output.length) return [];
    return input.flatMap((v, i) => droppedKeys(v, output[i], [...path, String(i)], depth + 1));
  }
  if (!isPlainObject(input) || !isPlainObject(output)) return [];
  const out: string[][] = [];
  for (const [k, v] of Object.entries(input)) {
    if (!Object.hasOwn(output, k)) out.push([...path, k]);
    else out.push(...droppedKeys(v, output[k], [...path, k], depth + 1));
  }
  return out;
}

/**
 * The zod validator, refusing request bodies with keys the route does not take: a misspelt field ("emial") would
 * otherwise be dropped without a word and the record saved without it. A 400 naming each key, as any invalid value.
 */
export const strictBodyCompiler: FastifySchemaCompiler<ZodType> = (route) => {
  const validate = validatorCompiler(route) as (data: unknown) => { value?: unknown; error?: unknown };
  if (route.httpPart !== 'body') return validate as ReturnType<FastifySchemaCompiler<ZodType>>;
  return ((data: unknown) => {
    const result = validate(data);
    if (result.error || result.value === undefined) return result;
    const unknown = droppedKeys(data, result.value);
    if (!unknown.length) return result;
    const message = 'is not a field this request takes (misspelt, or not one it can set)';
    const problems = unknown.map((path) => ({ in: 'body', path: path.join('.'), message }));
    return {
      error: new AppError('validation_failed', `The body is not valid: ${problems[0]?.path} ${message}`, { problems }),
    };
  }) as ReturnType<FastifySchemaCompiler<ZodType>>;
};
