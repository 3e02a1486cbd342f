import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import {
  activatedSchema,
  churnModelBody,
  listParams,
  listQuery,
  listSchema,
  modelsSchema,
  personPredictionsQuery,
  personPredictionsSchema,
  presentListRow,
  presentModel,
  presentPrediction,
  refitSchema,
} from './predictions.schemas.ts';
import type { PredictionsService } from './predictions.service.ts';
import { stageRulesSchema } from './stage-rules.ts';
import { z } from 'zod';

export const predictionsRoutes =
  (predictions: PredictionsService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Predictions'];

    r.get(
      '/predictions/models',
      {
        schema: {
          tags,
          summary: 'Every stored model fit (current and history) with its parameters and fit summary',
          response: { 200: modelsSchema, ...errorResponses },
        },
      },
      async (req) => ({ data: (await predictions.models(requireActor(req))).map(presentModel) }),
    );

    r.post(
      '/predictions/refit',
      {
        schema: {
          tags,
          summary: 'Queue a refit and rescoring of the purchase models (BG/NBD + Gamma-Gamma) of every currency',
          response: { 202: refitSchema, ...errorResponses },
        },
      },
      async (req, reply) => reply.code(202).send(await predictions.requestRefit(requireActor(req))),
    );

    r.get(
      '/predictions/lists/:list',
      {
        schema: {
          tags,
          summary: 'Customers of a predictive list (high value at risk, likely to buy again soon, probably gone)',
          params: listParams,
          querystring: listQuery,
          response: { 200: listSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await predictions.list(requireActor(req), { list: req.params.list, ...req.query });
        return {
          list: x.list,
          title: x.title,
          definition: x.definition,
          currency: x.currency,
          model: x.model ? presentModel(x.model) : null,
          data: x.rows.map(presentListRow),
          page: { nextCursor: x.nextCursor, limit: x.limit },
        };
      },
    );

    r.get(
      '/people/:id/predictions',
      {
        schema: {
          tags,
          summary: "A person's predictive scores per currency (P(alive), expected purchases, CLV, RFM)",
          params: idParam,
          querystring: personPredictionsQuery,
          response: { 200: personPredictionsSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await predictions.person(requireActor(req), req.params.id, { history: req.query.history === 'true' });
        return {
          data: x.purchase.map(presentPrediction),
          churn: x.churn ? { ...x.churn, scoredAt: x.churn.scoredAt.toISOString() } : null,
        };
      },
    );

    r.get(
      '/predictions/stage-rules',
      {
        schema: {
          tags,
          summary: 'Lifecycle stage rules applied after every refit (move people matching filters to a stage)',
          response: { 200: z.object({ data: stageRulesSchema }), ...errorResponses },
        },
      },
      async (req) => ({ data: await predictions.stageRules(requireActor(req)) }),
    );

    r.put(
      '/predictions/stage-rules',
      {
        schema: {
          tags,
          summary: 'Replace the lifecycle stage rules (each: a stage and people list filters, e.g. p_alive:lt:0.3)',
          body: z.object({ data: stageRulesSchema }),
          response: { 200: z.object({ data: stageRulesSchema }), ...errorResponses },
        },
      },
      async (req) => ({ data: await predictions.setStageRules(requireActor(req), req.body.data) }),
    );

    r.put(
      '/predictions/churn-model',
      {
        schema: {
          tags,
          summary: "Make a trained churn model the workspace's own and score its active subscribers",
          body: churnModelBody,
          response: { 200: activatedSchema, ...errorResponses },
        },
        bodyLimit: 5 * 1024 * 1024,
      },
      async (req) => {
        const r = await predictions.activateChurnModel(requireActor(req), req.body);
        return { model: presentModel(r.model), scored: r.scored };
      },
    );
  };
