import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, isoDate, noContentResponses } from '../../http/schemas.ts';
import {
  slaConditionSchema,
  slaTargetsSchema,
  type CalendarRow,
  type SlaPolicyRow,
  type SlaService,
} from './sla.service.ts';

const policySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    position: z.number().int().describe('Policies are tried in this order; the first whose conditions hold applies'),
    active: z.boolean(),
    conditions: z.array(
      z.object({ field: z.string(), op: z.string(), value: z.union([z.string(), z.array(z.string())]) }),
    ),
    targets: z.record(z.string(), z.number()).describe('Business minutes per metric'),
    calendarId: z.string().nullable().describe('Business hours counted; none = around the clock'),
    pauseOn: z.array(z.string()),
    warnBeforeMinutes: z.number().int(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'SlaPolicy' });

const presentPolicy = (p: SlaPolicyRow): z.infer<typeof policySchema> => ({
  id: p.id,
  name: p.name,
  position: p.position,
  active: p.active,
  conditions: p.conditions,
  targets: p.targets,
  calendarId: p.calendarId,
  pauseOn: p.pauseOn,
  warnBeforeMinutes: p.warnBeforeMinutes,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

const policyBody = z.object({
  name: z.string().trim().min(1).max(200),
  position: z.number().int().min(0).max(10_000).optional(),
  active: z.boolean().optional(),
  conditions: z.array(slaConditionSchema).max(20).optional().describe('All must hold; none = every ticket'),
  targets: slaTargetsSchema,
  calendarId: z.uuid().nullish(),
  pauseOn: z.array(z.string()).max(4).optional().describe('Statuses that stop the clock (default: pending)'),
  warnBeforeMinutes: z.number().int().min(0).max(10_000).optional(),
});

const calendarSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    timeZone: z.string(),
    weekly: z.array(z.object({ day: z.number().int(), start: z.string(), end: z.string() })),
    holidays: z.array(z.object({ date: z.string(), name: z.string().optional() })),
    createdAt: isoDate,
  })
  .meta({ id: 'BusinessCalendar' });

const presentCalendar = (c: CalendarRow): z.infer<typeof calendarSchema> => ({
  id: c.id,
  name: c.name,
  timeZone: c.timeZone,
  weekly: c.weekly,
  holidays: c.holidays,
  createdAt: c.createdAt.toISOString(),
});

const calendarBody = z.object({
  name: z.string().trim().min(1).max(200),
  timeZone: z.string().trim().min(1).max(64).describe('IANA, e.g. Europe/Berlin'),
  weekly: z
    .array(z.object({ day: z.number().int(), start: z.string().max(5), end: z.string().max(5) }))
    .max(100)
    .describe('Open intervals: day 0 (Sunday) to 6, HH:MM local, end up to 24:00'),
  holidays: z
    .array(z.object({ date: z.string().max(10), name: z.string().max(200).optional() }))
    .max(2000)
    .optional(),
});

export const slaRoutes =
  (sla: SlaService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['SLA'];

    r.get(
      '/sla-policies',
      {
        schema: {
          tags,
          summary: 'SLA policies, in the order they are tried',
          response: { 200: z.object({ data: z.array(policySchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await sla.listPolicies(requireActor(req))).map(presentPolicy) }),
    );
    r.post(
      '/sla-policies',
      {
        schema: {
          tags,
          summary: 'Add an SLA policy',
          body: policyBody,
          response: { 201: policySchema, ...errorResponses },
        },
      },
      async (req, reply) => reply.status(201).send(presentPolicy(await sla.createPolicy(requireActor(req), req.body))),
    );
    r.put(
      '/sla-policies/order',
      {
        schema: {
          tags,
          summary: 'Put the SLA policies in a new order',
          description:
            'Every policy of the workspace, each once, in the order they are to be tried; positions become 0, 1, 2… ' +
            'in one change (one event, open tickets rechecked once).',
          body: z.object({ ids: z.array(z.uuid()).max(1000) }),
          response: { 200: z.object({ data: z.array(policySchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await sla.reorderPolicies(requireActor(req), req.body.ids)).map(presentPolicy) }),
    );
    r.patch(
      '/sla-policies/:id',
      {
        schema: {
          tags,
          summary: 'Change an SLA policy',
          params: idParam,
          body: policyBody.partial(),
          response: { 200: policySchema, ...errorResponses },
        },
      },
      async (req) => presentPolicy(await sla.updatePolicy(requireActor(req), req.params.id, req.body)),
    );
    r.delete(
      '/sla-policies/:id',
      { schema: { tags, summary: 'Remove an SLA policy', params: idParam, response: noContentResponses } },
      async (req, reply) => {
        await sla.removePolicy(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    r.get(
      '/business-calendars',
      {
        schema: {
          tags,
          summary: 'Business-hours calendars (time zone, weekly hours, holidays)',
          response: { 200: z.object({ data: z.array(calendarSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await sla.listCalendars(requireActor(req))).map(presentCalendar) }),
    );
    r.post(
      '/business-calendars',
      {
        schema: {
          tags,
          summary: 'Add a calendar',
          body: calendarBody,
          response: { 201: calendarSchema, ...errorResponses },
        },
      },
      async (req, reply) =>
        reply.status(201).send(presentCalendar(await sla.createCalendar(requireActor(req), req.body))),
    );
    r.patch(
      '/business-calendars/:id',
      {
        schema: {
          tags,
          summary: 'Change a calendar',
          params: idParam,
          body: calendarBody.partial(),
          response: { 200: calendarSchema, ...errorResponses },
        },
      },
      async (req) => presentCalendar(await sla.updateCalendar(requireActor(req), req.params.id, req.body)),
    );
    r.delete(
      '/business-calendars/:id',
      {
        schema: {
          tags,
          summary: 'Remove a calendar (not while a policy uses it)',
          params: idParam,
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        await sla.removeCalendar(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
