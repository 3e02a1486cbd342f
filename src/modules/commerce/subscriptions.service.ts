import type { Db, DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import {
  fromMinorUnits,
  momentProblem,
  normaliseCurrency,
  readMoney,
  type SubscriptionStatus,
} from '../../domain/commerce.ts';
import { diffFields, type FieldProblem } from '../../domain/customers.ts';
import { parseListQuery } from '../../domain/list-query.ts';
import type { Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEventsTogether, type EventInput } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { invalidFields } from '../fields/record-fields.ts';
import { actorRef } from '../people/resolve-person.ts';
import {
  customerOf,
  findSubscription,
  findSubscriptionByExternalId,
  insertSubscription,
  isUniqueViolation,
  listSubscriptions,
  subscriptionListColumns,
  updateSubscription,
  type CustomerBrief,
  type SubscriptionRow,
} from './commerce.repository.ts';
import type { SubscriptionCancel, SubscriptionInput } from './commerce.schemas.ts';
import { customerProblems, resolveCustomer } from './customer.ts';
import { commerceRead, commerceWrite } from './products.service.ts';

export type SubscriptionsService = ReturnType<typeof createSubscriptionsService>;

export type SubscriptionDetail = { subscription: SubscriptionRow; customer: CustomerBrief };

type SubscriptionValues = {
  plan: string;
  status: SubscriptionStatus | undefined;
  startedAt: Date | undefined;
  canceledAt: Date | null | undefined;
  mrr: number;
  currency: string;
  cancelReason: string | null | undefined;
};

export function createSubscriptionsService(deps: { db: Db }) {
  const { db } = deps;

  async function mustFind(tx: DbOrTx, actor: Actor, id: string, lock = false): Promise<SubscriptionRow> {
    const s = await findSubscription(tx, actor.workspaceId, id, { lock });
    if (!s) throw AppError.notFound('Subscription', id);
    return s;
  }

  async function detailOf(tx: DbOrTx, s: SubscriptionRow): Promise<SubscriptionDetail> {
    return { subscription: s, customer: await customerOf(tx, s.workspaceId, s.personId) };
  }

  function valuesOf(input: Omit<SubscriptionInput, 'externalId'>): SubscriptionValues {
    const problems: FieldProblem[] = [...customerProblems(input)];
    const currency = normaliseCurrency(input.currency);
    if (!currency)
      problems.push({ field: 'currency', message: `"${input.currency}" is not an ISO 4217 currency code` });
    const mrr = currency ? readMoney(input.mrr, currency, 'mrr', problems) : null;
    const dates: Record<'startedAt' | 'canceledAt', Date | null | undefined> = {
      startedAt: input.startedAt ? new Date(input.startedAt) : undefined,
      canceledAt: input.canceledAt ? new Date(input.canceledAt) : input.canceledAt === null ? null : undefined,
    };
    for (const [field, d] of Object.entries(dates)) {
      const p = d && momentProblem(d);
      if (p) problems.push({ field, message: p });
    }
    if (input.status !== 'canceled' && dates.canceledAt)
      problems.push({ field: 'canceledAt', message: 'an active subscription has no cancel date' });
    if (problems.length || !currency || mrr === null) throw invalidFields(problems);
    return {
      plan: input.plan,
      status: input.status,
      startedAt: dates.startedAt ?? undefined,
      canceledAt: dates.canceledAt,
      mrr,
      currency,
      cancelReason: input.cancelReason === undefined ? undefined : input.cancelReason || null,
    };
  }

  function subscriptionEvent(s: SubscriptionRow, type: string, payload: Record<string, unknown>): EventInput {
    return {
      type,
      subjectType: 'subscription',
      subjectId: s.id,
      personId: s.personId,
      payload: {
        externalId: s.externalId,
        plan: s.plan,
        mrr: fromMinorUnits(s.mrr, s.currency),
        currency: s.currency,
        ...payload,
      },
    };
  }

  function canceledEvent(s: SubscriptionRow): EventInput {
    return subscriptionEvent(s, 'subscription.canceled', {
      canceledAt: s.canceledAt?.toISOString() ?? null,
      reason: s.cancelReason,
    });
  }

  /** A cancel date: given, else now; never before the start. */
  function cancelDate(given: Date | null | undefined, startedAt: Date): Date {
    const at = given ?? new Date();
    if (at < startedAt)
      throw invalidFields([{ field: 'canceledAt', message: 'must not be before the subscription started' }]);
    return at;
  }

  async function insertNew(
    tx: DbOrTx,
    actor: Actor,
    input: Omit<SubscriptionInput, 'externalId'>,
    externalId: string | null,
  ): Promise<SubscriptionRow> {
    const v = valuesOf(input);
    const person = await resolveCustomer(tx, actor, input, 'subscription');
    const startedAt = v.startedAt ?? new Date();
    const status = v.status ?? 'active';
    const canceledAt = status === 'canceled' ? cancelDate(v.canceledAt, startedAt) : null;
    const row = await insertSubscription(tx, {
      workspaceId: actor.workspaceId,
      id: newId(),
      externalId,
      personId: person.id,
      plan: v.plan,
      status,
      startedAt,
      canceledAt,
      mrr: v.mrr,
      currency: v.currency,
      cancelReason: status === 'canceled' ? (v.cancelReason ?? null) : null,
      createdBy: actorRef(actor),
      updatedBy: actorRef(actor),
    });
    await appendEventsTogether(tx, actor, [
      subscriptionEvent(row, 'subscription.started', { startedAt: row.startedAt.toISOString() }),
      ...(row.status === 'canceled' ? [canceledEvent(row)] : []),
    ]);
    return row;
  }

  async function bringUpToDate(
    tx: DbOrTx,
    actor: Actor,
    before: SubscriptionRow,
    input: Omit<SubscriptionInput, 'externalId'>,
  ): Promise<SubscriptionRow> {
    const v = valuesOf(input);
    const person = await resolveCustomer(tx, actor, input, 'subscription');
    const status = v.status ?? before.status;
    if (before.status === 'canceled' && status === 'active')
      throw new AppError('conflict', 'A canceled subscription does not start again: start a new one', {
        field: 'status',
      });
    const startedAt = v.startedAt ?? before.startedAt;
    const canceledAt =
      status === 'canceled'
        ? before.status === 'canceled' && v.canceledAt === undefined
          ? before.canceledAt
          : cancelDate(v.canceledAt, startedAt)
        : null;
    if (canceledAt && canceledAt < startedAt)
      throw invalidFields([{ field: 'startedAt', message: 'must not be after the subscription was canceled' }]);
    const set = {
      personId: person.id,
      plan: v.plan,
      startedAt,
      mrr: v.mrr,
      currency: v.currency,
    };
    const changes = diffFields({ ...before }, set);
    if (changes.mrr || changes.currency)
      changes.mrr = { from: fromMinorUnits(before.mrr, before.currency), to: fromMinorUnits(set.mrr, set.currency) };
    if (changes.startedAt)
      changes.startedAt = { from: before.startedAt.toISOString(), to: set.startedAt.toISOString() };
    const cancel = {
      status,
      canceledAt,
      cancelReason:
        status === 'canceled' ? (v.cancelReason === undefined ? before.cancelReason : v.cancelReason) : null,
    };
    const canceling = before.status !== 'canceled' && status === 'canceled';
    // A cancellation is its own event; a canceled subscription's date or reason corrected is a change.
    if (!canceling) Object.assign(changes, diffFields({ ...before }, cancel));
    if (changes.canceledAt)
      changes.canceledAt = {
        from: before.canceledAt?.toISOString() ?? null,
        to: cancel.canceledAt?.toISOString() ?? null,
      };
    if (!Object.keys(changes).length && !canceling) return before;
    const row = await updateSubscription(tx, actor.workspaceId, before.id, {
      ...set,
      ...cancel,
      updatedBy: actorRef(actor),
    });
    if (!row) throw AppError.notFound('Subscription', before.id);
    await appendEventsTogether(tx, actor, [
      ...(Object.keys(changes).length ? [subscriptionEvent(row, 'subscription.updated', { changes })] : []),
      ...(canceling ? [canceledEvent(row)] : []),
    ]);
    return row;
  }

  return {
    async list(
      actor: Actor,
      params: {
        limit?: number | undefined;
        cursor?: string | undefined;
        sort?: string | undefined;
        filter?: string | string[] | undefined;
      },
    ) {
      assertCan(actor, commerceRead);
      const q = parseListQuery(params, subscriptionListColumns.specs, { field: 'started_at', direction: 'desc' });
      const page = await listSubscriptions(db, actor.workspaceId, q);
      return { rows: page.rows, nextCursor: page.nextCursor, limit: q.limit };
    },

    async get(actor: Actor, id: string): Promise<SubscriptionDetail> {
      assertCan(actor, commerceRead);
      return detailOf(db, await mustFind(db, actor, id));
    },

    async create(actor: Actor, input: SubscriptionInput): Promise<SubscriptionDetail> {
      assertCan(actor, commerceWrite);
      const externalId = input.externalId ?? null;
      const run = () =>
        db.transaction(async (tx) => {
          if (externalId && (await findSubscriptionByExternalId(tx, actor.workspaceId, externalId)))
            throw new AppError(
              'conflict',
              `A subscription with the external id "${externalId}" exists: PUT /api/v1/subscriptions/by-external-id/{externalId} changes it`,
              { field: 'externalId' },
            );
          return detailOf(tx, await insertNew(tx, actor, input, externalId));
        });
      try {
        return await run();
      } catch (e) {
        if (isUniqueViolation(e)) return run();
        throw e;
      }
    },

    /**
     * Creates the subscription with this external id, or brings it up to date (plan, MRR, dates; active → canceled):
     * the same body twice is one subscription and one set of events.
     */
    async upsert(
      actor: Actor,
      externalId: string,
      input: Omit<SubscriptionInput, 'externalId'>,
    ): Promise<SubscriptionDetail & { created: boolean }> {
      assertCan(actor, commerceWrite);
      const run = () =>
        db.transaction(async (tx) => {
          const before = await findSubscriptionByExternalId(tx, actor.workspaceId, externalId, { lock: true });
          const row = before
            ? await bringUpToDate(tx, actor, before, input)
            : await insertNew(tx, actor, input, externalId);
          return { ...(await detailOf(tx, row)), created: !before };
        });
      try {
        return await run();
      } catch (e) {
        if (isUniqueViolation(e)) return run();
        throw e;
      }
    },

    async cancel(actor: Actor, id: string, input: SubscriptionCancel): Promise<SubscriptionDetail> {
      assertCan(actor, commerceWrite);
      return db.transaction(async (tx) => {
        const before = await mustFind(tx, actor, id, true);
        if (before.status === 'canceled')
          throw new AppError(
            'conflict',
            `The subscription was already canceled on ${before.canceledAt?.toISOString() ?? '?'}`,
          );
        const given = input.canceledAt ? new Date(input.canceledAt) : undefined;
        const p = given && momentProblem(given);
        if (p) throw invalidFields([{ field: 'canceledAt', message: p }]);
        const row = await updateSubscription(tx, actor.workspaceId, id, {
          status: 'canceled',
          canceledAt: cancelDate(given, before.startedAt),
          cancelReason: input.reason || null,
          updatedBy: actorRef(actor),
        });
        if (!row) throw AppError.notFound('Subscription', id);
        await appendEventsTogether(tx, actor, [canceledEvent(row)]);
        return detailOf(tx, row);
      });
    },
  };
}
