/**
 * Pure rules of the customer record: normalising contact points, names, lifecycle stages, consent keys,
 * custom field values and the text search matches. No I/O.
 */
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

export const defaultStages = ['lead', 'prospect', 'customer', 'loyal', 'at_risk', 'churned'] as const;
export type StageDef = { key: string; label: string };
export const defaultStageDefs: StageDef[] = [
  { key: 'lead', label: 'Lead' },
  { key: 'prospect', label: 'Prospect' },
  { key: 'customer', label: 'Customer' },
  { key: 'loyal', label: 'Loyal' },
  { key: 'at_risk', label: 'At risk' },
  { key: 'churned', label: 'Churned' },
];

export const consentChannels = ['email', 'sms', 'phone', 'chat'] as const;
export const consentPurposes = ['service', 'marketing', 'research'] as const;
export type ConsentChannel = (typeof consentChannels)[number];
export type ConsentPurpose = (typeof consentPurposes)[number];
export const consentSources = [
  'form',
  'import',
  'api',
  'console',
  'unsubscribe_link',
  'chat',
  'email',
  'phone',
  'merge',
] as const;
export type ConsentSource = (typeof consentSources)[number];

export function consentKey(channel: ConsentChannel, purpose: ConsentPurpose): string {
  return `${channel}:${purpose}`;
}

export type FieldProblem = { field: string; message: string };

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmailAddress(raw: string): string | null {
  const e = raw.trim().toLowerCase();
  return e.length <= 320 && emailPattern.test(e) ? e : null;
}

/** E.164 (+14155550123), or null when the number cannot be read. Numbers without +country use the default country. */
export function normalisePhone(raw: string, defaultCountry?: string): string | null {
  const cleaned = raw.trim();
  if (!cleaned || cleaned.length > 40) return null;
  const p = parsePhoneNumberFromString(
    cleaned,
    (defaultCountry?.toUpperCase() as CountryCode | undefined) ?? undefined,
  );
  if (p && p.isPossible()) return p.number;
  // "0049 30 1234567": 00 is the international prefix of most of the world (the library reads it only with a country
  // that dials out with 00). No national number begins with 00, so read it as "+".
  if (/^00[1-9]/.test(cleaned)) {
    const intl = parsePhoneNumberFromString(`+${cleaned.slice(2)}`);
    if (intl && intl.isPossible()) return intl.number;
  }
  return null;
}

export function normaliseEmails(
  raw: readonly string[],
  field = 'emails',
): { values: string[]; problems: FieldProblem[] } {
  // Sets, here and below, not a search of the list for each value: an import cell can list 100,000 of them.
  const values = new Set<string>();
  const problems: FieldProblem[] = [];
  raw.forEach((r, i) => {
    if (!r.trim()) return;
    const e = normaliseEmailAddress(r);
    if (!e) problems.push({ field: `${field}[${i}]`, message: `"${r}" is not an email address` });
    else values.add(e);
  });
  return { values: [...values], problems };
}

export function normalisePhones(
  raw: readonly string[],
  defaultCountry?: string,
  field = 'phones',
): { values: string[]; problems: FieldProblem[] } {
  const values = new Set<string>();
  const problems: FieldProblem[] = [];
  raw.forEach((r, i) => {
    if (!r.trim()) return;
    const p = normalisePhone(r, defaultCountry);
    if (!p)
      problems.push({
        field: `${field}[${i}]`,
        message: `"${r}" is not a phone number we can read (use +country code)`,
      });
    else values.add(p);
  });
  return { values: [...values], problems };
}

export function normaliseTags(raw: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of raw) {
    const tag = t.trim().toLowerCase().replace(/\s+/g, '-').slice(0, 50);
    if (tag) out.add(tag);
  }
  return [...out];
}

export function personDisplayName(
  first: string | null | undefined,
  last: string | null | undefined,
  emails: readonly string[],
): string {
  const name = [first, last]
    .map((s) => s?.trim())
    .filter(Boolean)
    .join(' ');
  return name || emails[0] || '(no name)';
}

