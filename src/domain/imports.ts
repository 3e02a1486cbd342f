/**
 * Pure rules of CSV imports: which record field a column header means, whether a mapping is complete, and how one
 * CSV row becomes a validated person or company input (or the reasons it is rejected). No I/O.
 */
import {
  canonicalLanguageTag,
  canonicalTimeZone,
  coerceCustomValue,
  consentChannels,
  consentPurposes,
  normaliseDomain,
  normaliseEmails,
  normalisePhones,
  normaliseTags,
  type ConsentChannel,
  type ConsentPurpose,
  type CustomFieldDef,
  type FieldProblem,
} from './customers.ts';
import { checkOrderMapping, orderTargets, suggestOrderMapping } from './order-imports.ts';

export type ImportEntity = 'person' | 'company' | 'order';
export type ImportMatchOn = 'email' | 'externalId' | 'domain' | 'none';

/** Header → target field, or null to ignore the column. */
export type ColumnMapping = Record<string, string | null>;

const addressFields = ['line1', 'line2', 'city', 'region', 'postalCode', 'country'] as const;
type AddressField = (typeof addressFields)[number];

/** Fields that several columns may fill (a work and a home email); every other field takes one column. */
const multiColumnFields = new Set(['emails', 'phones', 'tags']);

/** `id` is the record's Rapport id (the first column of an export): a row with one updates that record. */
const personBuiltIns = [
  'id',
  'firstName',
  'lastName',
  'fullName',
  'emails',
  'phones',
  'company',
  'companyDomain',
  'jobTitle',
  'tags',
  'stage',
  'source',
  'externalId',
  'language',
  'timezone',
  ...addressFields.map((f) => `address.${f}`),
];

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
  ...addressFields.map((f) => `address.${f}`),
];

/** Every field a column can be mapped to, for an entity and its workspace's custom fields. */
export function importTargets(entity: ImportEntity, defs: readonly CustomFieldDef[]): string[] {
  if (entity === 'order') return [...orderTargets];
  const custom = defs.filter((d) => !d.archived).map((d) => `custom.${d.key}`);
  if (entity === 'company') return [...companyBuiltIns, ...custom];
  const consent = consentChannels.flatMap((c) => consentPurposes.map((p) => `consent.${c}.${p}`));
  return [...personBuiltIns, ...custom, ...consent];
}

