/**
 * Pure rules of duplicate detection and merge: how alike two records are (and why), which value of each field a
 * merge keeps, and the current consent a merged ledger gives. No I/O: the database finds candidates with its
 * indexes; this scores them and decides the merged record.
 */
import { foldText } from './customers.ts';

/** pg_trgm's trigrams of a text: each word padded with two spaces in front and one behind, lower-cased. */
export function trigrams(text: string): Set<string> {
  const out = new Set<string>();
  for (const word of foldText(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)) {
    const padded = `  ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) out.add(padded.slice(i, i + 3));
  }
  return out;
}

/** Like pg_trgm's similarity(): shared trigrams over all distinct trigrams of both, 0 to 1. */
export function trigramSimilarity(a: string, b: string): number {
  const ta = trigrams(a);
  const tb = trigrams(b);
  if (!ta.size || !tb.size) return 0;
  let shared = 0;
  for (const t of ta) if (tb.has(t)) shared++;
  return shared / (ta.size + tb.size - shared);
}

/** Names at least this alike (trigram similarity) count as "the same name" when the people share a company. */
export const nameSimilarityThreshold = 0.5;
/** Company names at least this alike are candidates on their own. */
export const companyNameThreshold = 0.6;

export type DuplicateReason =
  | { kind: 'email'; value: string }
  | { kind: 'phone'; value: string }
  | { kind: 'domain'; value: string }
  | { kind: 'name'; similarity: number; companyId?: string | undefined };

/** Each reason's own weight: how sure it alone makes us. */
const weights = { email: 0.95, phone: 0.85, domain: 0.9 } as const;

/** Independent pieces of evidence combine as 1 − Π(1 − wᵢ), so more reasons always score higher, never above 1. */
export function combineScores(parts: readonly number[]): number {
  const miss = parts.reduce((m, p) => m * (1 - Math.min(1, Math.max(0, p))), 1);
  return Math.round((1 - miss) * 1000) / 1000;
}

export type PersonLike = {
  firstName: string | null;
  lastName: string | null;
  displayName: string;
  emails: readonly string[];
  phones: readonly string[];
  companyIds: readonly string[];
};

/** Why two people look like the same one, and how sure that is (0 when they do not). */
export function scorePersonPair(a: PersonLike, b: PersonLike): { score: number; reasons: DuplicateReason[] } {
  const reasons: DuplicateReason[] = [];
  const parts: number[] = [];
  for (const e of a.emails)
    if (b.emails.includes(e)) {
      reasons.push({ kind: 'email', value: e });
      parts.push(weights.email);
    }
  for (const p of a.phones)
    if (b.phones.includes(p)) {
      reasons.push({ kind: 'phone', value: p });
      parts.push(weights.phone);
    }
  const shared = a.companyIds.find((c) => b.companyIds.includes(c));
  const sim = nameSimilarity(a, b);
  if (shared && sim >= nameSimilarityThreshold) {
    reasons.push({ kind: 'name', similarity: round(sim), companyId: shared });
    // 0.5 → 0.55, 1.0 → 0.8: a similar name at the same company is a good hint, not proof.
    parts.push(0.3 + sim / 2);
  } else if (reasons.length && sim >= nameSimilarityThreshold) {
    reasons.push({ kind: 'name', similarity: round(sim) });
    parts.push(sim / 4);
  }
  return { score: reasons.length ? combineScores(parts) : 0, reasons };
}

/**
 * How alike two people's names are: the whole names, or (same last name) the first names — so "Bob Smith" and
 * "Robert Smith" at one company, or "Jon" and "John", still come out close.
 */
export function nameSimilarity(a: PersonLike, b: PersonLike): number {
  const whole = trigramSimilarity(a.displayName, b.displayName);
  const la = foldText(a.lastName ?? '');
  const lb = foldText(b.lastName ?? '');
  if (la && la === lb) {
    const fa = foldText(a.firstName ?? '');
    const fb = foldText(b.firstName ?? '');
    if (fa && fb) {
      const first = fa.startsWith(fb) || fb.startsWith(fa) ? 0.9 : trigramSimilarity(fa, fb);
      return Math.max(whole, 0.5 + first / 2);
    }
  }
  return whole;
}

export type CompanyLike = { name: string; domain: string | null };

export function scoreCompanyPair(a: CompanyLike, b: CompanyLike): { score: number; reasons: DuplicateReason[] } {
  const reasons: DuplicateReason[] = [];
  const parts: number[] = [];
  if (a.domain && a.domain === b.domain) {
    reasons.push({ kind: 'domain', value: a.domain });
    parts.push(weights.domain);
  }
  const sim = trigramSimilarity(companyCore(a.name), companyCore(b.name));
  if (sim >= companyNameThreshold) {
    reasons.push({ kind: 'name', similarity: round(sim) });
    parts.push(sim * 0.75);
  }
  return { score: reasons.length ? combineScores(parts) : 0, reasons };
}

/** A company name without its legal form ("Acme GmbH" → "acme"), for comparing. */
export function companyCore(name: string): string {
  return foldText(name)
    .replace(/[.,]/g, ' ')
    .replace(
      /\b(inc|llc|ltd|limited|gmbh|ag|sa|sas|sarl|bv|nv|oy|ab|as|spa|srl|plc|co|corp|corporation|lda|kk)\b/g,
      ' ',
    )
    .replace(/\s+/g, ' ')
    .trim();
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Pairs are stored and listed once, smaller id first. */
export function orderedPair(a: string, b: string): [string, string] {
  return a < b ? [a, b] : [b, a];
}

// ---------------------------------------------------------------------------------------------------------------
// Merge

export type MergeChoice = 'this' | 'other' | 'both';

/** How a merge treats each field: scalars take one side; lists may take both (the union); objects fill by key. */
export type MergeFieldKind = 'scalar' | 'list' | 'object';

export type MergeSpec = Record<string, MergeFieldKind>;

export type MergeProblem = { field: string; message: string };

function isBlank(v: unknown): boolean {
  if (v === null || v === undefined || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.values(v).every(isBlank);
  return false;
}

function union(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const out = [...a];
  for (const x of b) if (!out.some((y) => JSON.stringify(y) === JSON.stringify(x))) out.push(x);
  return out;
}

/**
 * Merges two records field by field. Without a choice a field keeps this record's value and fills a blank from the
 * other's; lists become the union (this record's first); objects (an address) fill blank keys from the other.
 * `custom` values merge key by key, the same way, with choices by their key. Returns the survivor's new values and
 * what was chosen for every field where the two differed.
 */
export function resolveMerge(
  self: Record<string, unknown> & { custom: Record<string, unknown> },
  other: Record<string, unknown> & { custom: Record<string, unknown> },
  spec: MergeSpec,
  choices: Readonly<Record<string, MergeChoice>>,
  customKeys: readonly string[],
): {
  values: Record<string, unknown>;
  custom: Record<string, unknown>;
  applied: Record<string, MergeChoice>;
  problems: MergeProblem[];
} {
  const problems: MergeProblem[] = [];
  const applied: Record<string, MergeChoice> = {};
  const values: Record<string, unknown> = {};
  for (const [field, choice] of Object.entries(choices)) {
    const kind = spec[field];
    if (!kind && !customKeys.includes(field)) {
      problems.push({ field: `fields.${field}`, message: `"${field}" is not a field that a merge can choose` });
      continue;
    }
    if (choice === 'both' && kind !== 'list')
      problems.push({ field: `fields.${field}`, message: '"both" applies to lists only (emails, phones, tags)' });
  }
  if (problems.length) return { values, custom: {}, applied, problems };

  const pick = (field: string, a: unknown, b: unknown, kind: MergeFieldKind): unknown => {
    const choice = choices[field];
    const same = JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
    if (choice === 'other') {
      if (!same) applied[field] = 'other';
      return b;
    }
    if (choice === 'this') {
      if (!same) applied[field] = 'this';
      return a;
    }
    if (kind === 'list') {
      const u = union((a as unknown[]) ?? [], (b as unknown[]) ?? []);
      if (!same) applied[field] = 'both';
      return u;
    }
    if (kind === 'object') {
      const ao = (a ?? {}) as Record<string, unknown>;
      const bo = (b ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = { ...ao };
      for (const [k, v] of Object.entries(bo)) if (isBlank(out[k]) && !isBlank(v)) out[k] = v;
      if (!same) applied[field] = isBlank(ao) ? 'other' : 'this';
      return out;
    }
    if (isBlank(a) && !isBlank(b)) {
      applied[field] = 'other';
      return b;
    }
    if (!same) applied[field] = 'this';
    return a;
  };

  for (const [field, kind] of Object.entries(spec)) values[field] = pick(field, self[field], other[field], kind);
  const custom: Record<string, unknown> = {};
  const keys = [...new Set([...Object.keys(self.custom), ...Object.keys(other.custom)])];
  for (const key of keys) {
    const v = pick(key, self.custom[key], other.custom[key], 'scalar');
    if (!isBlank(v)) custom[key] = v;
  }
  return { values, custom, applied, problems };
}

export type LedgerEntry = {
  id: string;
  channel: string;
  purpose: string;
  status: 'granted' | 'withdrawn';
  recordedAt: Date;
};

/** The current consent from a ledger: for each channel:purpose, the most recent record wins (ties: the later id). */
export function currentConsent(ledger: readonly LedgerEntry[]): Record<string, 'granted' | 'withdrawn'> {
  const latest = new Map<string, LedgerEntry>();
  for (const r of ledger) {
    const key = `${r.channel}:${r.purpose}`;
    const prev = latest.get(key);
    const t = r.recordedAt.getTime();
    if (!prev || t > prev.recordedAt.getTime() || (t === prev.recordedAt.getTime() && r.id > prev.id))
      latest.set(key, r);
  }
  const out: Record<string, 'granted' | 'withdrawn'> = {};
  for (const key of [...latest.keys()].sort()) out[key] = (latest.get(key) as LedgerEntry).status;
  return out;
}
