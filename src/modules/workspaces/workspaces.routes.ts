import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, isoDate } from '../../http/schemas.ts';
import type { WorkspaceRow } from './workspaces.repository.ts';
import { stagesOfWorkspace, ticketTypesOfWorkspace, type WorkspacesService } from './workspaces.service.ts';

const stageDef = z.object({
  key: z.string().regex(/^[a-z][a-z0-9_]{0,29}$/, 'must be lower-case letters, digits and _, starting with a letter'),
  label: z.string().trim().min(1, 'must not be empty').max(50),
});

export const workspaceSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    name: z.string(),
    timezone: z.string(),
    lifecycleStages: z.array(stageDef).describe('The lifecycle stages, in order (names configurable)'),
    ticketTypes: z.array(stageDef).describe('The ticket types, in order (question, complaint… — configurable)'),
    defaultCountry: z.string().nullable().describe('ISO 3166 country for phone numbers written without +country code'),
    createdAt: isoDate,
  })
  .meta({ id: 'Workspace' });

export function presentWorkspace(w: WorkspaceRow): z.infer<typeof workspaceSchema> {
  return {
    id: w.id,
    slug: w.slug,
    name: w.name,
    timezone: w.timezone,
    lifecycleStages: stagesOfWorkspace(w),
    ticketTypes: ticketTypesOfWorkspace(w),
    defaultCountry: typeof w.settings.defaultCountry === 'string' ? w.settings.defaultCountry : null,
    createdAt: w.createdAt.toISOString(),
  };
}

export const updateWorkspaceBody = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200).optional(),
    timezone: z.string().min(1).max(64).optional(),
    lifecycleStages: z.array(stageDef).min(2, 'keep at least two stages').max(20).optional(),
    ticketTypes: z.array(stageDef).min(1, 'keep at least one type').max(30).optional(),
    defaultCountry: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code like PT')
      .nullable()
      .optional(),
  })
  .refine((b) => Object.keys(b).length > 0, {
    message: 'send at least one of name, timezone, lifecycleStages, ticketTypes, defaultCountry',
  });

export const workspacesRoutes =
  (workspaces: WorkspacesService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Workspace'];
    r.get(
      '/workspace',
      {
        schema: { tags, summary: 'The workspace of the caller', response: { 200: workspaceSchema, ...errorResponses } },
      },
      async (req) => presentWorkspace(await workspaces.current(requireActor(req))),
    );

    r.patch(
      '/workspace',
      {
        schema: {
          tags,
          summary: 'Rename the workspace; change its time zone, lifecycle stages, ticket types or default country',
          body: updateWorkspaceBody,
          response: { 200: workspaceSchema, ...errorResponses },
        },
      },
      async (req) => presentWorkspace(await workspaces.update(requireActor(req), req.body)),
    );
  };