/** Lower case, accents folded, only letters and digits: "E-mail Address" → "emailaddress". */
export function normaliseHeader(h: string): string {
  return h
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

const synonyms: Record<string, string[]> = {
  firstName: ['firstname', 'first', 'givenname', 'forename', 'prenom', 'vorname', 'nombre'],
  lastName: ['lastname', 'last', 'surname', 'familyname', 'nom', 'nachname', 'apellido', 'apellidos'],
  fullName: ['name', 'fullname', 'contactname', 'contact', 'displayname', 'personname', 'customername'],
  emails: [
    'email',
    'emails',
    'mail',
    'emailaddress',
    'emailaddresses',
    'workemail',
    'personalemail',
    'primaryemail',
    'otheremail',
    'email2',
    'secondaryemail',
  ],
  phones: [
    'phone',
    'phones',
    'phonenumber',
    'telephone',
    'tel',
    'mobile',
    'mobilephone',
    'mobilenumber',
    'cell',
    'cellphone',
    'workphone',
    'homephone',
    'phone2',
  ],
  company: ['company', 'companyname', 'organization', 'organisation', 'organizationname', 'account', 'employer'],
  companyDomain: ['companydomain', 'website', 'companywebsite', 'domain', 'companyurl', 'web'],
  jobTitle: ['title', 'jobtitle', 'position', 'role', 'jobrole'],
  tags: ['tags', 'tag', 'labels', 'label', 'segments'],
  stage: ['stage', 'lifecyclestage', 'lifecycle'],
  source: ['source', 'leadsource', 'origin', 'acquisitionsource'],
  externalId: ['externalid', 'extid', 'customerid', 'crmid', 'externalreference', 'reference', 'contactid'],
  language: ['language', 'lang', 'locale', 'preferredlanguage'],
  timezone: ['timezone', 'tz'],
  'address.line1': ['address', 'address1', 'addressline1', 'street', 'streetaddress', 'line1', 'addressline'],
  'address.line2': ['address2', 'addressline2', 'line2', 'suite'],
  'address.city': ['city', 'town'],
  'address.region': ['region', 'state', 'province', 'county'],
  'address.postalCode': ['postalcode', 'zip', 'zipcode', 'postcode'],
  'address.country': ['country', 'countrycode'],
  // companies
  name: ['name', 'companyname', 'company', 'organization', 'organisation', 'accountname', 'account'],
  domain: ['domain', 'website', 'url', 'web', 'companydomain', 'companywebsite'],
  industry: ['industry', 'sector', 'vertical'],
  size: ['size', 'companysize', 'employees', 'headcount', 'numberofemployees'],
};

const consentWords = /(consent|optin|optedin|subscribed|subscription|permission|newsletter|gdpr|agreed|allow)/;

/** "Email marketing consent", "Newsletter opt-in", "SMS opt in" → consent.<channel>.<purpose>; else null. */
export function consentTargetOf(header: string): string | null {
  const h = normaliseHeader(header);
  if (!consentWords.test(h)) return null;
  const channel: ConsentChannel = /sms|text/.test(h)
    ? 'sms'
    : /phone|call/.test(h)
      ? 'phone'
      : /chat/.test(h)
        ? 'chat'
        : 'email';
  const purpose: ConsentPurpose = /research|survey/.test(h)
    ? 'research'
    : /service|transactional/.test(h)
      ? 'service'
      : 'marketing';
  return `consent.${channel}.${purpose}`;
}

/**
 * The mapping suggested for a file's headers: exact target names (what an export writes), custom field keys and
 * labels, consent columns, then common synonyms. A target is suggested once (except emails, phones and tags);
 * a full-name column is left out when first and last names have their own columns.
 */
export function suggestMapping(
  headers: readonly string[],
  entity: ImportEntity,
  defs: readonly CustomFieldDef[],
): ColumnMapping {
  if (entity === 'order') return suggestOrderMapping(headers);
  const targets = importTargets(entity, defs);
  const byNormalised = new Map<string, string>();
  for (const t of targets) byNormalised.set(normaliseHeader(t), t);
  for (const d of defs) {
    if (d.archived) continue;
    byNormalised.set(normaliseHeader(d.key), `custom.${d.key}`);
    byNormalised.set(normaliseHeader(d.label), `custom.${d.key}`);
  }
  const out: ColumnMapping = {};
  const used = new Set<string>();
  const pick = (target: string | null | undefined): string | null => {
    if (!target || !targets.includes(target)) return null;
    if (used.has(target) && !multiColumnFields.has(target)) return null;
    used.add(target);
    return target;
  };
  // Exact names first, so "name" in an export does not steal a later "firstName"... then the looser rules.
  const pending: string[] = [];
  for (const h of headers) {
    const exact = byNormalised.get(normaliseHeader(h));
    if (exact && normaliseHeader(h) !== 'name' && normaliseHeader(h) !== 'company') out[h] = pick(exact);
    else pending.push(h);
  }
  for (const h of pending) {
    const n = normaliseHeader(h);
    let target: string | null = null;
    if (entity === 'person') target = consentTargetOf(h);
    if (!target) {
      for (const [t, words] of Object.entries(synonyms)) {
        if (!targets.includes(t) || !words.includes(n)) continue;
        if (entity === 'company' && t === 'companyDomain') continue;
        if (used.has(t) && !multiColumnFields.has(t)) continue;
        target = t;
        break;
      }
    }
    if (!target && entity === 'person' && /e?mail/.test(n) && !/consent/.test(n)) target = 'emails';
    if (!target && entity === 'person' && /phone|mobile/.test(n)) target = 'phones';
    out[h] = pick(target);
  }
  if (entity === 'person' && (used.has('firstName') || used.has('lastName')))
    for (const [h, t] of Object.entries(out)) if (t === 'fullName') out[h] = null;
  return out;
}

/** What is wrong with a mapping: unknown targets, single fields mapped twice, nothing to identify a record by. */
export function checkMapping(
  mapping: ColumnMapping,
  headers: readonly string[],
  entity: ImportEntity,
  matchOn: ImportMatchOn,
  defs: readonly CustomFieldDef[],
): FieldProblem[] {
  const targets = new Set(importTargets(entity, defs));
  // A set, not a search of the headers for each column: a header line of 80,000 commas (an 80 KB file) took 17 s,
  // on every read of the import.
  const columns = new Set(headers);
  const problems: FieldProblem[] = [];
  const seen = new Map<string, string>();
  for (const [header, target] of Object.entries(mapping)) {
    if (!columns.has(header)) problems.push({ field: header, message: `the file has no column "${header}"` });
    if (target === null) continue;
    if (!targets.has(target)) {
      problems.push({ field: header, message: `"${target}" is not a field of a ${entity}` });
      continue;
    }
    const prior = seen.get(target);
    if (prior !== undefined && !multiColumnFields.has(target))
      problems.push({ field: header, message: `"${target}" is already filled from column "${prior}"` });
    seen.set(target, header);
  }
  const has = (t: string) => seen.has(t);
  if (entity === 'order') return [...problems, ...checkOrderMapping(new Set(seen.keys()), matchOn)];
  if (entity === 'person' && !['firstName', 'lastName', 'fullName', 'emails', 'phones'].some(has))
    problems.push({
      field: 'mapping',
      message: 'no column gives a name, an email or a phone: a person needs at least one of them',
    });
  if (entity === 'company' && !has('name'))
    problems.push({ field: 'mapping', message: 'no column gives the company name, which every company needs' });
  if (matchOn === 'email' && entity === 'person' && !has('emails'))
    problems.push({ field: 'matchOn', message: 'matching on email needs an email column' });
  if (matchOn === 'externalId' && !has('externalId'))
    problems.push({ field: 'matchOn', message: 'matching on external id needs an external id column' });
  if (matchOn === 'domain' && entity === 'company' && !has('domain'))
    problems.push({ field: 'matchOn', message: 'matching on domain needs a domain column' });
  if (matchOn === 'email' && entity === 'company')
    problems.push({ field: 'matchOn', message: 'companies match on domain, externalId or none' });
  if (matchOn === 'domain' && entity === 'person')
    problems.push({ field: 'matchOn', message: 'people match on email, externalId or none' });
  return problems;
}

/** A mapping compiled against the header row: for each target, the column indexes that fill it. */
export type CompiledMapping = { entity: ImportEntity; columns: Array<{ index: number; target: string }> };

export function compileMapping(mapping: ColumnMapping, headers: readonly string[], entity: ImportEntity) {
  const columns: CompiledMapping['columns'] = [];
  headers.forEach((h, index) => {
    const target = mapping[h];
    if (target) columns.push({ index, target });
  });
  return { entity, columns };
}

/**
 * A NUL byte (\0) in a mapped cell of a text file refuses its row, with the column and where in the cell: text
 * holds no NUL (PostgreSQL cannot store one), so it is damage — a truncated field, a binary paste — and stripping it
 * would import a value nobody wrote. The other rows import. Cells of ignored columns are not looked at.
 */
export function nulCellProblems(
  values: readonly string[],
  columns: ReadonlyArray<{ index: number; target: string }>,
  headers: readonly string[],
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const { index, target } of columns) {
    const at = (values[index] ?? '').indexOf('\0');
    if (at === -1) continue;
    // The report names the column by its header (import-report.ts); a column without one, by its place.
    const header = headers[index];
    problems.push({
      field: target,
      message: `${header ? '' : `column ${index + 1} `}holds a NUL byte (\\0) at character ${at + 1}, which text cannot hold: the file is damaged there; fix the cell and import the row again`,
    });
  }
  return problems;
}

