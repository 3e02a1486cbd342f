import { z } from 'zod';
import { isoDate } from '../../http/schemas.ts';
import { addressInput, addressSchema } from '../people/people.schemas.ts';
import type { CompanyPersonLink, CompanyRow } from './companies.repository.ts';

export const companyPersonSchema = z.object({
  personId: z.string(),
  name: z.string(),
  email: z.string().nullable(),
  title: z.string().nullable(),
  isPrimary: z.boolean(),
});

export const companySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    domain: z.string().nullable(),
    industry: z.string().nullable(),
    size: z.string().nullable(),
    emails: z.array(z.string()),
    phones: z.array(z.string()),
    address: addressSchema,
    language: z.string().nullable(),
    timezone: z.string().nullable(),
    ownerId: z.string().nullable(),
    source: z.string().nullable(),
    externalId: z.string().nullable(),
    tags: z.array(z.string()),
    custom: z.record(z.string(), z.unknown()),
    people: z.array(companyPersonSchema).optional(),
    createdBy: z.string().nullable(),
    updatedBy: z.string().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'Company' });

export type CompanyDto = z.infer<typeof companySchema>;

export function presentCompany(c: CompanyRow, people?: CompanyPersonLink[]): CompanyDto {
  return {
    id: c.id,
    name: c.name,
    domain: c.domain,
    industry: c.industry,
    size: c.size,
    emails: c.emails,
    phones: c.phones,
    address: c.address,
    language: c.language,
    timezone: c.timezone,
    ownerId: c.ownerId,
    source: c.source,
    externalId: c.externalId,
    tags: c.tags,
    custom: c.custom,
    ...(people ? { people } : {}),
    createdBy: c.createdBy,
    updatedBy: c.updatedBy,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

const shortText = (max: number) => z.string().trim().max(max);

export const companyInput = z.object({
  name: shortText(200).optional(),
  domain: shortText(253).nullish().describe('Web domain, e.g. acme.com (a URL is accepted and reduced to its host)'),
  industry: shortText(100).nullish(),
  size: shortText(50).nullish(),
  emails: z.array(z.string().max(320)).max(20).optional(),
  phones: z.array(z.string().max(40)).max(20).optional(),
  address: addressInput,
  language: shortText(35).nullish(),
  timezone: shortText(64).nullish(),
  ownerId: z.uuid().nullish(),
  source: shortText(100).nullish(),
  externalId: shortText(200).nullish(),
  tags: z.array(z.string().max(50)).max(100).optional(),
  custom: z.record(z.string().max(50), z.unknown()).optional(),
});
export type CompanyInput = z.infer<typeof companyInput>;
