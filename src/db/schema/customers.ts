import { msNow } from './columns.ts';
import { sql } from 'drizzle-orm';
import {
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { workspaces } from './workspaces.ts';

export type Address = {
  line1?: string | null;
  line2?: string | null;
  city?: string | null;
  region?: string | null;
  postalCode?: string | null;
  country?: string | null;
};

/** Current consent per "channel:purpose" (e.g. "email:marketing" → "granted"); the ledger is consent_records. */
export type ConsentState = Record<string, 'granted' | 'withdrawn'>;

const audit = {
  createdBy: text('created_by'),
  updatedBy: text('updated_by'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(msNow),
};

export const people = pgTable(
  'people',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    /** first + last, or the primary email when there is no name: what lists show and sort by. */
    displayName: text('display_name').notNull(),
    /** Lower-cased; the first is the primary. */
    emails: text('emails')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** E.164; the first is the primary. */
    phones: text('phones')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    address: jsonb('address').$type<Address>().notNull().default({}),
    language: text('language'),
    timezone: text('timezone'),
    ownerId: uuid('owner_id'),
    stage: text('stage').notNull().default('lead'),
    stageChangedAt: timestamp('stage_changed_at', { withTimezone: true }).notNull().default(msNow),
    source: text('source'),
    externalId: text('external_id'),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    custom: jsonb('custom').$type<Record<string, unknown>>().notNull().default({}),
    consent: jsonb('consent').$type<ConsentState>().notNull().default({}),
    /** Lower-cased name, emails, phones, company names and tags: what search matches (pg_trgm). */
    searchText: text('search_text').notNull().default(''),
    /** The words of search_text (see rapport_search_words in the search_words migration): what search looks up. */
    searchWords: text('search_words')
      .array()
      .notNull()
      .generatedAlwaysAs(sql`rapport_search_words(search_text)`),
    ...audit,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    uniqueIndex('people_external_id_key')
      .on(t.workspaceId, t.externalId)
      .where(sql`external_id is not null`),
    // No pending list: every lookup by email (imports, duplicates) would scan it in full, seconds per batch at 1M.
    index('people_emails_idx').using('gin', t.emails).with({ fastupdate: false }),
    index('people_phones_idx').using('gin', t.phones),
    index('people_tags_idx').using('gin', t.tags),
    index('people_search_idx').using('gin', sql`${t.searchText} gin_trgm_ops`),
    index('people_search_words_idx').using('gin', t.searchWords),
    index('people_created_idx').on(t.workspaceId, t.createdAt, t.id),
    index('people_name_idx').on(t.workspaceId, t.displayName, t.id),
    index('people_stage_idx').on(t.workspaceId, t.stage),
    index('people_owner_idx').on(t.workspaceId, t.ownerId),
  ],
);

export const companies = pgTable(
  'companies',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    /** Lower-cased web domain, e.g. acme.com: the natural key for matching. */
    domain: text('domain'),
    industry: text('industry'),
    size: text('size'),
    emails: text('emails')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    phones: text('phones')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    address: jsonb('address').$type<Address>().notNull().default({}),
    language: text('language'),
    timezone: text('timezone'),
    ownerId: uuid('owner_id'),
    source: text('source'),
    externalId: text('external_id'),
    tags: text('tags')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    custom: jsonb('custom').$type<Record<string, unknown>>().notNull().default({}),
    searchText: text('search_text').notNull().default(''),
    searchWords: text('search_words')
      .array()
      .notNull()
      .generatedAlwaysAs(sql`rapport_search_words(search_text)`),
    ...audit,
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    uniqueIndex('companies_external_id_key')
      .on(t.workspaceId, t.externalId)
      .where(sql`external_id is not null`),
    index('companies_domain_idx').on(t.workspaceId, t.domain),
    index('companies_tags_idx').using('gin', t.tags),
    index('companies_search_idx').using('gin', sql`${t.searchText} gin_trgm_ops`),
    index('companies_search_words_idx').using('gin', t.searchWords),
    index('companies_name_idx').on(t.workspaceId, t.name, t.id),
    index('companies_created_idx').on(t.workspaceId, t.createdAt, t.id),
  ],
);