/** What search matches: lower-cased, accents folded, names, emails (and their local parts), phones, tags, companies. */
export function buildSearchText(parts: Array<string | null | undefined | readonly string[]>): string {
  const words: string[] = [];
  for (const p of parts) {
    if (!p) continue;
    for (const s of typeof p === 'string' ? [p] : p) {
      if (!s) continue;
      words.push(s);
      if (s.includes('@')) words.push(s.split('@')[0] ?? '');
      if (s.startsWith('+')) words.push(s.slice(1));
    }
  }
  return foldText(words.join(' ')).slice(0, 2000);
}

export function foldText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

export type CustomFieldDef = {
  key: string;
  label: string;
  type: 'text' | 'number' | 'date' | 'boolean' | 'select' | 'multiselect' | 'url';
  options: readonly string[];
  required: boolean;
  archived: boolean;
};

/**
 * Checks and converts custom field values against their definitions and merges them into `existing`. `null` (or '')
 * clears a value. Unknown and archived keys are refused. Which required fields must have a value: `all` (a new
 * record), `mentioned` (an update: only those it names, so an update of other fields never fails on them) or `none`
 * (tickets, whose required fields are checked when they are solved).
 */
export function validateCustomValues(
  defs: readonly CustomFieldDef[],
  input: Record<string, unknown>,
  opts: { required: 'all' | 'mentioned' | 'none'; existing?: Record<string, unknown> },
): { values: Record<string, unknown>; problems: FieldProblem[] } {
  const byKey = new Map(defs.filter((d) => !d.archived).map((d) => [d.key, d]));
  const checked = checkCustomAssignments(defs, input);
  const values: Record<string, unknown> = { ...(opts.existing ?? {}) };
  for (const [key, v] of Object.entries(checked.values)) {
    if (v === null) delete values[key];
    else values[key] = v;
  }
  const problems = [...checked.problems];
  for (const def of byKey.values()) {
    if (!def.required || opts.required === 'none') continue;
    if (opts.required === 'mentioned' && !(def.key in input)) continue;
    if (values[def.key] === undefined)
      problems.push({ field: `custom.${def.key}`, message: `${def.label} is required` });
  }
  return { values, problems };
}

/**
 * Custom values to set, each checked and converted against its field (a macro's or rule's action, a write before it
 * is merged): unknown and archived keys are problems, `null` (or '') stays null, meaning "clear it".
 */
export function checkCustomAssignments(
  defs: readonly CustomFieldDef[],
  input: Record<string, unknown>,
): { values: Record<string, unknown>; problems: FieldProblem[] } {
  const byKey = new Map(defs.filter((d) => !d.archived).map((d) => [d.key, d]));
  const values: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  for (const [key, raw] of Object.entries(input)) {
    const def = byKey.get(key);
    const field = `custom.${key}`;
    if (!def) {
      problems.push({ field, message: `there is no custom field "${key}"` });
      continue;
    }
    if (raw === null || raw === undefined || raw === '') {
      values[key] = null;
      continue;
    }
    const v = coerceCustomValue(def, raw);
    if (v.ok) values[key] = v.value;
    else problems.push({ field, message: v.message });
  }
  return { values, problems };
}

export function coerceCustomValue(
  def: Pick<CustomFieldDef, 'type' | 'options' | 'label'>,
  raw: unknown,
): { ok: true; value: unknown } | { ok: false; message: string } {
  const fail = (message: string) => ({ ok: false as const, message });
  switch (def.type) {
    case 'text':
      if (typeof raw !== 'string' && typeof raw !== 'number') return fail('must be text');
      if (String(raw).length > 5000) return fail('must be at most 5000 characters');
      return { ok: true, value: String(raw) };
    case 'number': {
      // Decimal notation only ("12", "-3.5", "1e3"): Number() would also read "0x10" as 16 and "0b101" as 5.
      // `\d+(\.\d*)?`, not `\d+\.?\d*`: without the point, `\d+\d*` splits a run of digits every possible way
      // before failing (80,000 digits and a letter took 8 s).
      const n =
        typeof raw === 'number'
          ? raw
          : typeof raw === 'string' && /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(raw)
            ? Number(raw)
            : NaN;
      return Number.isFinite(n) ? { ok: true, value: n } : fail(`"${String(raw)}" is not a number`);
    }
    case 'date': {
      if (typeof raw !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(raw)) return fail('must be a date like 2026-01-31');
      const d = new Date(`${raw}T00:00:00Z`);
      return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== raw
        ? fail(`"${raw}" is not a real date`)
        : { ok: true, value: raw };
    }
    case 'boolean':
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (typeof raw === 'string' && ['true', 'false', 'yes', 'no', '1', '0'].includes(raw.trim().toLowerCase()))
        return { ok: true, value: ['true', 'yes', '1'].includes(raw.trim().toLowerCase()) };
      return fail('must be true or false');
    case 'select':
      if (typeof raw !== 'string' || !def.options.includes(raw))
        return fail(`must be one of: ${def.options.join(', ')}`);
      return { ok: true, value: raw };
    case 'multiselect': {
      const list = Array.isArray(raw)
        ? raw
        : typeof raw === 'string'
          ? raw
              .split(/[;|]/)
              .map((s) => s.trim())
              .filter(Boolean)
          : null;
      if (!list || !list.every((x): x is string => typeof x === 'string' && def.options.includes(x)))
        return fail(`each value must be one of: ${def.options.join(', ')}`);
      return { ok: true, value: [...new Set(list)] };
    }
    case 'url': {
      if (typeof raw !== 'string') return fail('must be a URL');
      try {
        const u = new URL(raw.trim());
        if (u.protocol !== 'http:' && u.protocol !== 'https:') return fail('must be an http(s) URL');
        return { ok: true, value: u.toString() };
      } catch {
        return fail(`"${raw}" is not a URL`);
      }
    }
  }
}

