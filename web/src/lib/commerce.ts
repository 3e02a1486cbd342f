import type { OrderStatus } from '../api/commerce.ts';

const formats = new Map<string, Intl.NumberFormat>();

/** "€19.99" from the API's decimal string and currency, in the reader's locale. */
export function formatMoney(amount: string, currency: string): string {
  let f = formats.get(currency);
  if (!f) {
    try {
      f = new Intl.NumberFormat(undefined, { style: 'currency', currency });
    } catch {
      return `${amount} ${currency}`;
    }
    formats.set(currency, f);
  }
  return f.format(Number(amount));
}

export function isZero(amount: string): boolean {
  return Number(amount) === 0;
}

export const orderStatusLabels: Record<OrderStatus, string> = {
  placed: 'Placed',
  paid: 'Paid',
  partially_refunded: 'Partly refunded',
  refunded: 'Refunded',
  canceled: 'Canceled',
};

export const orderStatusColors: Record<OrderStatus, string> = {
  placed: 'blue',
  paid: 'teal',
  partially_refunded: 'orange',
  refunded: 'red',
  canceled: 'gray',
};

/** The order's name for people: the shop's number when there is one, else the start of its id. */
export function orderName(o: { externalId: string | null; id: string }): string {
  return o.externalId ? `#${o.externalId}` : `#${o.id.slice(-8)}`;
}
