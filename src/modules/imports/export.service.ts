import { Readable } from 'node:stream';
import type { Db } from '../../db/client.ts';
import { csvLine } from '../../domain/csv-cells.ts';
import { consentChannels, consentPurposes } from '../../domain/customers.ts';
import { orderTargets } from '../../domain/order-imports.ts';
import type { Actor } from '../../domain/permissions.ts';
import { assertCan } from '../auth/access.ts';
import type { CompaniesService } from '../companies/companies.service.ts';
import { presentCompany } from '../companies/companies.schemas.ts';
import { listCustomFields } from '../fields/fields.repository.ts';
import type { PeopleListParams, PeopleService } from '../people/people.service.ts';
import { presentPerson, type PersonDto } from '../people/people.schemas.ts';
import type { CompanyDto } from '../companies/companies.schemas.ts';
import { linesOfOrders } from '../commerce/commerce.repository.ts';
import { presentOrder, type OrderDto } from '../commerce/commerce.schemas.ts';
import type { OrdersService } from '../commerce/orders.service.ts';
import { findPeopleByIds } from '../people/people.repository.ts';

const pageSize = 200;
const addressKeys = ['line1', 'line2', 'city', 'region', 'postalCode', 'country'] as const;

type Params = Omit<PeopleListParams, 'limit' | 'cursor'>;
export type ExportFormat = 'csv' | 'json';

const personBuiltIns = [
  'id',
  'firstName',
  'lastName',
  'name',
  'emails',
  'phones',
  'company',
  'companyDomain',
  'jobTitle',
  'stage',
  'tags',
  'source',
  'externalId',
  'language',
  'timezone',
  'ownerId',
] as const;
const companyBuiltIns = [
  'id',
  'name',
  'domain',
  'industry',
  'size',
  'emails',
  'phones',
  'tags',
  'source',
  'externalId',
  'language',
  'timezone',
  'ownerId',
] as const;

/** The CSV columns of people: import fields, so an export imports back as it is. Known before any row is read. */
function personColumns(customKeys: readonly string[]): string[] {
  return [
    ...personBuiltIns,
    ...addressKeys.map((k) => `address.${k}`),
    ...customKeys.map((k) => `custom.${k}`),
    ...consentChannels.flatMap((c) => consentPurposes.map((pu) => `consent.${c}.${pu}`)),
    'createdAt',
    'updatedAt',
  ];
}

function companyColumns(customKeys: readonly string[]): string[] {
  return [
    ...companyBuiltIns,
    ...addressKeys.map((k) => `address.${k}`),
    ...customKeys.map((k) => `custom.${k}`),
    'createdAt',
    'updatedAt',
  ];
}

/** One CSV row of a person, by column name (see personColumns). */
function personCells(p: PersonDto, customKeys: readonly string[]): Record<string, string> {
  const primary = p.companies.find((c) => c.isPrimary) ?? p.companies[0];
  const row: Record<string, string> = {
    id: p.id,
    firstName: p.firstName ?? '',
    lastName: p.lastName ?? '',
    name: p.name,
    emails: p.emails.join(';'),
    phones: p.phones.join(';'),
    company: primary?.name ?? '',
    companyDomain: primary?.domain ?? '',
    jobTitle: primary?.title ?? '',
    stage: p.stage,
    tags: p.tags.join(';'),
    source: p.source ?? '',
    externalId: p.externalId ?? '',
    language: p.language ?? '',
    timezone: p.timezone ?? '',
    ownerId: p.ownerId ?? '',
  };
  for (const k of addressKeys) row[`address.${k}`] = p.address[k] ?? '';
  for (const k of customKeys) row[`custom.${k}`] = cell(p.custom[k]);
  for (const c of consentChannels)
    for (const pu of consentPurposes) row[`consent.${c}.${pu}`] = p.consent[`${c}:${pu}`] ?? '';
  row.createdAt = p.createdAt;
  row.updatedAt = p.updatedAt;
  return row;
}

function companyCells(c: CompanyDto, customKeys: readonly string[]): Record<string, string> {
  const row: Record<string, string> = {
    id: c.id,
    name: c.name,
    domain: c.domain ?? '',
    industry: c.industry ?? '',
    size: c.size ?? '',
    emails: c.emails.join(';'),
    phones: c.phones.join(';'),
    tags: c.tags.join(';'),
    source: c.source ?? '',
    externalId: c.externalId ?? '',
    language: c.language ?? '',
    timezone: c.timezone ?? '',
    ownerId: c.ownerId ?? '',
  };
  for (const k of addressKeys) row[`address.${k}`] = c.address[k] ?? '';
  for (const k of customKeys) row[`custom.${k}`] = cell(c.custom[k]);
  row.createdAt = c.createdAt;
  row.updatedAt = c.updatedAt;
  return row;
}

type OrderParams = { filter?: string | string[] | undefined; sort?: string | undefined };
type ExportedOrder = { order: OrderDto; customerExternalId: string | null };

/** The CSV columns of orders: the orders import's fields first (an export imports back), then what it ignores. */
const orderColumns: readonly string[] = [...orderTargets, 'id', 'subtotal', 'net', 'note', 'createdAt', 'updatedAt'];