/** Whole days since the stage was entered. */
export function daysInStage(stageChangedAt: Date, now: Date = new Date()): number {
  return Math.max(0, Math.floor((now.getTime() - stageChangedAt.getTime()) / 86_400_000));
}

/** The field-by-field changes between two flat records, for events ("before/after"). */
export function diffFields(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after)) {
    const a = before[key];
    const b = after[key];
    if (comparable(a) !== comparable(b)) changes[key] = { from: a ?? null, to: b ?? null };
  }
  return changes;
}

/**
 * A value as text that two equal values share: an object's keys sorted and its null members left out (a jsonb column
 * reads back with its keys reordered, and an address key stored as null is the same as none).
 */
function comparable(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v)
            .filter(([, x]) => x != null)
            .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
        )
      : v,
  );
}

/**
 * The custom values that differ between two `custom` objects, as `custom.<key>` → before/after (null when absent): how
 * events record custom field changes.
 */
export function diffCustomValues(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])]) {
    const a = before[key] ?? null;
    const b = after[key] ?? null;
    if (JSON.stringify(a) !== JSON.stringify(b)) changes[`custom.${key}`] = { from: a, to: b };
  }
  return changes;
}

/** acme.com from "https://www.Acme.com/about", "www.acme.com" or "acme.com"; null when it is not a domain. */
export function normaliseDomain(raw: string): string | null {
  let s = raw.trim().toLowerCase();
  if (!s) return null;
  try {
    if (s.includes('://')) s = new URL(s).hostname;
  } catch {
    return null;
  }
  s = s.replace(/^www\./, '').replace(/\/.*$/, '');
  return /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(s) ? s : null;
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * The time zone in its proper spelling ("europe/lisbon" → "Europe/Lisbon", "utc" → "UTC"), or null when it is none.
 * Stored so, a filter or a comparison on the zone does not depend on how a client wrote it. The runtime's ICU names
 * some zones by their older link ("Asia/Kolkata" resolves to "Asia/Calcutta", "Europe/Kyiv" to "Europe/Kiev"), so a
 * link written in mixed case is kept as written (it is valid, and what the client means); only one written all in
 * lower or upper case takes the runtime's name.
 */
export function canonicalTimeZone(tz: string): string | null {
  const t = tz.trim();
  if (!t) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en', { timeZone: t }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  if (resolved.toLowerCase() === t.toLowerCase()) return resolved;
  return t !== t.toLowerCase() && t !== t.toUpperCase() ? t : resolved;
}

/**
 * A BCP 47 language tag in its canonical case ("PT-br" → "pt-BR", "zh-hant-tw" → "zh-Hant-TW"), or null when it is
 * not one ("en_US", "123", "x-foo"). At most 35 characters, as the API accepts.
 */
export function canonicalLanguageTag(tag: string): string | null {
  const t = tag.trim();
  if (!t) return null;
  try {
    const [canonical] = Intl.getCanonicalLocales(t);
    return canonical && canonical.length <= 35 ? canonical : null;
  } catch {
    return null;
  }
}
