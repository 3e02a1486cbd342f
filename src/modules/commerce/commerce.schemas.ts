import { z } from 'zod';
import { fromMinorUnits, settableOrderStatuses, subscriptionStatuses, orderStatuses } from '../../domain/commerce.ts';
import { iso, isoDate } from '../../http/schemas.ts';
import type {
  CustomerBrief,
  OrderLineRow,
  OrderRow,
  ProductRow,
  RefundRow,
  SubscriptionRow,
} from './commerce.repository.ts';

/** Money in and out of the API: decimal amounts in the currency's digits, stored as integer minor units. */
export const moneyInput = z
  .union([z.number(), z.string().max(40)])
  .describe(
    'A decimal amount in the currency, as a number or a string: 19.99 or "19.99" (no more decimals than the currency has)',
  );
const moneyOutput = z.string().describe('A decimal amount in the currency\'s digits, e.g. "19.99"');
const currencyInput = z.string().max(10).describe('ISO 4217 code, e.g. EUR (any case)');
const externalIdInput = z.string().trim().min(1).max(200);
const dateTimeInput = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' });

export const customerRef = z
  .object({
    externalId: externalIdInput.optional().describe("The customer's id in your system (the person's externalId)"),
    email: z.string().max(320).optional(),
    phone: z.string().max(40).optional(),
    name: z.string().max(200).optional().describe('Used when the customer is created'),
  })
  .describe(
    'Who the customer is, when personId is not given: found by external id, then e-mail, then phone; created when unknown',
  );

const customerBriefSchema = z.object({ id: z.string(), name: z.string(), email: z.string().nullable() });

// ---- products ----