/** An order's CSV rows: its fields on every row, each line's on its own (the import groups rows by order id). */
function orderCells({ order: o, customerExternalId }: ExportedOrder): Array<Record<string, string>> {
  const base: Record<string, string> = {
    externalId: o.externalId ?? '',
    'customer.email': o.customer.email ?? '',
    'customer.externalId': customerExternalId ?? '',
    'customer.name': o.customer.name,
    placedAt: o.placedAt,
    status: o.status,
    currency: o.currency,
    channel: o.channel ?? '',
    total: o.total,
    discount: o.discount,
    tax: o.tax,
    shipping: o.shipping,
    refunded: o.refunded,
    id: o.id,
    subtotal: o.subtotal,
    net: o.net,
    note: o.note ?? '',
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
  const lines = o.lines ?? [];
  if (!lines.length) return [base];
  return lines.map((l) => ({
    ...base,
    'line.sku': l.sku ?? '',
    'line.name': l.name,
    'line.quantity': String(l.quantity),
    'line.unitPrice': l.unitPrice,
  }));
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(String).join(';');
  return String(v);
}

export type ExportService = ReturnType<typeof createExportService>;

/**
 * Streams every person or company matching a list query as CSV or JSON: page by page through the list cursor, so
 * memory stays at one page whatever the size. The first page is read before anything is sent, so a bad filter is
 * still a 400.
 */
export function createExportService(deps: {
  db: Db;
  people: PeopleService;
  companies: CompaniesService;
  orders: OrdersService;
}) {
  async function stream<T>(
    format: ExportFormat,
    columns: readonly string[],
    fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>,
    /** The CSV rows of an item: one for a person or company, one per line for an order. */
    cells: (item: T) => Array<Record<string, string>>,
    json: (item: T) => unknown,
  ): Promise<Readable> {
    const first = await fetchPage(undefined);
    async function* generate(): AsyncGenerator<string> {
      let page = first;
      let n = 0;
      // The header (or the opening bracket) comes first even when nothing matches: an empty export is still a file
      // with its columns. Cells are escaped against formulas (src/domain/csv-cells.ts).
      yield format === 'json' ? '[' : csvLine(columns);
      for (;;) {
        for (const item of page.items) {
          if (format === 'json') yield `${n++ ? ',' : ''}\n${JSON.stringify(json(item))}`;
          else for (const row of cells(item)) yield csvLine(columns.map((c) => row[c] ?? ''));
        }
        if (!page.nextCursor) break;
        page = await fetchPage(page.nextCursor);
      }
      if (format === 'json') yield n ? '\n]\n' : ']\n';
    }
    return Readable.from(generate());
  }

  return {
    async people(actor: Actor, params: Params, format: ExportFormat): Promise<Readable> {
      assertCan(actor, 'customers:read');
      const keys = (await listCustomFields(deps.db, actor.workspaceId, 'person'))
        .filter((d) => !d.archived)
        .map((d) => d.key);
      return stream(
        format,
        personColumns(keys),
        async (cursor) => {
          const page = await deps.people.list(actor, { ...params, limit: pageSize, cursor });
          return { items: page.rows.map((x) => presentPerson(x.person, x.companies)), nextCursor: page.nextCursor };
        },
        (p) => [personCells(p, keys)],
        (p) => p,
      );
    },

    /**
     * Orders matching the list's filter and sort. CSV: one row per line (an order without lines: one row), the
     * columns named as the orders import reads them, so the file imports back (matched on the shop's order id; an
     * order created without one has an empty `externalId` and is not matched). JSON: each order as the API gives it,
     * with its lines.
     */
    async orders(actor: Actor, params: OrderParams, format: ExportFormat): Promise<Readable> {
      return stream(
        format,
        orderColumns,
        async (cursor) => {
          const page = await deps.orders.list(actor, { ...params, limit: pageSize, cursor });
          const ids = page.rows.map((o) => o.id);
          const [lines, customerRows] = await Promise.all([
            linesOfOrders(deps.db, actor.workspaceId, ids),
            findPeopleByIds(deps.db, actor.workspaceId, [...new Set(page.rows.map((o) => o.personId))]),
          ]);
          const customers = new Map(customerRows.map((c) => [c.id, c]));
          return {
            items: page.rows.map((o) => ({
              order: presentOrder(o, o.customer, { lines: lines.get(o.id) ?? [], refunds: [] }),
              customerExternalId: customers.get(o.personId)?.externalId ?? null,
            })),
            nextCursor: page.nextCursor,
          };
        },
        orderCells,
        ({ order: { refunds: _refunds, ...order } }) => order,
      );
    },

    async companies(actor: Actor, params: Params, format: ExportFormat): Promise<Readable> {
      assertCan(actor, 'customers:read');
      const keys = (await listCustomFields(deps.db, actor.workspaceId, 'company'))
        .filter((d) => !d.archived)
        .map((d) => d.key);
      return stream(
        format,
        companyColumns(keys),
        async (cursor) => {
          const page = await deps.companies.list(actor, { ...params, limit: pageSize, cursor });
          return { items: page.rows.map((c) => presentCompany(c)), nextCursor: page.nextCursor };
        },
        (c) => [companyCells(c, keys)],
        (c) => c,
      );
    },
  };
}