export type ImportContext = {
  defs: readonly CustomFieldDef[];
  stages: readonly string[];
  defaultCountry?: string | undefined;
  /** The workspace's time zone: dates and times without a zone in a file are its local time. */
  timeZone?: string | undefined;
};

export type ImportAddress = Partial<Record<AddressField, string>>;

export type ConsentGrant = { channel: ConsentChannel; purpose: ConsentPurpose; status: 'granted' | 'withdrawn' };

/** One valid row: only the fields the row fills (an empty cell leaves the stored value alone). */
export type RowRecord = {
  /** The Rapport id of the record the row updates (lower case). */
  id?: string;
  firstName?: string;
  lastName?: string;
  name?: string;
  domain?: string;
  industry?: string;
  size?: string;
  emails: string[];
  phones: string[];
  tags: string[];
  stage?: string;
  source?: string;
  externalId?: string;
  language?: string;
  timezone?: string;
  address: ImportAddress;
  custom: Record<string, unknown>;
  consent: ConsentGrant[];
  company?: { name: string | null; domain: string | null; title: string | null };
};

export type RowResult = { ok: true; record: RowRecord } | { ok: false; problems: FieldProblem[] };

const yes = new Set(['yes', 'y', 'true', '1', 'granted', 'optin', 'optedin', 'subscribed', 'x', 'on', 'agreed']);
const no = new Set(['no', 'n', 'false', '0', 'withdrawn', 'optout', 'optedout', 'unsubscribed', 'off', 'declined']);

