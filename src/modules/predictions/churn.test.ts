/**
 * Churn risk in the product: subscribers generated with a known cause of churn (monthly plans and complaints raise
 * it), their features read by Rapport (measured at the end of each relationship: nothing after a cancellation
 * counts), a classifier trained on them by the domain code, activated through the API, every active subscriber
 * scored with reasons in words; filters, bad models, permissions and workspace isolation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeUser, makeWorkspace, type TestWorkspace } from '../../../test/factories.ts';
import { insertRows } from '../../db/bulk.ts';
import { newId } from '../../db/ids.ts';
import { people, subscriptions, tickets } from '../../db/schema/index.ts';
import { prepareTable, trainChurnModel } from '../../domain/churn-model.ts';
import { seededRandom } from '../../domain/customer-base-simulation.ts';
import { churnFeatures, churnFeatureTable, rescoreChurn } from './churn.service.ts';

const dayMs = 86_400_000;
const now = Date.now();

describe.each(testEngines())('churn risk in the product (%s)', (engine) => {
  const ctx = useTestApp(engine);
  let ws: TestWorkspace;
  let h: Record<string, string>;
  type Truth = { personId: string; monthly: boolean; complaints: number; churned: boolean; lateTicket: boolean };
  const truth: Truth[] = [];
  let modelJson: Record<string, unknown>;

  beforeAll(async () => {
    ws = await makeWorkspace(ctx.services);
    h = bearer(await makeApiKey(ctx.services, ws));
    const random = seededRandom(42);
    const wsId = ws.workspace.id;
    const ppl = [];
    const subs = [];
    const tks = [];
    let number = 1;
    for (let i = 0; i < 400; i++) {
      const personId = newId();
      const monthly = random() < 0.5;
      const complaints = random() < 0.3 ? 1 + Math.floor(random() * 3) : 0;
      const logit = -2 + (monthly ? 1.8 : 0) + 0.9 * complaints;
      const churned = random() < 1 / (1 + Math.exp(-logit));
      const start = now - (200 + Math.floor(random() * 600)) * dayMs;
      const cancel = churned ? now - Math.floor(random() * 100 + 5) * dayMs : null;
      const end = cancel ?? now;
      ppl.push({ workspaceId: wsId, id: personId, displayName: `Subscriber ${i}`, stage: 'customer' });
      subs.push({
        workspaceId: wsId,
        id: newId(),
        personId,
        plan: monthly ? 'monthly' : 'annual',
        status: churned ? ('canceled' as const) : ('active' as const),
        startedAt: new Date(start),
        canceledAt: cancel === null ? null : new Date(cancel),
        mrr: monthly ? 2900 : 2400,
        currency: 'EUR',
      });
      for (let c = 0; c < complaints; c++)
        tks.push({
          workspaceId: wsId,
          id: newId(),
          number: number++,
          subject: 'Not happy',
          channel: 'email' as const,
          type: 'complaint',
          priority: 'high' as const,
          status: 'solved' as const,
          personId,
          createdAt: new Date(end - (10 + c * 20) * dayMs),
        });
      // A ticket after the cancellation (a win-back call): it must not count for a churned customer.
      const lateTicket = churned && random() < 0.5;
      if (lateTicket)
        tks.push({
          workspaceId: wsId,
          id: newId(),
          number: number++,
          subject: 'Win-back call',
          channel: 'phone' as const,
          type: 'complaint',
          priority: 'urgent' as const,
          status: 'closed' as const,
          personId,
          createdAt: new Date(end + dayMs),
        });
      truth.push({ personId, monthly, complaints, churned, lateTicket });
    }
    await insertRows(ctx.database.db, people, ppl);
    await insertRows(ctx.database.db, subscriptions, subs);
    await insertRows(ctx.database.db, tickets, tks);
  }, 120_000);

  it('reads every subscriber’s features at the end of their relationship, with the label', async () => {
    const rows = await churnFeatures(ctx.database.db, ws.workspace.id);
    expect(rows).toHaveLength(400);
    const byId = new Map(rows.map((r) => [r.personId, r]));
    for (const t of truth) {
      const r = byId.get(t.personId)!;
      expect(r.active).toBe(!t.churned);
      expect(r.features.plan).toBe(t.monthly ? 'monthly' : 'annual');
      expect(r.features.complaints_365d).toBe(t.complaints); // the late win-back ticket is not counted
      expect(r.features.tickets_365d).toBe(t.complaints);
    }
    expect(truth.some((t) => t.lateTicket)).toBe(true);
    const table = churnFeatureTable(rows);
    expect(table.columns[0]).toBe('person_id');
    expect(table.columns.at(-1)).toBe('churned');
    expect(table.rows.filter((r) => r.at(-1) === 'yes')).toHaveLength(truth.filter((t) => t.churned).length);
    const prepared = prepareTable(table, { label: 'churned', positive: 'yes', id: 'person_id' });
    modelJson = JSON.parse(JSON.stringify(trainChurnModel(prepared, { folds: 5, seed: 1 }))) as Record<string, unknown>;
  });

  it('activating the model scores every active subscriber; the causes show as reasons', async () => {
    const res = await ctx.app.inject({
      method: 'PUT',
      url: '/api/v1/predictions/churn-model',
      headers: h,
      payload: modelJson,
    });
    expect(res.statusCode, res.body).toBe(200);
    const active = truth.filter((t) => !t.churned);
    expect(res.json<{ scored: number; model: { kind: string; version: number } }>()).toMatchObject({
      scored: active.length,
      model: { kind: 'churn', version: 1 },
    });
    type Churn = { probability: number; raising: Array<{ column: string; text: string }> } | null;
    const churnOf = async (personId: string) => {
      const r = await ctx.app.inject({ method: 'GET', url: `/api/v1/people/${personId}/predictions`, headers: h });
      expect(r.statusCode, r.body).toBe(200);
      return r.json<{ churn: Churn }>().churn;
    };
    const risky = active.find((t) => t.monthly && t.complaints >= 2)!;
    const safe = active.find((t) => !t.monthly && t.complaints === 0)!;
    const a = await churnOf(risky.personId);
    const b = await churnOf(safe.personId);
    expect(a!.probability).toBeGreaterThan(b!.probability);
    const columns = a!.raising.map((x) => x.column);
    expect(columns.some((c) => ['plan', 'complaints_365d', 'tickets_365d', 'urgent_tickets_365d'].includes(c))).toBe(
      true,
    );
    for (const x of a!.raising) expect(x.text).toMatch(/\w+ is /);
    // A churned customer is not scored (they have left).
    expect(await churnOf(truth.find((t) => t.churned)!.personId)).toBeNull();
    // The people list filters on it.
    const list = await ctx.app.inject({
      method: 'GET',
      url: `/api/v1/people?limit=200&filter=${encodeURIComponent('churn_risk:gte:0.5')}`,
      headers: h,
    });
    const ids = list.json<{ data: Array<{ id: string }> }>().data.map((p) => p.id);
    expect(ids).toContain(risky.personId);
    expect(ids).not.toContain(safe.personId);
  });

  it('a new activation supersedes the old model and keeps one current score per person', async () => {
    const res = await ctx.app.inject({
      method: 'PUT',
      url: '/api/v1/predictions/churn-model',
      headers: h,
      payload: modelJson,
    });
    expect(res.json<{ model: { version: number } }>().model.version).toBe(2);
    const n = (await ctx.database.db.execute(
      `select count(*)::int as n, count(distinct person_id)::int as d from customer_churn_scores where workspace_id = '${ws.workspace.id}' and current`,
    )) as unknown as { rows: Array<{ n: number; d: number }> };
    expect(Number(n.rows[0]!.n)).toBe(Number(n.rows[0]!.d));
    const models = await ctx.app.inject({ method: 'GET', url: '/api/v1/predictions/models', headers: h });
    const churn = models
      .json<{ data: Array<{ kind: string; status: string }> }>()
      .data.filter((m) => m.kind === 'churn');
    expect(churn.map((m) => m.status).sort()).toEqual(['current', 'superseded']);
  });

  it('rescoring with the same model (the nightly refit) keeps one current score per person and the earlier ones as history', async () => {
    const counts = async () => {
      const r = (await ctx.database.db.execute(
        `select count(*) filter (where current)::int as current, count(distinct person_id)::int as people,
           count(*)::int as total
         from customer_churn_scores s join prediction_models m on m.workspace_id = s.workspace_id and m.id = s.model_id
         where s.workspace_id = '${ws.workspace.id}' and m.status = 'current'`,
      )) as unknown as { rows: Array<{ current: number; people: number; total: number }> };
      return r.rows[0]!;
    };
    const before = await counts();
    expect(before.current).toBeGreaterThan(0);
    const first = await rescoreChurn(ctx.database.db, ws.workspace.id);
    const second = await rescoreChurn(ctx.database.db, ws.workspace.id);
    expect(first?.scored).toBe(before.current);
    expect(second?.scored).toBe(before.current);
    const after = await counts();
    expect(after.current).toBe(before.people);
    expect(after.total).toBe(before.total + 2 * before.current);
  });

  it('refuses a foreign file or a model needing columns Rapport does not have, with what is wrong', async () => {
    const put = (payload: unknown) =>
      ctx.app.inject({ method: 'PUT', url: '/api/v1/predictions/churn-model', headers: h, payload: payload as object });
    const foreign = await put({ hello: 'world' });
    expect(foreign.statusCode).toBe(400);
    const columns = (modelJson.columns as Array<{ name: string }>).map((c, i) =>
      i === 0 ? { ...c, name: 'Contract' } : c,
    );
    const needsContract = await put({ ...modelJson, columns });
    expect(needsContract.statusCode).toBe(400);
    expect(needsContract.json<{ error: { details: { missing: string[] } } }>().error.details.missing).toEqual([
      'Contract',
    ]);
    const analyst = await makeUser(ctx.services, ws, { role: 'analyst' });
    await expect(ctx.services.predictions.activateChurnModel(analyst.actor, modelJson)).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('another workspace sees none of it', async () => {
    const other = await makeWorkspace(ctx.services);
    const oh = bearer(await makeApiKey(ctx.services, other));
    const r = await ctx.app.inject({
      method: 'GET',
      url: `/api/v1/people/${truth[0]!.personId}/predictions`,
      headers: oh,
    });
    expect(r.statusCode).toBe(404);
    expect(await churnFeatures(ctx.database.db, other.workspace.id)).toEqual([]);
  });
});
