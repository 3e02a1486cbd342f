import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, idParam } from '../../http/schemas.ts';
import {
  cohortsQuery,
  cohortsSchema,
  periodPeopleQuery,
  periodPeopleSchema,
  personRfmQuery,
  personRfmSchema,
  presentRfmPerson,
  presentSummary,
  rfmPeopleQuery,
  rfmPeopleSchema,
  rfmQuery,
  rfmSummarySchema,
  summaryQuery,
  summarySchema,
  trendQuery,
  trendSchema,
} from './metrics.schemas.ts';
import type { MetricsService } from './metrics.service.ts';

export const metricsRoutes =
  (metrics: MetricsService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Metrics'];

    r.get(
      '/metrics/summary',
      {
        schema: {
          tags,
          summary:
            'Relationship metrics of a period [from, to) (UTC days) and of the previous period of the same length, with the change',
          querystring: summaryQuery,
          response: { 200: summarySchema, ...errorResponses },
        },
      },
      async (req) => presentSummary(await metrics.summary(requireActor(req), req.query)),
    );

    r.get(
      '/metrics/trend',
      {
        schema: {
          tags,
          summary:
            'The monthly trend: revenue, orders, active customers and repeat purchase rate of each calendar month (UTC) up to `to`',
          querystring: trendQuery,
          response: { 200: trendSchema, ...errorResponses },
        },
      },
      async (req) => {
        const t = await metrics.trend(requireActor(req), req.query);
        return {
          ...t,
          to: t.to.toISOString(),
          months: t.months.map((m) => ({ ...m, from: m.from.toISOString(), to: m.to.toISOString() })),
        };
      },
    );

    r.get(
      '/metrics/people',
      {
        schema: {
          tags,
          summary:
            'The customers behind a number of the summary, a trend month or a cohort cell (every customer-based number; revenue and the other totals: the customers whose orders make them), highest net first',
          querystring: periodPeopleQuery,
          response: { 200: periodPeopleSchema, ...errorResponses },
        },
      },
      async (req) => {
        const page = await metrics.periodPeople(requireActor(req), req.query);
        return {
          period: { from: page.period.from.toISOString(), to: page.period.to.toISOString() },
          currency: page.currency,
          data: page.rows.map((r) => ({
            personId: r.personId,
            name: r.name,
            orders: r.orders,
            netMinor: r.net,
            lastOrderAt: r.lastOrderAt?.toISOString() ?? null,
          })),
          page: { nextCursor: page.nextCursor, limit: page.limit },
        };
      },
    );

    r.get(
      '/metrics/cohorts',
      {
        schema: {
          tags,
          summary:
            'Monthly acquisition cohorts: customers, retention share and net revenue by months since the first purchase',
          querystring: cohortsQuery,
          response: { 200: cohortsSchema, ...errorResponses },
        },
      },
      async (req) => {
        const c = await metrics.cohorts(requireActor(req), req.query);
        return { ...c, to: c.to.toISOString() };
      },
    );

    r.get(
      '/metrics/rfm',
      {
        schema: {
          tags,
          summary: 'RFM: customers per recency × frequency cell and per segment',
          querystring: rfmQuery,
          response: { 200: rfmSummarySchema, ...errorResponses },
        },
      },
      async (req) => {
        const s = await metrics.rfm(requireActor(req), req.query);
        return { ...s, asOf: s.asOf.toISOString() };
      },
    );

    r.get(
      '/metrics/rfm/people',
      {
        schema: {
          tags,
          summary: 'The customers of an RFM segment or cell (segment, or r and f), highest spend first',
          querystring: rfmPeopleQuery,
          response: { 200: rfmPeopleSchema, ...errorResponses },
        },
      },
      async (req) => {
        const page = await metrics.rfmPeople(requireActor(req), req.query);
        return {
          asOf: page.asOf.toISOString(),
          currency: page.currency,
          currencies: page.currencies,
          data: page.rows.map(presentRfmPerson),
          page: { nextCursor: page.nextCursor, limit: page.limit },
        };
      },
    );

    r.get(
      '/people/:id/rfm',
      {
        schema: {
          tags,
          summary: "A person's RFM scores and segment among all the workspace's customers",
          params: idParam,
          querystring: personRfmQuery,
          response: { 200: personRfmSchema, ...errorResponses },
        },
      },
      async (req) => {
        const x = await metrics.personRfm(requireActor(req), req.params.id, req.query);
        return { asOf: x.asOf.toISOString(), currency: x.currency, rfm: x.rfm ? presentRfmPerson(x.rfm) : null };
      },
    );
  };
