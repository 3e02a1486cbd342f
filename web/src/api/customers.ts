/** Shapes and queries of the customer data hub: people, companies, custom fields, consent, notes, search. */
import { useQuery } from '@tanstack/react-query';
import { setStages, type Stage } from '../lib/customers.ts';
import { useMe } from './queries.ts';
import { api, ApiError } from './client.ts';
import type { EventEntry } from './types.ts';

export type Address = {
  line1?: string | null;
  line2?: string | null;
  city?: string | null;
  region?: string | null;
  postalCode?: string | null;
  country?: string | null;
};

export type ConsentState = 'granted' | 'withdrawn';

export type Person = {
  id: string;
  name: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  emails: string[];
  phone: string | null;
  phones: string[];
  address: Address;
  language: string | null;
  timezone: string | null;
  ownerId: string | null;
  stage: string;
  stageChangedAt: string;
  daysInStage: number;
  source: string | null;
  externalId: string | null;
  tags: string[];
  custom: Record<string, unknown>;
  consent: Record<string, ConsentState>;
  companies: Array<{
    companyId: string;
    name: string;
    domain: string | null;
    title: string | null;
    isPrimary: boolean;
  }>;
  createdBy: string | null;
  updatedBy: string | null;
  createdAt: string;
  updatedAt: string;
};

export type Company = {
  id: string;
  name: string;
  domain: string | null;
  industry: string | null;
  size: string | null;
  emails: string[];
  phones: string[];
  address: Address;
  language: string | null;
  timezone: string | null;
  ownerId: string | null;
  source: string | null;
  externalId: string | null;
  tags: string[];
  custom: Record<string, unknown>;
  people?: Array<{ personId: string; name: string; email: string | null; title: string | null; isPrimary: boolean }>;
  createdBy: string | null;
  updatedBy: string | null;
  createdAt: string;
  updatedAt: string;
};

export const customFieldTypes = ['text', 'number', 'date', 'boolean', 'select', 'multiselect', 'url'] as const;
export type CustomFieldType = (typeof customFieldTypes)[number];
export type Entity = 'person' | 'company';
/** The record types with custom fields: the customer record's and tickets. */
export type CustomEntity = Entity | 'ticket';

export type CustomField = {
  id: string;
  entity: CustomEntity;
  key: string;
  label: string;
  type: CustomFieldType;
  options: string[];
  required: boolean;
  position: number;
  archived: boolean;
  createdAt: string;
};

export type ConsentRecord = {
  id: string;
  channel: string;
  purpose: string;
  status: ConsentState;
  source: string;
  proof: Record<string, unknown>;
  actorType: string;
  actorId: string | null;
  recordedAt: string;
};

export type Note = { id: string; body: string; authorId: string | null; createdAt: string; updatedAt: string };

export type SearchHit = {
  type: 'person' | 'company';
  id: string;
  title: string;
  subtitle: string | null;
  score: number;
};

export type ListPage<T> = { data: T[]; page: { nextCursor: string | null; limit: number } };
export type TimelinePage = { data: EventEntry[]; page: { nextBefore: number | null; limit: number } };

export type FieldProblem = { field: string; message: string };

/** The per-field problems of a validation error (`details.problems`), keyed by field name. */
export function fieldProblems(e: unknown): Record<string, string> {
  if (!(e instanceof ApiError) || typeof e.details !== 'object' || e.details === null) return {};
  const problems = (e.details as { problems?: unknown }).problems;
  if (!Array.isArray(problems)) return {};
  const out: Record<string, string> = {};
  for (const p of problems as FieldProblem[]) {
    if (typeof p?.field !== 'string') continue;
    const key = p.field.replace(/\[\d+\]$/, '');
    out[key] = out[key] ? `${out[key]}; ${p.message}` : p.message;
  }
  return out;
}

export const customerKeys = {
  people: ['people'] as const,
  person: (id: string) => ['people', 'one', id] as const,
  companies: ['companies'] as const,
  company: (id: string) => ['companies', 'one', id] as const,
  fields: ['custom-fields'] as const,
  timeline: ['timeline'] as const,
};

export function useCustomFields(entity?: CustomEntity) {
  return useQuery({
    queryKey: [...customerKeys.fields, entity ?? 'all'],
    queryFn: () => api<{ data: CustomField[] }>('/custom-fields', { query: { entity } }),
    staleTime: 60_000,
    select: (r) => [...r.data].sort((a, b) => a.position - b.position || a.label.localeCompare(b.label)),
  });
}

const uuidLike = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A record by the id in the page's address. An address that holds no id (an old link such as /people/export, which
 * the API answers with something else) is a record that is not here, not a request.
 */
function recordAt<T>(path: string, id: string, what: string): () => Promise<T> {
  return () =>
    uuidLike.test(id)
      ? api<T>(`${path}/${id}`)
      : Promise.reject(new ApiError(404, 'not_found', `${what} ${id} was not found`, null));
}

export function usePerson(id: string) {
  return useQuery({ queryKey: customerKeys.person(id), queryFn: recordAt<Person>('/people', id, 'Person') });
}

export function useCompany(id: string) {
  return useQuery({ queryKey: customerKeys.company(id), queryFn: recordAt<Company>('/companies', id, 'Company') });
}

/** The lifecycle stages of the workspace, in order, with a colour each. */
export function useStages(): Stage[] {
  const me = useMe();
  return setStages(me.workspace.lifecycleStages);
}

/** Names fetched for lists of tickets, by person id, with when they were read: kept for the session, re-read after 5 min. */
const personNames = new Map<string, { name: string; at: number }>();
const personNameTtl = 5 * 60_000;

/**
 * The customers' names for a list that carries only their ids (the inbox's queues): the ids not known (or known for
 * more than 5 minutes) are read in one request, `GET /people/names`; the rest come from what earlier pages read. A
 * queue refresh every few seconds costs nothing more, and the queue statement itself stays as lean as it is.
 */
export function usePersonNames(ids: ReadonlyArray<string | null>): ReadonlyMap<string, string> {
  const now = Date.now();
  const missing = [...new Set(ids.filter((id): id is string => id !== null))]
    .filter((id) => {
      const known = personNames.get(id);
      return !known || now - known.at > personNameTtl;
    })
    .sort()
    .slice(0, 200);
  const read = useQuery({
    queryKey: ['person-names', missing],
    queryFn: async () => {
      const res = await api<{ data: Array<{ id: string; name: string }> }>(`/people/names?ids=${missing.join(',')}`);
      const at = Date.now();
      for (const p of res.data) personNames.set(p.id, { name: p.name, at });
      return res.data;
    },
    enabled: missing.length > 0,
    staleTime: personNameTtl,
  });
  // Re-read when a request answers (read.dataUpdatedAt changes), so the list shows the names it brought.
  void read.dataUpdatedAt;
  const out = new Map<string, string>();
  for (const id of ids) {
    const known = id === null ? undefined : personNames.get(id);
    if (id !== null && known) out.set(id, known.name);
  }
  return out;
}
