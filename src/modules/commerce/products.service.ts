import type { Db, DbOrTx } from '../../db/client.ts';
import { newId } from '../../db/ids.ts';
import { fromMinorUnits, normaliseCurrency, readMoney } from '../../domain/commerce.ts';
import { diffFields, type FieldProblem } from '../../domain/customers.ts';
import { parseListQuery } from '../../domain/list-query.ts';
import type { Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import { assertCan } from '../auth/access.ts';
import { invalidFields } from '../fields/record-fields.ts';
import { actorRef } from '../people/resolve-person.ts';
import {
  countProductLines,
  deleteProduct,
  findProduct,
  findProductByExternalId,
  findProductsBySkus,
  insertProduct,
  isForeignKeyViolation,
  isUniqueViolation,
  listProducts,
  productListColumns,
  updateProduct,
  type ProductInsert,
  type ProductRow,
} from './commerce.repository.ts';
import type { ProductInput, ProductPatch } from './commerce.schemas.ts';

export type ProductsService = ReturnType<typeof createProductsService>;

/** Commerce data is customer data: read with customers:read, written with customers:write. */
export const commerceRead = 'customers:read';
export const commerceWrite = 'customers:write';

type ProductColumns = Pick<ProductInsert, 'sku' | 'name' | 'category' | 'price' | 'currency' | 'active' | 'externalId'>;

/** Runs a write; a unique key taken by a concurrent writer (sku, external id) is a 409 naming the field. */
async function uniqueKeys<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isUniqueViolation(e))
      throw new AppError('conflict', 'Another product has this sku or external id', { field: 'sku' });
    throw e;
  }
}

