import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, isoDate, noContentResponses } from '../../http/schemas.ts';
import { ruleBody, type RuleRow, type RulesService } from './rules.service.ts';

const ruleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    trigger: z.string(),
    conditions: z.array(
      z.object({ field: z.string(), op: z.string(), value: z.union([z.string(), z.array(z.string())]).optional() }),
    ),
    actions: z.array(z.record(z.string(), z.unknown())),
    delay: z.object({ since: z.string(), hours: z.number() }).nullable(),
    /** Time rules: every ticket whose moment came before this has been looked at. */
    timeCheckedUntil: isoDate.nullable(),
    position: z.number().int(),
    active: z.boolean(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Rule' });

const present = (r: RuleRow): z.infer<typeof ruleSchema> => ({
  id: r.id,
  name: r.name,
  trigger: r.trigger,
  conditions: r.conditions,
  actions: r.actions,
  delay: r.delay,
  timeCheckedUntil: r.timeCheckedUntil?.toISOString() ?? null,
  position: r.position,
  active: r.active,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export const rulesRoutes =
  (service: RulesService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Rules'];
    r.get(
      '/rules',
      {
        schema: {
          tags,
          summary: 'Rules (trigger → conditions → actions) on ticket events, in the order they run',
          response: { 200: z.object({ data: z.array(ruleSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await service.list(requireActor(req))).map(present) }),
    );
    r.post(
      '/rules',
      { schema: { tags, summary: 'Add a rule', body: ruleBody, response: { 201: ruleSchema, ...errorResponses } } },
      async (req, reply) => reply.status(201).send(present(await service.create(requireActor(req), req.body))),
    );
    r.post(
      '/rules/recommended',
      {
        schema: {
          tags,
          summary: 'Add the recommended escalation rules (legal threats, vulnerable customers, billing disputes)',
          body: z.object({ teamId: z.uuid().optional().describe('Route escalations to this team') }),
          response: { 201: z.object({ data: z.array(ruleSchema) }), ...errorResponses },
        },
      },
      async (req, reply) =>
        reply.status(201).send({ data: (await service.addRecommended(requireActor(req), req.body)).map(present) }),
    );
    r.patch(
      '/rules/:id',
      {
        schema: {
          tags,
          summary: 'Change a rule',
          params: idParam,
          body: ruleBody.partial(),
          response: { 200: ruleSchema, ...errorResponses },
        },
      },
      async (req) => present(await service.update(requireActor(req), req.params.id, req.body)),
    );
    r.delete(
      '/rules/:id',
      { schema: { tags, summary: 'Remove a rule', params: idParam, response: noContentResponses } },
      async (req, reply) => {
        await service.remove(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