/** People ↔ companies, many to many, with the person's role/title there. */
export const personCompanies = pgTable(
  'person_companies',
  {
    workspaceId: uuid('workspace_id').notNull(),
    personId: uuid('person_id').notNull(),
    companyId: uuid('company_id').notNull(),
    title: text('title'),
    isPrimary: boolean('is_primary').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.personId, t.companyId] }),
    foreignKey({ columns: [t.workspaceId, t.personId], foreignColumns: [people.workspaceId, people.id] }).onDelete(
      'cascade',
    ),
    foreignKey({
      columns: [t.workspaceId, t.companyId],
      foreignColumns: [companies.workspaceId, companies.id],
    }).onDelete('cascade'),
    index('person_companies_company_idx').on(t.workspaceId, t.companyId),
  ],
);

export const customFieldTypes = ['text', 'number', 'date', 'boolean', 'select', 'multiselect', 'url'] as const;
export type CustomFieldType = (typeof customFieldTypes)[number];

export const customFields = pgTable(
  'custom_fields',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    /** 'person', 'company' or 'ticket' (see customEntities in src/modules/fields/fields.repository.ts). */
    entity: text('entity').notNull(),
    /** Stable key used in the API and in `custom` (snake_case). */
    key: text('key').notNull(),
    label: text('label').notNull(),
    type: text('type').$type<CustomFieldType>().notNull(),
    options: text('options')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    required: boolean('required').notNull().default(false),
    position: integer('position').notNull().default(0),
    archived: boolean('archived').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    uniqueIndex('custom_fields_key').on(t.workspaceId, t.entity, t.key),
  ],
);

/** The consent ledger: every grant and withdrawal, with where it came from and its proof. */
export const consentRecords = pgTable(
  'consent_records',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    personId: uuid('person_id').notNull(),
    channel: text('channel').notNull(),
    purpose: text('purpose').notNull(),
    status: text('status').$type<'granted' | 'withdrawn'>().notNull(),
    source: text('source').notNull(),
    proof: jsonb('proof').$type<Record<string, unknown>>().notNull().default({}),
    actorType: text('actor_type').notNull(),
    actorId: text('actor_id'),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId, t.personId], foreignColumns: [people.workspaceId, people.id] }).onDelete(
      'cascade',
    ),
    index('consent_records_person_idx').on(t.workspaceId, t.personId, t.recordedAt),
  ],
);

export const notes = pgTable(
  'notes',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    /** 'person' or 'company' */
    subjectType: text('subject_type').notNull(),
    subjectId: uuid('subject_id').notNull(),
    body: text('body').notNull(),
    authorId: text('author_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    index('notes_subject_idx').on(t.workspaceId, t.subjectType, t.subjectId, t.createdAt),
  ],
);

/** A named, saved list query (filters, sort, columns) for people or companies. */
export const savedViews = pgTable(
  'saved_views',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    entity: text('entity').notNull(),
    name: text('name').notNull(),
    query: jsonb('query').$type<{ filter: string[]; sort?: string; q?: string; columns?: string[] }>().notNull(),
    ownerId: uuid('owner_id'),
    shared: boolean('shared').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
  ],
);

/** Pairs a user said are not duplicates (smaller id first), so the duplicates list stops showing them. */
export const duplicateDismissals = pgTable(
  'duplicate_dismissals',
  {
    workspaceId: uuid('workspace_id').notNull(),
    /** 'person', 'company' or 'ticket' (see customEntities in src/modules/fields/fields.repository.ts). */
    entity: text('entity').notNull(),
    aId: uuid('a_id').notNull(),
    bId: uuid('b_id').notNull(),
    dismissedBy: text('dismissed_by'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.entity, t.aId, t.bId] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
  ],
);

/**
 * The distinct words (letters only) of each workspace's people and companies search_words: the dictionary that a
 * query word is looked up in (exactly, as a prefix, one edit away, or trigram-similar) before the records are.
 * Filled by statement triggers on people and companies (see the search_words migration); never pruned (a stale
 * word only costs a lookup that finds nobody).
 */
export const searchTerms = pgTable(
  'search_terms',
  {
    workspaceId: uuid('workspace_id').notNull(),
    /** 'person' or 'company'. */
    entity: text('entity').notNull(),
    term: text('term').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.entity, t.term] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    index('search_terms_prefix_idx').on(t.workspaceId, t.entity, t.term.op('text_pattern_ops')),
    // A word in every entity's dictionary at once: search probes hundreds of spellings one typo away per word.
    index('search_terms_word_idx').on(t.workspaceId, t.term),
    // No pending list: the dictionary changes rarely once filled, and every search reads this index.
    index('search_terms_trgm_idx')
      .using('gin', sql`${t.term} gin_trgm_ops`)
      .with({ fastupdate: false }),
  ],
);