export function createProductsService(deps: { db: Db }) {
  const { db } = deps;

  async function mustFind(tx: DbOrTx, actor: Actor, id: string): Promise<ProductRow> {
    const p = await findProduct(tx, actor.workspaceId, id);
    if (!p) throw AppError.notFound('Product', id);
    return p;
  }

  /** The columns the input sets, checked (every problem at once); `existing` for a change. */
  function toColumns(input: ProductPatch, existing: ProductRow | null): Partial<ProductColumns> {
    const problems: FieldProblem[] = [];
    const out: Partial<ProductColumns> = {};
    if (input.sku !== undefined) out.sku = input.sku;
    if (input.name !== undefined) out.name = input.name;
    if (input.category !== undefined) out.category = input.category || null;
    if (input.active !== undefined) out.active = input.active;
    if (input.externalId !== undefined) out.externalId = input.externalId || null;
    let currency = existing?.currency ?? null;
    if (input.currency !== undefined) {
      const c = normaliseCurrency(input.currency);
      if (!c) problems.push({ field: 'currency', message: `"${input.currency}" is not an ISO 4217 currency code` });
      else {
        currency = c;
        out.currency = c;
      }
    }
    if (!existing) {
      if (!input.sku) problems.push({ field: 'sku', message: 'a product needs a sku' });
      if (!input.name) problems.push({ field: 'name', message: 'a product needs a name' });
      if (input.price === undefined) problems.push({ field: 'price', message: 'a product needs a price' });
      if (input.currency === undefined) problems.push({ field: 'currency', message: 'a product needs a currency' });
    }
    if (input.price !== undefined && currency && (input.currency === undefined || out.currency)) {
      const price = readMoney(input.price, currency, 'price', problems);
      if (price !== null) out.price = price;
    }
    // Minor units mean something else in another currency (JPY has none, BHD three): a new currency needs its price.
    if (existing && out.currency && out.currency !== existing.currency && input.price === undefined)
      problems.push({ field: 'price', message: `give the price in ${out.currency} when changing the currency` });
    if (problems.length) throw invalidFields(problems);
    return out;
  }

  async function assertFreeKeys(tx: DbOrTx, actor: Actor, cols: Partial<ProductColumns>, selfId: string | null) {
    if (cols.sku) {
      const [other] = await findProductsBySkus(tx, actor.workspaceId, [cols.sku]);
      if (other && other.id !== selfId)
        throw new AppError('conflict', `Another product has the sku "${cols.sku}"`, {
          field: 'sku',
          productId: other.id,
        });
    }
    if (cols.externalId) {
      const other = await findProductByExternalId(tx, actor.workspaceId, cols.externalId);
      if (other && other.id !== selfId)
        throw new AppError('conflict', `Another product has the external id "${cols.externalId}"`, {
          field: 'externalId',
          productId: other.id,
        });
    }
  }

  /** The event payload of a product change: money shown as decimals. */
  function changesOf(before: ProductRow, cols: Partial<ProductColumns>) {
    const changes = diffFields({ ...before }, { ...cols });
    if (changes.price)
      changes.price = {
        from: fromMinorUnits(before.price, before.currency),
        to: fromMinorUnits(cols.price ?? before.price, cols.currency ?? before.currency),
      };
    return changes;
  }

  async function insert(tx: DbOrTx, actor: Actor, cols: Partial<ProductColumns>): Promise<ProductRow> {
    await assertFreeKeys(tx, actor, cols, null);
    const id = newId();
    const row = await insertProduct(tx, {
      workspaceId: actor.workspaceId,
      id,
      sku: cols.sku ?? '',
      name: cols.name ?? '',
      category: cols.category ?? null,
      price: cols.price ?? 0,
      currency: cols.currency ?? '',
      active: cols.active ?? true,
      externalId: cols.externalId ?? null,
      createdBy: actorRef(actor),
      updatedBy: actorRef(actor),
    });
    await appendEvent(tx, actor, {
      type: 'product.created',
      subjectType: 'product',
      subjectId: id,
      payload: { sku: row.sku, name: row.name, price: fromMinorUnits(row.price, row.currency), currency: row.currency },
    });
    return row;
  }

  /** Applies a change; no event (and no write) when nothing changes. */
  async function change(
    tx: DbOrTx,
    actor: Actor,
    before: ProductRow,
    cols: Partial<ProductColumns>,
  ): Promise<ProductRow> {
    const changes = changesOf(before, cols);
    if (!Object.keys(changes).length) return before;
    await assertFreeKeys(tx, actor, cols, before.id);
    const row = await updateProduct(tx, actor.workspaceId, before.id, { ...cols, updatedBy: actorRef(actor) });
    if (!row) throw AppError.notFound('Product', before.id);
    await appendEvent(tx, actor, {
      type: 'product.updated',
      subjectType: 'product',
      subjectId: row.id,
      payload: { sku: row.sku, name: row.name, changes },
    });
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
      const q = parseListQuery(params, productListColumns.specs, { field: 'name', direction: 'asc' });
      const page = await listProducts(db, actor.workspaceId, q);
      return { rows: page.rows, nextCursor: page.nextCursor, limit: q.limit };
    },

    async get(actor: Actor, id: string): Promise<ProductRow> {
      assertCan(actor, commerceRead);
      return mustFind(db, actor, id);
    },

    async create(actor: Actor, input: ProductInput): Promise<ProductRow> {
      assertCan(actor, commerceWrite);
      const cols = toColumns(input, null);
      return uniqueKeys(() => db.transaction((tx) => insert(tx, actor, cols)));
    },

    async update(actor: Actor, id: string, input: ProductPatch): Promise<ProductRow> {
      assertCan(actor, commerceWrite);
      return uniqueKeys(() =>
        db.transaction(async (tx) => {
          const before = await mustFind(tx, actor, id);
          return change(tx, actor, before, toColumns(input, before));
        }),
      );
    },

    /**
     * Creates or brings up to date the product with this external id: the same body twice is one product and one
     * event. `created` says which happened.
     */
    async upsert(
      actor: Actor,
      externalId: string,
      input: Omit<ProductInput, 'externalId'>,
    ): Promise<{ product: ProductRow; created: boolean }> {
      assertCan(actor, commerceWrite);
      const run = () =>
        db.transaction(async (tx) => {
          const before = await findProductByExternalId(tx, actor.workspaceId, externalId);
          const cols = toColumns({ ...input, externalId }, before);
          if (before) return { product: await change(tx, actor, before, cols), created: false };
          return { product: await insert(tx, actor, cols), created: true };
        });
      try {
        return await run();
      } catch (e) {
        // A concurrent upsert of the same external id inserted first: this one is now a change (or nothing).
        if (isUniqueViolation(e)) return uniqueKeys(run);
        throw e;
      }
    },

    /** Deletes a product that was never sold; a sold one is kept for its orders (deactivate it instead). */
    async remove(actor: Actor, id: string): Promise<void> {
      assertCan(actor, commerceWrite);
      try {
        await db.transaction(async (tx) => {
          const p = await mustFind(tx, actor, id);
          const lines = await countProductLines(tx, actor.workspaceId, id);
          if (lines)
            throw new AppError(
              'conflict',
              `The product is on ${lines} order line${lines === 1 ? '' : 's'}: deactivate it (active: false) instead of deleting it`,
              { orderLines: lines },
            );
          await deleteProduct(tx, actor.workspaceId, id);
          await appendEvent(tx, actor, {
            type: 'product.deleted',
            subjectType: 'product',
            subjectId: id,
            payload: { sku: p.sku, name: p.name },
          });
        });
      } catch (e) {
        if (isForeignKeyViolation(e))
          throw new AppError('conflict', 'The product was just sold: deactivate it (active: false) instead');
        throw e;
      }
    },
  };
}
