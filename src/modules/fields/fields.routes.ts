import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { customFieldTypes } from '../../db/schema/index.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, isoDate } from '../../http/schemas.ts';
import { customEntities, type CustomEntity, type CustomFieldRow } from './fields.repository.ts';
import type { FieldsService } from './fields.service.ts';

export const customFieldSchema = z
  .object({
    id: z.string(),
    entity: z.enum(customEntities),
    key: z.string(),
    label: z.string(),
    type: z.enum(customFieldTypes),
    options: z.array(z.string()),
    required: z.boolean(),
    position: z.number().int(),
    archived: z.boolean(),
    createdAt: isoDate,
  })
  .meta({ id: 'CustomField' });

export function presentCustomField(f: CustomFieldRow): z.infer<typeof customFieldSchema> {
  return {
    id: f.id,
    entity: f.entity as CustomEntity,
    key: f.key,
    label: f.label,
    type: f.type,
    options: f.options,
    required: f.required,
    position: f.position,
    archived: f.archived,
    createdAt: f.createdAt.toISOString(),
  };
}

export const fieldsRoutes =
  (fields: FieldsService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Custom fields'];
    r.get(
      '/custom-fields',
      {
        schema: {
          tags,
          summary: 'Custom fields of people, companies and tickets',
          querystring: z.object({ entity: z.enum(customEntities).optional() }),
          response: { 200: z.object({ data: z.array(customFieldSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await fields.list(requireActor(req), req.query.entity)).map(presentCustomField) }),
    );

    r.post(
      '/custom-fields',
      {
        schema: {
          tags,
          summary: 'Define a custom field',
          body: z.object({
            entity: z.enum(customEntities),
            label: z.string().trim().min(1, 'must not be empty').max(100),
            key: z
              .string()
              .max(50)
              .optional()
              .describe(
                'Default: from the label, e.g. "Plan tier" → plan_tier. Not the name of a built-in field of the entity (email, first_name, stage, owner, tags, created_at…): 400 with details.reserved',
              ),
            type: z.enum(customFieldTypes),
            options: z.array(z.string().max(100)).max(200).optional(),
            required: z
              .boolean()
              .optional()
              .describe('People and companies: every record needs a value. Tickets: a value is needed to solve one'),
          }),
          response: { 201: customFieldSchema, ...errorResponses },
        },
      },
      async (req, reply) =>
        reply.status(201).send(presentCustomField(await fields.create(requireActor(req), req.body))),
    );

    r.patch(
      '/custom-fields/:id',
      {
        schema: {
          tags,
          summary: 'Change a custom field (label, options, required, order, archived)',
          params: idParam,
          body: z.object({
            label: z.string().trim().min(1).max(100).optional(),
            options: z
              .array(z.string().max(100))
              .max(200)
              .optional()
              .describe(
                'The whole list. An option records still hold cannot be left out: 409 with details.inUse (option → how many records)',
              ),
            required: z.boolean().optional(),
            position: z.number().int().min(0).max(10_000).optional(),
            archived: z.boolean().optional(),
          }),
          response: { 200: customFieldSchema, ...errorResponses },
        },
      },
      async (req) => presentCustomField(await fields.update(requireActor(req), req.params.id, req.body)),
    );
  };
