import type { MetricDef } from './definitions.ts';

const digitsCache = new Map<string, number>();

/** How many minor units a currency has (2 for EUR, 0 for JPY). */
export function currencyDigits(currency: string): number {
  let d = digitsCache.get(currency);
  if (d === undefined) {
    try {
      d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    } catch {
      d = 2;
    }
    digitsCache.set(currency, d);
  }
  return d;
}

export function formatMinor(minor: number, currency: string | null): string {
  if (!currency) return (minor / 100).toFixed(2);
  const major = minor / 10 ** currencyDigits(currency);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(major);
  } catch {
    return `${major.toFixed(currencyDigits(currency))} ${currency}`;
  }
}

const count = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

export function formatCount(n: number): string {
  return count.format(n);
}

export function formatShare(x: number): string {
  return percent.format(x);
}

/** "3 h 12 min", "2 d 4 h", "45 s". */
export function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
  const d = Math.floor(h / 24);
  return `${d} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** A metric's value as people read it; "–" when it is empty (nothing to form it from). */
export function formatMetric(value: number | null, def: MetricDef, currency: string | null): string {
  if (value === null) return '–';
  switch (def.kind) {
    case 'money':
      return formatMinor(value, currency);
    case 'count':
      return formatCount(value);
    case 'share':
      return formatShare(value);
    case 'days':
      return `${decimal.format(value)} days`;
    case 'duration':
      return formatSeconds(value);
    case 'points':
      return decimal.format(value);
    default:
      return decimal.format(value);
  }
}
