import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam, isoDate, noContentResponses } from '../../http/schemas.ts';
import type { SopRow } from './sops.repository.ts';
import type { SopsService, TicketChecklist } from './sops.service.ts';

const sopSchema = z
  .object({
    ticketType: z.string(),
    steps: z.array(z.object({ id: z.string(), text: z.string(), required: z.boolean() })),
    blockSolve: z.boolean().describe('Tickets of this type cannot be solved while a required step is unticked'),
    updatedAt: isoDate,
  })
  .meta({ id: 'SopChecklist' });

const presentSop = (s: SopRow): z.infer<typeof sopSchema> => ({
  ticketType: s.ticketType,
  steps: s.steps,
  blockSolve: s.blockSolve,
  updatedAt: s.updatedAt.toISOString(),
});

const checklistSchema = z
  .object({
    ticketId: z.string(),
    ticketType: z.string().describe('The type whose SOP the checklist came from'),
    steps: z.array(
      z.object({
        id: z.string(),
        text: z.string(),
        required: z.boolean(),
        done: z.boolean(),
        doneAt: isoDate.nullable(),
        doneBy: z.string().nullable().describe('User or API key id'),
        fromType: z.string().nullable().describe("Kept from the ticket's earlier type (ticked there)"),
      }),
    ),
    blockSolve: z.boolean(),
    complete: z.boolean().describe('Every required step is ticked'),
  })
  .meta({ id: 'TicketChecklist' });

const presentChecklist = (c: TicketChecklist): z.infer<typeof checklistSchema> => ({
  ticketId: c.ticketId,
  ticketType: c.ticketType,
  steps: c.steps.map((s) => ({
    id: s.id,
    text: s.text,
    required: s.required,
    done: Boolean(s.doneAt),
    doneAt: s.doneAt,
    doneBy: s.doneBy,
    fromType: s.fromType ?? null,
  })),
  blockSolve: c.blockSolve,
  complete: c.complete,
});

const typeParam = z.object({ ticketType: z.string().trim().min(1).max(50) });

export const sopsRoutes =
  (sops: SopsService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['SOP checklists'];
    r.get(
      '/sop-checklists',
      {
        schema: {
          tags,
          summary: 'The SOP checklist of each ticket type that has one',
          response: { 200: z.object({ data: z.array(sopSchema) }), ...errorResponses },
        },
      },
      async (req) => ({ data: (await sops.list(requireActor(req))).map(presentSop) }),
    );
    r.put(
      '/sop-checklists/:ticketType',
      {
        schema: {
          tags,
          summary: "Set a ticket type's SOP steps (tickets get them when they take the type)",
          params: typeParam,
          body: z.object({
            steps: z
              .array(
                z.object({
                  id: z.uuid().optional().describe('Keep to keep the step id'),
                  text: z.string().trim().min(1).max(500),
                  required: z.boolean().optional(),
                }),
              )
              .max(50),
            blockSolve: z.boolean().optional(),
          }),
          response: { 200: sopSchema, ...errorResponses },
        },
      },
      async (req) => presentSop(await sops.put(requireActor(req), req.params.ticketType, req.body)),
    );
    r.delete(
      '/sop-checklists/:ticketType',
      {
        schema: {
          tags,
          summary: "Remove a ticket type's SOP (tickets keep the checklists they have)",
          params: typeParam,
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        await sops.remove(requireActor(req), req.params.ticketType);
        return reply.status(204).send(null);
      },
    );
    r.get(
      '/tickets/:id/checklist',
      {
        schema: {
          tags,
          summary: "The ticket's checklist: its type's SOP steps, with who ticked each and when",
          params: idParam,
          response: { 200: checklistSchema, ...errorResponses },
        },
      },
      async (req) => presentChecklist(await sops.checklist(requireActor(req), req.params.id)),
    );
    r.patch(
      '/tickets/:id/checklist/:stepId',
      {
        schema: {
          tags,
          summary: 'Tick or untick a step',
          params: z.object({ id: z.uuid(), stepId: z.uuid() }),
          body: z.object({ done: z.boolean() }),
          response: { 200: checklistSchema, ...errorResponses },
        },
      },
      async (req) =>
        presentChecklist(await sops.setStep(requireActor(req), req.params.id, req.params.stepId, req.body.done)),
    );
  };