export const productSchema = z
  .object({
    id: z.string(),
    sku: z.string(),
    name: z.string(),
    category: z.string().nullable(),
    price: moneyOutput,
    currency: z.string(),
    active: z.boolean(),
    externalId: z.string().nullable(),
    createdBy: z.string().nullable(),
    updatedBy: z.string().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Product' });
export type ProductDto = z.infer<typeof productSchema>;

export function presentProduct(p: ProductRow): ProductDto {
  return {
    id: p.id,
    sku: p.sku,
    name: p.name,
    category: p.category,
    price: fromMinorUnits(p.price, p.currency),
    currency: p.currency,
    active: p.active,
    externalId: p.externalId,
    createdBy: p.createdBy,
    updatedBy: p.updatedBy,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export const productInput = z.object({
  sku: z.string().trim().min(1).max(100).describe('Stock-keeping unit, unique in the workspace'),
  name: z.string().trim().min(1).max(300),
  category: z.string().trim().max(100).nullish(),
  price: moneyInput,
  currency: currencyInput,
  active: z.boolean().optional(),
  externalId: externalIdInput.nullish().describe("The product's id in your system, unique in the workspace"),
});
export type ProductInput = z.infer<typeof productInput>;
export const productPatch = productInput.partial();
export type ProductPatch = z.infer<typeof productPatch>;
export const productUpsert = productInput.omit({ externalId: true });

// ---- orders ----

export const orderLineSchema = z.object({
  lineNumber: z.number().int(),
  productId: z.string().nullable(),
  sku: z.string().nullable(),
  name: z.string(),
  quantity: z.number().int(),
  unitPrice: moneyOutput,
  amount: moneyOutput,
});

export const refundSchema = z
  .object({
    id: z.string(),
    orderId: z.string(),
    amount: moneyOutput,
    currency: z.string(),
    reason: z.string().nullable(),
    refundedAt: isoDate,
    actorType: z.string(),
    actorId: z.string().nullable(),
    createdAt: isoDate,
  })
  .meta({ id: 'Refund' });

export const orderSchema = z
  .object({
    id: z.string(),
    externalId: z.string().nullable(),
    personId: z.string(),
    customer: customerBriefSchema,
    placedAt: isoDate,
    status: z.enum(orderStatuses),
    currency: z.string(),
    channel: z.string().nullable(),
    subtotal: moneyOutput,
    discount: moneyOutput,
    tax: moneyOutput,
    shipping: moneyOutput,
    total: moneyOutput,
    refunded: moneyOutput,
    net: moneyOutput.describe('total − refunded'),
    note: z.string().nullable(),
    lines: z.array(orderLineSchema).optional(),
    refunds: z.array(refundSchema).optional(),
    createdBy: z.string().nullable(),
    updatedBy: z.string().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Order' });
export type OrderDto = z.infer<typeof orderSchema>;

export function presentRefund(r: RefundRow, currency: string): z.infer<typeof refundSchema> {
  return {
    id: r.id,
    orderId: r.orderId,
    amount: fromMinorUnits(r.amount, currency),
    currency,
    reason: r.reason,
    refundedAt: r.refundedAt.toISOString(),
    actorType: r.actorType,
    actorId: r.actorId,
    createdAt: r.createdAt.toISOString(),
  };
}

export function presentOrder(
  o: OrderRow,
  customer: CustomerBrief,
  detail?: { lines: OrderLineRow[]; refunds: RefundRow[] },
): OrderDto {
  const m = (minor: number) => fromMinorUnits(minor, o.currency);
  return {
    id: o.id,
    externalId: o.externalId,
    personId: o.personId,
    customer,
    placedAt: o.placedAt.toISOString(),
    status: o.status,
    currency: o.currency,
    channel: o.channel,
    subtotal: m(o.subtotal),
    discount: m(o.discount),
    tax: m(o.tax),
    shipping: m(o.shipping),
    total: m(o.total),
    refunded: m(o.refunded),
    net: m(o.net),
    note: o.note,
    ...(detail
      ? {
          lines: detail.lines.map((l) => ({
            lineNumber: l.lineNumber,
            productId: l.productId,
            sku: l.sku,
            name: l.name,
            quantity: l.quantity,
            unitPrice: m(l.unitPrice),
            amount: m(l.amount),
          })),
          refunds: detail.refunds.map((r) => presentRefund(r, o.currency)),
        }
      : {}),
    createdBy: o.createdBy,
    updatedBy: o.updatedBy,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

export const orderLineInput = z.object({
  productId: z
    .uuid()
    .optional()
    .describe("A product of the catalogue: its sku, name and price are the line's defaults"),
  sku: z.string().trim().max(100).optional().describe('Links the line to the product with this sku, if there is one'),
  name: z.string().trim().max(300).optional(),
  quantity: z.number().int().min(1).max(1_000_000).optional().describe('Default 1'),
  unitPrice: moneyInput.optional(),
  amount: moneyInput.optional().describe("The line's amount when it is not quantity × unit price (a line discount)"),
});

export const orderInput = z.object({
  externalId: externalIdInput.optional().describe("The order's id in your system, unique in the workspace"),
  personId: z.uuid().optional(),
  customer: customerRef.optional(),
  placedAt: dateTimeInput.optional().describe('When the order was placed (default: now)'),
  status: z.enum(settableOrderStatuses).optional().describe('Default paid; refunded statuses follow from refunds'),
  currency: currencyInput,
  channel: z.string().trim().max(50).nullish().describe('Where it was sold: web, store, phone, marketplace…'),
  lines: z.array(orderLineInput).max(500).optional(),
  subtotal: moneyInput.optional().describe('The sum of the lines; needed when there are no lines (or give total)'),
  discount: moneyInput.optional(),
  tax: moneyInput.optional(),
  shipping: moneyInput.optional(),
  total: moneyInput.optional().describe('subtotal − discount + tax + shipping; checked when given'),
  note: z.string().trim().max(2000).nullish(),
});
export type OrderInput = z.infer<typeof orderInput>;
export const orderUpsert = orderInput.omit({ externalId: true });

export const orderPatch = z.object({
  status: z.enum(settableOrderStatuses).optional().describe('placed → paid or canceled'),
  channel: z.string().trim().max(50).nullish(),
  note: z.string().trim().max(2000).nullish(),
});
export type OrderPatch = z.infer<typeof orderPatch>;

export const refundInput = z.object({
  amount: moneyInput.describe('In the order currency; at most what is left to refund'),
  reason: z.string().trim().max(500).nullish(),
  refundedAt: dateTimeInput.optional().describe('When the money went back (default: now)'),
});
export type RefundInput = z.infer<typeof refundInput>;

// ---- subscriptions ----

export const subscriptionSchema = z
  .object({
    id: z.string(),
    externalId: z.string().nullable(),
    personId: z.string(),
    customer: customerBriefSchema,
    plan: z.string(),
    status: z.enum(subscriptionStatuses),
    startedAt: isoDate,
    canceledAt: isoDate.nullable(),
    mrr: moneyOutput.describe('Monthly recurring revenue'),
    currency: z.string(),
    cancelReason: z.string().nullable(),
    createdBy: z.string().nullable(),
    updatedBy: z.string().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Subscription' });
export type SubscriptionDto = z.infer<typeof subscriptionSchema>;

export function presentSubscription(s: SubscriptionRow, customer: CustomerBrief): SubscriptionDto {
  return {
    id: s.id,
    externalId: s.externalId,
    personId: s.personId,
    customer,
    plan: s.plan,
    status: s.status,
    startedAt: s.startedAt.toISOString(),
    canceledAt: iso(s.canceledAt),
    mrr: fromMinorUnits(s.mrr, s.currency),
    currency: s.currency,
    cancelReason: s.cancelReason,
    createdBy: s.createdBy,
    updatedBy: s.updatedBy,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

export const subscriptionInput = z.object({
  externalId: externalIdInput.optional().describe("The subscription's id in your system, unique in the workspace"),
  personId: z.uuid().optional(),
  customer: customerRef.optional(),
  plan: z.string().trim().min(1).max(200),
  status: z.enum(subscriptionStatuses).optional().describe('Default active'),
  startedAt: dateTimeInput.optional().describe('Default: now'),
  canceledAt: dateTimeInput.nullish().describe('For a canceled subscription (default: now)'),
  mrr: moneyInput.describe('Monthly recurring revenue'),
  currency: currencyInput,
  cancelReason: z.string().trim().max(500).nullish(),
});
export type SubscriptionInput = z.infer<typeof subscriptionInput>;
export const subscriptionUpsert = subscriptionInput.omit({ externalId: true });

export const subscriptionCancel = z.object({
  reason: z.string().trim().max(500).nullish(),
  canceledAt: dateTimeInput.optional().describe('Default: now'),
});
export type SubscriptionCancel = z.infer<typeof subscriptionCancel>;
