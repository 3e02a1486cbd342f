/**
 * Generated people and companies that look like what Rapport writes (display name, lower-cased e-mails, E.164
 * phones, tags, search text built by the product's own buildSearchText), as CSV lines for `COPY … (format csv)`.
 * Everything comes from a seeded PRNG: the same seed gives the same rows. Ids are UUID v7 of the row's created_at
 * (what newId() gives at creation time), their random bits from the PRNG.
 */
import { buildSearchText, foldText, personDisplayName } from '../../src/domain/customers.ts';
import {
  companyNouns,
  companySuffixes,
  companyWords,
  dialPlans,
  emailDomains,
  firstNames,
  lastNames,
  sourceWords,
  stageKeys,
  tagWords,
} from './names.ts';
import { seededRandom } from '../../src/domain/random.ts';

/** mulberry32 (src/domain/random.ts). */
export const prng = seededRandom;

export type Rand = () => number;
export const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** A UUID v7 for the millisecond `ms` with random bits from `rand` (uuid's v7() is slow for a million rows). */
export function uuidV7(ms: number, rand: Rand): string {
  const t = hex(ms, 12);
  const r = () => Math.floor(rand() * 0x10000);
  return `${t.slice(0, 8)}-${t.slice(8)}-7${hex(r() & 0xfff, 3)}-${hex((r() & 0x3fff) | 0x8000, 4)}-${hex(r(), 4)}${hex(r(), 4)}${hex(r(), 4)}`;
}

const int = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const unique = (list: string[]) => [...new Set(list)];

const firsts = unique(firstNames);
const lasts = unique(lastNames);
const dialWeights = dialPlans.reduce((a, d) => a + d.weight, 0);

/** The ASCII letters of a name, for e-mail local parts ("Łukasz O'Brien" → "lukasz", "obrien"). */
export function asciiWord(s: string): string {
  return foldText(s)
    .replace(/ł/g, 'l')
    .replace(/ø/g, 'o')
    .replace(/ß/g, 'ss')
    .replace(/ı/g, 'i')
    .replace(/[^a-z0-9]/g, '');
}

function phone(rand: Rand): string {
  let w = rand() * dialWeights;
  let plan = dialPlans[0] as (typeof dialPlans)[number];
  for (const d of dialPlans) {
    w -= d.weight;
    if (w < 0) {
      plan = d;
      break;
    }
  }
  let digits = '';
  for (let i = 0; i < plan.digits; i++) digits += String(int(rand, i === 0 ? 2 : 0, 9));
  return `+${plan.cc}${pick(rand, plan.lead)}${digits}`;
}

function email(rand: Rand, first: string, last: string, domain: string): string {
  const f = asciiWord(first) || 'contact';
  const l = asciiWord(last) || 'mail';
  const n = int(rand, 1, 9999);
  const yy = String(int(rand, 50, 105) % 100).padStart(2, '0');
  const local = pick(rand, [
    `${f}.${l}`,
    `${f}.${l}`,
    `${f}${l}`,
    `${f[0]}.${l}`,
    `${f[0]}${l}${n}`,
    `${f}_${l}${yy}`,
    `${f}${n}`,
    `${l}.${f}`,
    `${f}.${l}${yy}`,
    `${l}${f[0]}${n}`,
  ]);
  return `${local}@${domain}`.toLowerCase();
}

function tags(rand: Rand): string[] {
  const n = rand() < 0.55 ? 0 : rand() < 0.7 ? 1 : int(rand, 2, 3);
  const out = new Set<string>();
  while (out.size < n) out.add(pick(rand, tagWords));
  return [...out];
}

/** A CSV field: quoted when needed; null is an unquoted empty field (NULL for COPY … csv). */
function field(v: string | null): string {
  if (v === null) return '';
  return v === '' || /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A PostgreSQL array literal with every element quoted. */
function arrayLiteral(list: readonly string[]): string {
  return `{${list.map((s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}

export type GeneratedCompany = {
  id: string;
  name: string;
  domain: string;
  csv: string;
};

export const companyCopyColumns =
  'workspace_id, id, name, domain, industry, emails, phones, tags, source, search_text, created_at, updated_at';

/** `count` companies; their created_at spread evenly from `from` to `to`. */
export function generateCompanies(
  workspaceId: string,
  count: number,
  from: Date,
  to: Date,
  seed: number,
): GeneratedCompany[] {
  const rand = prng(seed);
  const out: GeneratedCompany[] = [];
  const names = new Set<string>();
  const step = (to.getTime() - from.getTime()) / count;
  for (let i = 0; i < count; i++) {
    let name = '';
    for (let attempt = 0; attempt < 20 && (!name || names.has(name)); attempt++) {
      const shape = rand();
      name =
        shape < 0.35
          ? `${pick(rand, lasts)} ${pick(rand, companyNouns)}`
          : shape < 0.7
            ? `${pick(rand, companyWords)} ${pick(rand, companyNouns)} ${pick(rand, companySuffixes)}`
            : shape < 0.85
              ? `${pick(rand, lasts)} & ${pick(rand, lasts)} ${pick(rand, companySuffixes)}`
              : `${pick(rand, companyWords)}${pick(rand, companyNouns).toLowerCase()}`;
    }
    if (names.has(name)) name = `${name} ${i}`;
    names.add(name);
    const slug = name
      .split(' ')
      .filter((w) => !companySuffixes.includes(w) && w !== '&')
      .map(asciiWord)
      .join('');
    const domain = `${slug}${i % 7 === 0 ? int(rand, 1, 99) : ''}.${pick(rand, ['com', 'com', 'com', 'io', 'net', 'de', 'fr', 'co.uk', 'es', 'com.br', 'in', 'jp'])}`;
    const emails = rand() < 0.6 ? [`${pick(rand, ['info', 'hello', 'contact', 'sales'])}@${domain}`] : [];
    const phones = rand() < 0.5 ? [phone(rand)] : [];
    const t = tags(rand);
    const createdAt = new Date(from.getTime() + i * step).toISOString();
    const searchText = buildSearchText([name, domain, emails, phones, t, null]);
    const id = uuidV7(from.getTime() + Math.round(i * step), rand);
    const csv = [
      workspaceId,
      id,
      field(name),
      field(domain),
      field(pick(rand, companyNouns).toLowerCase()),
      field(arrayLiteral(emails)),
      field(arrayLiteral(phones)),
      field(arrayLiteral(t)),
      field(pick(rand, sourceWords)),
      field(searchText),
      createdAt,
      createdAt,
    ].join(',');
    out.push({ id, name, domain, csv: `${csv}\n` });
  }
  return out;
}

export type GeneratedPerson = {
  index: number;
  id: string;
  firstName: string | null;
  lastName: string | null;
  displayName: string;
  emails: string[];
  phones: string[];
  tags: string[];
  companyName: string | null;
};

export const personCopyColumns =
  'workspace_id, id, first_name, last_name, display_name, emails, phones, tags, stage, stage_changed_at, source, ' +
  'search_text, created_at, updated_at';
export const linkCopyColumns = 'workspace_id, person_id, company_id, title, is_primary, created_at';

const titles = ['CEO', 'CTO', 'Head of Sales', 'Buyer', 'Engineer', 'Office Manager', 'Designer', 'Accountant'];

/**
 * People one by one, as CSV lines for `people` and (for about a third, who work at a company) for
 * `person_companies`. created_at rises evenly from `from` to `to`, so ids (v7 of created_at) are in key order.
 */
export function* generatePeople(opts: {
  workspaceId: string;
  count: number;
  companies: GeneratedCompany[];
  from: Date;
  to: Date;
  seed: number;
  /** The person's id in another system (a shop's customer id), as a last column (`external_id`); none without it. */
  externalIdOf?: (index: number) => string;
}): Generator<{ person: GeneratedPerson; csv: string; linkCsv: string | null }> {
  const rand = prng(opts.seed);
  const step = (opts.to.getTime() - opts.from.getTime()) / opts.count;
  for (let i = 0; i < opts.count; i++) {
    const shape = rand();
    const first = shape < 0.01 ? null : pick(rand, firsts);
    const last = shape < 0.03 ? null : pick(rand, lasts);
    const nEmails = rand() < 0.04 && first ? 0 : rand() < 0.85 ? 1 : 2;
    const emails: string[] = [];
    for (let e = 0; e < nEmails; e++) {
      const address = email(rand, first ?? pick(rand, firsts), last ?? pick(rand, lasts), pick(rand, emailDomains));
      if (!emails.includes(address)) emails.push(address);
    }
    const phones = rand() < 0.7 ? [phone(rand)] : [];
    if (phones.length && rand() < 0.1) phones.push(phone(rand));
    const t = tags(rand);
    const company = rand() < 0.33 ? pick(rand, opts.companies) : null;
    const displayName = personDisplayName(first, last, emails);
    const createdMs = Math.round(opts.from.getTime() + i * step);
    const createdAt = new Date(createdMs).toISOString();
    const stageChangedAt = new Date(
      Math.min(opts.to.getTime(), createdMs + Math.floor(rand() * 30 * 86_400_000)),
    ).toISOString();
    const id = uuidV7(createdMs, rand);
    const externalId = opts.externalIdOf ? opts.externalIdOf(i) : null;
    const searchText = buildSearchText([displayName, emails, phones, t, company ? [company.name] : [], externalId]);
    const csv = [
      opts.workspaceId,
      id,
      field(first),
      field(last),
      field(displayName),
      field(arrayLiteral(emails)),
      field(arrayLiteral(phones)),
      field(arrayLiteral(t)),
      pick(rand, stageKeys),
      stageChangedAt,
      field(pick(rand, sourceWords)),
      field(searchText),
      createdAt,
      stageChangedAt,
      ...(externalId === null ? [] : [field(externalId)]),
    ].join(',');
    const linkCsv = company
      ? `${[opts.workspaceId, id, company.id, field(pick(rand, titles)), 'true', createdAt].join(',')}\n`
      : null;
    yield {
      person: {
        index: i,
        id,
        firstName: first,
        lastName: last,
        displayName,
        emails,
        phones,
        tags: t,
        companyName: company?.name ?? null,
      },
      csv: `${csv}\n`,
      linkCsv,
    };
  }
}
