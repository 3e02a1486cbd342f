import { z } from 'zod';
import { consentChannels, consentPurposes, consentSources, daysInStage } from '../../domain/customers.ts';
import { iso, isoDate } from '../../http/schemas.ts';
import type { ConsentRecordRow, NoteRow, ListedPerson, PersonCompanyLink } from './people.repository.ts';

export const addressSchema = z
  .object({
    line1: z.string().max(200).nullish(),
    line2: z.string().max(200).nullish(),
    city: z.string().max(100).nullish(),
    region: z.string().max(100).nullish(),
    postalCode: z.string().max(20).nullish(),
    country: z.string().max(56).nullish().describe('ISO 3166 alpha-2 code preferred, e.g. PT'),
  })
  .meta({ id: 'Address' });

/**
 * An address in a create or update: on update it is merged into the stored one (JSON merge patch), so a client that
 * sends the city alone does not wipe the street.
 */
export const addressInput = z
  .object(addressSchema.shape)
  .meta({
    id: 'AddressPatch',
    description:
      'Merged into the stored address (JSON merge patch, RFC 7396): a key sent replaces its value, a key sent as ' +
      'null or "" clears it, a key left out is kept. {"city":"Lyon"} changes the city alone; to clear the whole ' +
      'address, send every key as null.',
  })
  .optional();

export const personCompanySchema = z.object({
  companyId: z.string(),
  name: z.string(),
  domain: z.string().nullable(),
  title: z.string().nullable(),
  isPrimary: z.boolean(),
});

export const personSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    email: z.string().nullable().describe('The primary email'),
    emails: z.array(z.string()),
    phone: z.string().nullable().describe('The primary phone, E.164'),
    phones: z.array(z.string()),
    address: addressSchema,
    language: z.string().nullable(),
    timezone: z.string().nullable(),
    ownerId: z.string().nullable(),
    stage: z.string(),
    stageChangedAt: isoDate,
    daysInStage: z.number().int(),
    source: z.string().nullable(),
    externalId: z.string().nullable(),
    tags: z.array(z.string()),
    custom: z.record(z.string(), z.unknown()),
    consent: z.record(z.string(), z.enum(['granted', 'withdrawn'])),
    companies: z.array(personCompanySchema),
    createdBy: z.string().nullable(),
    updatedBy: z.string().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Person' });

export type PersonDto = z.infer<typeof personSchema>;

export function presentPerson(p: ListedPerson, companies: PersonCompanyLink[] = []): PersonDto {
  return {
    id: p.id,
    name: p.displayName,
    firstName: p.firstName,
    lastName: p.lastName,
    email: p.emails[0] ?? null,
    emails: p.emails,
    phone: p.phones[0] ?? null,
    phones: p.phones,
    address: p.address,
    language: p.language,
    timezone: p.timezone,
    ownerId: p.ownerId,
    stage: p.stage,
    stageChangedAt: p.stageChangedAt.toISOString(),
    daysInStage: daysInStage(p.stageChangedAt),
    source: p.source,
    externalId: p.externalId,
    tags: p.tags,
    custom: p.custom,
    consent: p.consent,
    companies,
    createdBy: p.createdBy,
    updatedBy: p.updatedBy,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

const shortText = (max: number) => z.string().trim().max(max);

export const personInput = z.object({
  firstName: shortText(100).nullish(),
  lastName: shortText(100).nullish(),
  emails: z.array(z.string().max(320)).max(20).optional().describe('The first is the primary'),
  email: z
    .string()
    .max(320)
    .nullish()
    .describe('The primary email, as the record shows it: put first in emails, the others kept; null removes it'),
  phones: z
    .array(z.string().max(40))
    .max(20)
    .optional()
    .describe('Any format; stored as E.164. The first is the primary'),
  phone: z
    .string()
    .max(40)
    .nullish()
    .describe('The primary phone, as the record shows it: put first in phones, the others kept; null removes it'),
  address: addressInput,
  language: shortText(35).nullish().describe('BCP 47, e.g. pt-PT'),
  timezone: shortText(64).nullish().describe('IANA, e.g. Europe/Lisbon'),
  ownerId: z.uuid().nullish(),
  stage: shortText(50).optional(),
  source: shortText(100).nullish(),
  externalId: shortText(200).nullish(),
  tags: z.array(z.string().max(50)).max(100).optional(),
  custom: z.record(z.string().max(50), z.unknown()).optional(),
  companies: z
    .array(z.object({ companyId: z.uuid(), title: shortText(200).nullish(), isPrimary: z.boolean().optional() }))
    .max(50)
    .optional(),
});
export type PersonInput = z.infer<typeof personInput>;

export const stageChangeBody = z.object({
  stage: z.string().trim().min(1).max(50),
  reason: z.string().trim().max(500).optional(),
});

export const consentBody = z.object({
  channel: z.enum(consentChannels),
  purpose: z.enum(consentPurposes),
  status: z.enum(['granted', 'withdrawn']),
  source: z.enum(consentSources).default('api'),
  proof: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('What shows the consent: form id, text shown, IP, file…'),
});

export const consentRecordSchema = z
  .object({
    id: z.string(),
    channel: z.string(),
    purpose: z.string(),
    status: z.enum(['granted', 'withdrawn']),
    source: z.string(),
    proof: z.record(z.string(), z.unknown()),
    actorType: z.string(),
    actorId: z.string().nullable(),
    recordedAt: isoDate,
  })
  .meta({ id: 'ConsentRecord' });

export function presentConsentRecord(r: ConsentRecordRow): z.infer<typeof consentRecordSchema> {
  return {
    id: r.id,
    channel: r.channel,
    purpose: r.purpose,
    status: r.status,
    source: r.source,
    proof: r.proof,
    actorType: r.actorType,
    actorId: r.actorId,
    recordedAt: r.recordedAt.toISOString(),
  };
}

export const noteSchema = z
  .object({ id: z.string(), body: z.string(), authorId: z.string().nullable(), createdAt: isoDate, updatedAt: isoDate })
  .meta({ id: 'Note' });

export function presentNote(n: NoteRow): z.infer<typeof noteSchema> {
  return {
    id: n.id,
    body: n.body,
    authorId: n.authorId,
    createdAt: n.createdAt.toISOString(),
    updatedAt: iso(n.updatedAt) ?? '',
  };
}

export const noteBody = z.object({ body: z.string().trim().min(1, 'must not be empty').max(20_000) });
