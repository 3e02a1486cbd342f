import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, isoDate, noContentResponses } from '../../http/schemas.ts';
import type { TeamRow } from './teams.repository.ts';
import type { TeamsService } from './teams.service.ts';

const teamSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    memberIds: z.array(z.string()),
    createdAt: isoDate,
  })
  .meta({ id: 'Team' });

const present = (t: TeamRow & { memberIds: string[] }): z.infer<typeof teamSchema> => ({
  id: t.id,
  name: t.name,
  description: t.description,
  memberIds: t.memberIds,
  createdAt: t.createdAt.toISOString(),
});

const body = z.object({
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(500).nullish(),
  memberIds: z.array(z.uuid()).max(500).optional(),
});

export const teamsRoutes =
  (teams: TeamsService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Teams'];
    r.get(
      '/teams',
      {
        schema: {
          tags,
          summary: 'Teams of agents',
          response: { 200: z.object({ data: z.array(teamSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await teams.list(requireActor(req))).map(present) }),
    );
    r.post(
      '/teams',
      { schema: { tags, summary: 'Add a team', body, response: { 201: teamSchema, ...errorResponses } } },
      async (req, reply) => reply.status(201).send(present(await teams.create(requireActor(req), req.body))),
    );
    r.patch(
      '/teams/:id',
      {
        schema: {
          tags,
          summary: 'Rename a team or set its members',
          params: idParam,
          body: body.partial(),
          response: { 200: teamSchema, ...errorResponses },
        },
      },
      async (req) => present(await teams.update(requireActor(req), req.params.id, req.body)),
    );
    r.delete(
      '/teams/:id',
      { schema: { tags, summary: 'Remove a team', params: idParam, response: noContentResponses } },
      async (req, reply) => {
        await teams.remove(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