export function parseConsentValue(raw: string): 'granted' | 'withdrawn' | null | undefined {
  const v = normaliseHeader(raw);
  if (!v) return null;
  if (yes.has(v)) return 'granted';
  if (no.has(v)) return 'withdrawn';
  return undefined;
}

/** "VIP; newsletter, b2b" → ["VIP", "newsletter", "b2b"]. */
export function splitList(raw: string): string[] {
  return raw
    .split(/[;,|]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** "Ann Marie Lee" → first "Ann Marie", last "Lee". */
/** More values in one list cell than this is refused whole (a record holds 20 addresses, 20 phones, 100 tags). */
const listCellLimit = 1000;

/**
 * Appends `items` to `list` one by one: `list.push(...items)` passes each as an argument, and a cell of 125,000
 * values overflows the call stack.
 */
function appendAll<T>(list: T[], items: readonly T[]): void {
  for (const item of items) list.push(item);
}

export function splitFullName(raw: string): { firstName?: string; lastName?: string } {
  const parts = raw.trim().split(/\s+/).filter(Boolean);
  if (!parts.length) return {};
  if (parts.length === 1) return { firstName: parts[0] as string };
  return { firstName: parts.slice(0, -1).join(' '), lastName: parts[parts.length - 1] as string };
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const limits: Record<string, number> = {
  firstName: 100,
  lastName: 100,
  name: 200,
  source: 100,
  externalId: 200,
  industry: 100,
  size: 50,
  jobTitle: 200,
  company: 200,
};

/**
 * Validates and normalises one CSV row with the same rules as the API (emails lower-cased, phones E.164, tags,
 * custom field types, stages, language tags and time zones in canonical spelling), reporting every problem of the row
 * at once.
 */
export function transformRow(values: readonly string[], m: CompiledMapping, ctx: ImportContext): RowResult {
  const problems: FieldProblem[] = [];
  const rec: RowRecord = { emails: [], phones: [], tags: [], address: {}, custom: {}, consent: [] };
  const rawEmails: string[] = [];
  const rawPhones: string[] = [];
  let company: string | null = null;
  let companyDomain: string | null = null;
  let jobTitle: string | null = null;
  const defs = new Map(ctx.defs.filter((d) => !d.archived).map((d) => [d.key, d]));
  for (const { index, target } of m.columns) {
    const raw = (values[index] ?? '').trim();
    if (!raw) continue;
    const limit = limits[target];
    if (limit !== undefined && raw.length > limit) {
      problems.push({ field: target, message: `must be at most ${limit} characters (has ${raw.length})` });
      continue;
    }
    if (target.startsWith('address.')) {
      if (raw.length > 200) problems.push({ field: target, message: 'must be at most 200 characters' });
      else rec.address[target.slice(8) as AddressField] = raw;
      continue;
    }
    if (target.startsWith('custom.')) {
      const def = defs.get(target.slice(7));
      if (!def) continue;
      const v = coerceCustomValue(def, raw);
      if (v.ok) rec.custom[def.key] = v.value;
      else problems.push({ field: target, message: v.message });
      continue;
    }
    if (target.startsWith('consent.')) {
      const [, channel, purpose] = target.split('.') as [string, ConsentChannel, ConsentPurpose];
      const status = parseConsentValue(raw);
      if (status === undefined)
        problems.push({
          field: target,
          message: `"${raw}" is not a consent answer; use yes/no (or granted/withdrawn)`,
        });
      else if (status) rec.consent.push({ channel, purpose, status });
      continue;
    }
    switch (target) {
      case 'id':
        if (uuidPattern.test(raw)) rec.id = raw.toLowerCase();
        else
          problems.push({
            field: 'id',
            message: `"${raw}" is not a Rapport id (a UUID, as the id column of an export holds); if the column holds another system's ids, map it to externalId or ignore it`,
          });
        break;
      case 'firstName':
      case 'lastName':
      case 'name':
      case 'industry':
      case 'size':
      case 'source':
      case 'externalId':
        rec[target] = raw;
        break;
      case 'fullName':
        Object.assign(rec, splitFullName(raw));
        break;
      case 'emails':
        appendAll(rawEmails, splitList(raw));
        break;
      case 'phones':
        appendAll(
          rawPhones,
          raw.split(/[;,|]/).map((s) => s.trim()),
        );
        break;
      case 'tags':
        appendAll(rec.tags, splitList(raw));
        break;
      case 'company':
        company = raw;
        break;
      case 'companyDomain':
      case 'domain': {
        const d = normaliseDomain(raw);
        if (!d) problems.push({ field: target, message: `"${raw}" is not a web domain like acme.com` });
        else if (target === 'domain') rec.domain = d;
        else companyDomain = d;
        break;
      }
      case 'jobTitle':
        jobTitle = raw;
        break;
      case 'stage': {
        const key = ctx.stages.find((s) => s === raw || s === raw.toLowerCase().replace(/[\s-]+/g, '_'));
        if (!key)
          problems.push({ field: 'stage', message: `"${raw}" is not a stage; use one of ${ctx.stages.join(', ')}` });
        else rec.stage = key;
        break;
      }
      // Stored in their canonical spelling, as the API stores them (and refused with its words).
      case 'language': {
        const tag = canonicalLanguageTag(raw);
        if (!tag) problems.push({ field: 'language', message: `"${raw}" is not a language tag like en or pt-PT` });
        else rec.language = tag;
        break;
      }
      case 'timezone': {
        const zone = canonicalTimeZone(raw);
        if (!zone)
          problems.push({ field: 'timezone', message: `"${raw}" is not an IANA time zone like Europe/Lisbon` });
        else rec.timezone = zone;
        break;
      }
    }
  }
  if (rec.address.country && rec.address.country.length === 2) rec.address.country = rec.address.country.toUpperCase();
  // A cell listing far more than a record holds is refused as a whole, not address by address (a problem each).
  const emails = rawEmails.length > listCellLimit ? { values: [], problems: [] } : normaliseEmails(rawEmails, 'emails');
  appendAll(problems, emails.problems);
  rec.emails = emails.values;
  const phones =
    rawPhones.length > listCellLimit
      ? { values: [], problems: [] }
      : normalisePhones(rawPhones, ctx.defaultCountry ?? rec.address.country, 'phones');
  appendAll(problems, phones.problems);
  rec.phones = phones.values;
  rec.tags = normaliseTags(rec.tags);
  if (rec.emails.length > 20 || rawEmails.length > listCellLimit)
    problems.push({ field: 'emails', message: 'at most 20 emails' });
  if (rec.phones.length > 20 || rawPhones.length > listCellLimit)
    problems.push({ field: 'phones', message: 'at most 20 phones' });
  if (rec.tags.length > 100) problems.push({ field: 'tags', message: 'at most 100 tags (as the API takes)' });
  if (m.entity === 'person') {
    if (company || companyDomain) rec.company = { name: company, domain: companyDomain, title: jobTitle };
    // A row naming its record by id updates it: what it leaves empty stays as it is.
    if (!rec.id && !rec.firstName && !rec.lastName && !rec.emails.length && !rec.phones.length && !problems.length)
      problems.push({ field: 'firstName', message: 'a person needs at least a name, an email or a phone' });
  } else if (!rec.name && !rec.id) problems.push({ field: 'name', message: 'a company needs a name' });
  return problems.length ? { ok: false, problems } : { ok: true, record: rec };
}

/** The keys a row is matched on: its emails, its external id, or its domain; none for `matchOn: none`. */
export function matchKeys(rec: RowRecord, matchOn: ImportMatchOn): string[] {
  if (matchOn === 'email') return rec.emails;
  if (matchOn === 'externalId') return rec.externalId ? [rec.externalId] : [];
  if (matchOn === 'domain') return rec.domain ? [rec.domain] : [];
  return [];
}

/** Items of `add` not yet in `base`, appended: re-importing a row never loses an email, phone or tag. */
export function unionList(base: readonly string[], add: readonly string[]): string[] {
  // A set, not a search of the list for each item: a row can list 100,000 tags.
  const seen = new Set(base);
  const out = [...base];
  for (const x of add)
    if (!seen.has(x)) {
      seen.add(x);
      out.push(x);
    }
  return out;
}

/** A short label for a row in the report: its name and first email, or its company name. */
export function rowSummary(rec: RowRecord): string {
  const name = rec.name ?? [rec.firstName, rec.lastName].filter(Boolean).join(' ');
  const email = rec.emails[0];
  return [name, email ? `<${email}>` : rec.phones[0]].filter(Boolean).join(' ') || '(no name)';
}

export type CsvProblemInput = {
  code?: string | undefined;
  message: string;
  lines?: number | undefined;
  column?: number | string | null | undefined;
};

/**
 * A parser error explained in plain words, with the line and column (by header name when known). Codes are
 * csv-parse's; anything else keeps its message.
 */
export function describeCsvError(
  err: CsvProblemInput,
  headers: readonly string[],
  maxRecordChars: number,
): { code: string; message: string; line: number | null; column: string | null } {
  const line = typeof err.lines === 'number' ? err.lines : null;
  const colIndex = typeof err.column === 'number' ? err.column : null;
  const column = colIndex !== null ? `${colIndex + 1}${headers[colIndex] ? ` ("${headers[colIndex]}")` : ''}` : null;
  const at = `line ${line ?? '?'}${column ? `, column ${column}` : ''}`;
  switch (err.code) {
    case 'CSV_INVALID_CLOSING_QUOTE':
      return {
        code: 'bad_quoting',
        line,
        column,
        message: `Bad quoting at ${at}: a quoted field must end right after its closing quote. Put the whole field in quotes and double any quote inside it ("").`,
      };
    case 'INVALID_OPENING_QUOTE':
    case 'CSV_INVALID_OPENING_QUOTE':
      return {
        code: 'bad_quoting',
        line,
        column,
        message: `Bad quoting at ${at}: a quote opens in the middle of a field.`,
      };
    case 'CSV_QUOTE_NOT_CLOSED':
      return {
        code: 'bad_quoting',
        line,
        column,
        message: `Bad quoting: a quote opened before line ${line ?? '?'} is never closed, so the rest of the file would be one field.`,
      };
    case 'CSV_MAX_RECORD_SIZE':
      return {
        code: 'record_too_large',
        line,
        column: null,
        message: `The row at line ${line ?? '?'} is longer than ${maxRecordChars.toLocaleString('en')} characters. A row that long is usually a missing closing quote; fix it or split the field.`,
      };
    case 'not_utf8':
      return { code: 'bad_encoding', line, column: null, message: err.message };
    default:
      return { code: 'unreadable', line, column, message: `The file cannot be read as CSV at ${at}: ${err.message}` };
  }
}
