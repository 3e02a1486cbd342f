/**
 * Demo customers: ~300 people and ~40 companies with names from several cultures, contact points, addresses,
 * owners, tags, sources, months of stage history with reasons, consent grants and withdrawals, notes, custom fields,
 * company links with titles, and a handful of deliberate duplicates for the duplicates screen. Seeded, so every run
 * makes the same people; written with batched inserts straight to the tables (seed data may backdate history).
 */
import type { Db } from '../db/client.ts';
import { newId } from '../db/ids.ts';
import {
  companies,
  consentRecords,
  events,
  notes,
  orderLines,
  orders,
  people,
  personCompanies,
  products,
  refunds,
  subscriptions,
} from '../db/schema/index.ts';
import { buildSearchText, foldText, normalisePhone, personDisplayName } from '../domain/customers.ts';
import { currentConsent } from '../domain/duplicates.ts';
import type { Actor } from '../domain/permissions.ts';
import type { Services } from '../services.ts';
import { demoCommerce, type DemoCommerceCounts } from './demo-commerce.ts';
import { seededRandom } from '../domain/random.ts';

export { seededRandom };

type Culture = {
  first: string[];
  last: string[];
  country: string;
  cities: Array<[city: string, region: string, postal: string]>;
  timezone: string;
  language: string;
  phone: (r: () => number) => string;
  streets: string[];
};

const digits = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 10)).join('');

const cultures: Culture[] = [
  {
    first: ['João', 'Inês', 'Tiago', 'Beatriz', 'Rui', 'Mariana', 'Duarte', 'Leonor', 'Gonçalo', 'Carolina'],
    last: ['Almeida', 'Ferreira', 'Costa', 'Rodrigues', 'Martins', 'Sousa', 'Carvalho', 'Pereira'],
    country: 'PT',
    cities: [
      ['Lisboa', 'Lisboa', '1100-148'],
      ['Porto', 'Porto', '4000-322'],
      ['Braga', 'Braga', '4700-035'],
    ],
    timezone: 'Europe/Lisbon',
    language: 'pt-PT',
    phone: (r) => `+3519${['1', '2', '3', '6'][Math.floor(r() * 4)]}${digits(r, 7)}`,
    streets: ['Rua Augusta', 'Avenida da Liberdade', 'Rua de Santa Catarina'],
  },
  {
    first: ['Lukas', 'Hannah', 'Felix', 'Lena', 'Jonas', 'Miriam', 'Tobias', 'Katrin', 'Moritz', 'Sophie'],
    last: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Becker', 'Hoffmann', 'Wagner'],
    country: 'DE',
    cities: [
      ['Berlin', 'Berlin', '10115'],
      ['München', 'Bayern', '80331'],
      ['Hamburg', 'Hamburg', '20095'],
    ],
    timezone: 'Europe/Berlin',
    language: 'de',
    phone: (r) => `+49151${digits(r, 8)}`,
    streets: ['Hauptstraße', 'Friedrichstraße', 'Lindenallee'],
  },
  {
    first: ['Haruto', 'Yui', 'Sota', 'Aoi', 'Ren', 'Hina', 'Kaito', 'Sakura', 'Daiki', 'Mio'],
    last: ['Sato', 'Suzuki', 'Takahashi', 'Tanaka', 'Watanabe', 'Ito', 'Nakamura', 'Kobayashi'],
    country: 'JP',
    cities: [
      ['Tokyo', 'Tokyo', '100-0005'],
      ['Osaka', 'Osaka', '530-0001'],
      ['Fukuoka', 'Fukuoka', '810-0001'],
    ],
    timezone: 'Asia/Tokyo',
    language: 'ja',
    phone: (r) => `+8190${digits(r, 8)}`,
    streets: ['Chuo-dori', 'Meiji-dori', 'Omotesando'],
  },
  {
    first: ['Chinedu', 'Ngozi', 'Emeka', 'Aisha', 'Tunde', 'Funmilayo', 'Ibrahim', 'Chiamaka', 'Segun', 'Zainab'],
    last: ['Okafor', 'Adeyemi', 'Okonkwo', 'Bello', 'Eze', 'Balogun', 'Nwosu', 'Abubakar'],
    country: 'NG',
    cities: [
      ['Lagos', 'Lagos', '101233'],
      ['Abuja', 'FCT', '900211'],
      ['Port Harcourt', 'Rivers', '500272'],
    ],
    timezone: 'Africa/Lagos',
    language: 'en-NG',
    phone: (r) => `+234803${digits(r, 7)}`,
    streets: ['Awolowo Road', 'Adeola Odeku Street', 'Herbert Macaulay Way'],
  },
  {
    first: ['Aarav', 'Ananya', 'Vihaan', 'Diya', 'Arjun', 'Ishita', 'Rohan', 'Kavya', 'Aditya', 'Meera'],
    last: ['Sharma', 'Patel', 'Iyer', 'Reddy', 'Gupta', 'Nair', 'Banerjee', 'Mehta'],
    country: 'IN',
    cities: [
      ['Bengaluru', 'Karnataka', '560001'],
      ['Mumbai', 'Maharashtra', '400001'],
      ['Pune', 'Maharashtra', '411001'],
    ],
    timezone: 'Asia/Kolkata',
    language: 'en-IN',
    phone: (r) => `+9198${digits(r, 8)}`,
    streets: ['MG Road', 'Linking Road', 'FC Road'],
  },
  {
    first: ['Emily', 'James', 'Olivia', 'Michael', 'Ava', 'Daniel', 'Madison', 'Ethan', 'Chloe', 'Noah'],
    last: ['Johnson', 'Williams', 'Brown', 'Miller', 'Davis', 'Wilson', 'Anderson', 'Thompson'],
    country: 'US',
    cities: [
      ['New York', 'NY', '10001'],
      ['Austin', 'TX', '78701'],
      ['Seattle', 'WA', '98101'],
    ],
    timezone: 'America/New_York',
    language: 'en-US',
    phone: (r) =>
      `+1${['212', '512', '206'][Math.floor(r() * 3)]}555${['01', '02', '03'][Math.floor(r() * 3)]}${digits(r, 2)}`,
    streets: ['Main Street', 'Maple Avenue', 'Congress Avenue'],
  },
  {
    first: ['Sofía', 'Mateo', 'Valentina', 'Santiago', 'Camila', 'Diego', 'Lucía', 'Alejandro', 'Ximena', 'Emiliano'],
    last: ['García', 'Hernández', 'López', 'Martínez', 'González', 'Ramírez', 'Torres', 'Flores'],
    country: 'MX',
    cities: [
      ['Ciudad de México', 'CDMX', '06000'],
      ['Guadalajara', 'Jalisco', '44100'],
      ['Monterrey', 'Nuevo León', '64000'],
    ],
    timezone: 'America/Mexico_City',
    language: 'es-MX',
    phone: (r) => `+5255${digits(r, 8)}`,
    streets: ['Avenida Reforma', 'Calle Madero', 'Avenida Juárez'],
  },
  {
    first: ['Elsa', 'Oskar', 'Maja', 'Erik', 'Astrid', 'Nils', 'Ingrid', 'Axel', 'Freja', 'Linnea'],
    last: ['Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Lindqvist', 'Berg'],
    country: 'SE',
    cities: [
      ['Stockholm', 'Stockholm', '111 51'],
      ['Göteborg', 'Västra Götaland', '411 01'],
      ['Malmö', 'Skåne', '211 20'],
    ],
    timezone: 'Europe/Stockholm',
    language: 'sv',
    phone: (r) => `+4670${digits(r, 7)}`,
    streets: ['Drottninggatan', 'Kungsgatan', 'Storgatan'],
  },
  {
    first: ['Camille', 'Louis', 'Manon', 'Hugo', 'Chloé', 'Théo', 'Léa', 'Nathan', 'Inès', 'Jules'],
    last: ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand'],
    country: 'FR',
    cities: [
      ['Paris', 'Île-de-France', '75001'],
      ['Lyon', 'Auvergne-Rhône-Alpes', '69001'],
      ['Nantes', 'Pays de la Loire', '44000'],
    ],
    timezone: 'Europe/Paris',
    language: 'fr',
    phone: (r) => `+336${digits(r, 8)}`,
    streets: ['Rue de Rivoli', 'Boulevard Haussmann', 'Rue de la République'],
  },
];

const companyNames: Array<[name: string, industry: string]> = [
  ['Lumen Analytics', 'Software'],
  ['Solano Foods', 'Food & beverage'],
  ['Brightwater Logistics', 'Logistics'],
  ['Kestrel Outdoor', 'Retail'],
  ['Atlas Medtech', 'Healthcare'],
  ['Nordlys Energi', 'Energy'],
  ['Sakura Design Studio', 'Design'],
  ['Orchid Hospitality', 'Hospitality'],
  ['Ironbark Construction', 'Construction'],
  ['Meridian Insurance', 'Insurance'],
  ['Tidewell Fisheries', 'Food & beverage'],
  ['Cobalt Robotics', 'Manufacturing'],
  ['Verde Agritech', 'Agriculture'],
  ['Harbor & Pine Legal', 'Legal'],
  ['Quokka Learning', 'Education'],
  ['Sable Fashion House', 'Retail'],
  ['Pinnacle Fitness', 'Health & fitness'],
  ['Aurora Travel', 'Travel'],
  ['Granite Capital', 'Finance'],
  ['Marula Cosmetics', 'Consumer goods'],
  ['Fjord Media', 'Media'],
  ['Saffron Kitchens', 'Food & beverage'],
  ['Tesselate Architects', 'Design'],
  ['Beacon Security', 'Software'],
  ['Cedar Health Clinics', 'Healthcare'],
  ['Monsoon Telecom', 'Telecommunications'],
  ['Koru Payments', 'Finance'],
  ['Alder Print Works', 'Manufacturing'],
  ['Zephyr Mobility', 'Transport'],
  ['Baobab Ventures', 'Finance'],
  ['Halcyon Pets', 'Retail'],
  ['Opal Jewellers', 'Retail'],
  ['Riverstone Realty', 'Real estate'],
  ['Cinder Games', 'Entertainment'],
  ['Willow Home Goods', 'Retail'],
  ['Nimbus Cloudworks', 'Software'],
  ['Juniper Wellness', 'Health & fitness'],
  ['Polaris Freight', 'Logistics'],
];

const sizes = ['1-10', '11-50', '51-200', '201-500', '501-1000', '1000+'];
const sources = ['website', 'referral', 'event', 'import', 'linkedin', 'partner', 'ads'];
const tagPool = [
  'vip',
  'newsletter',
  'beta-tester',
  'webinar-2025',
  'partner-referral',
  'high-intent',
  'support-heavy',
];
const titles = [
  'CEO',
  'CTO',
  'Head of Operations',
  'Purchasing Manager',
  'Marketing Lead',
  'Office Manager',
  'Product Owner',
  'Finance Director',
  'Customer Success Manager',
  'Founder',
];
const stageReasons: Record<string, string[]> = {
  prospect: ['Booked a demo', 'Replied to the outreach email', 'Downloaded the pricing sheet'],
  customer: ['First order placed', 'Signed the annual contract', 'Converted after the trial'],
  loyal: ['Third repeat purchase', 'Renewed for another year', 'Referred two new customers'],
  at_risk: ['No order in 90 days', 'Two unresolved complaints', 'Usage dropped by half'],
  churned: ['Cancelled the subscription', 'Moved to a competitor', 'Company closed'],
};
const noteBodies = [
  'Prefers to be contacted in the morning.',
  'Asked about volume discounts for next quarter.',
  'Met at the trade fair; interested in the premium plan.',
  'Had a billing question — resolved, sent a corrected invoice.',
  'Wants a product walkthrough for the new team members.',
  'Mentioned they are evaluating two other vendors.',
  'Very happy with the last delivery; open to a case study.',
  'Requested that we only email, no phone calls.',
];

const day = 86_400_000;

type EventRow = typeof events.$inferInsert;

/** Inserts rows in chunks (PostgreSQL takes at most 65535 parameters per statement). */
async function insertChunked<T>(rows: T[], size: number, insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size));
}

function slugPart(s: string): string {
  return foldText(s).replace(/[^a-z0-9]+/g, '');
}

export type DemoCustomerCounts = {
  people: number;
  companies: number;
  events: number;
  duplicates: number;
  /** With opts.commerce: the catalogue, orders, refunds and subscriptions (src/cli/demo-commerce.ts). */
  commerce: DemoCommerceCounts | null;
};

export async function createDemoCustomers(
  db: Db,
  services: Services,
  owner: Actor,
  teamIds: string[],
  opts: {
    seed?: number;
    people?: number;
    now?: Date;
    /** Also their orders and subscriptions, arriving through this API key (the shop integration). */
    commerce?: { integrationKeyId: string | null };
  } = {},
): Promise<DemoCustomerCounts> {
  const r = seededRandom(opts.seed ?? 20260101);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;
  const chance = (p: number) => r() < p;
  const now = (opts.now ?? new Date()).getTime();
  const ws = owner.workspaceId;
  const ownerIds = teamIds.length ? teamIds : [owner.userId ?? ''];

  for (const f of [
    {
      entity: 'person' as const,
      key: 'plan_tier',
      label: 'Plan tier',
      type: 'select' as const,
      options: ['free', 'starter', 'pro', 'enterprise'],
    },
    { entity: 'person' as const, key: 'seats', label: 'Seats', type: 'number' as const },
    { entity: 'person' as const, key: 'renewal_date', label: 'Renewal date', type: 'date' as const },
    {
      entity: 'company' as const,
      key: 'account_tier',
      label: 'Account tier',
      type: 'select' as const,
      options: ['smb', 'mid-market', 'enterprise'],
    },
  ])
    await services.fields.create(owner, f);

  const eventRows: EventRow[] = [];
  const event = (
    type: string,
    subjectType: string,
    subjectId: string,
    actorId: string,
    at: number,
    payload: Record<string, unknown>,
  ) =>
    eventRows.push({
      workspaceId: ws,
      id: newId(),
      type,
      subjectType,
      subjectId,
      // The timeline reads by person_id (appendEvent sets it for person events; rows written here must too).
      personId: subjectType === 'person' ? subjectId : null,
      actorType: 'user',
      actorId,
      payload,
      occurredAt: new Date(at),
    });

  // Companies.
  const companyRows: Array<typeof companies.$inferInsert> = [];
  for (const [name, industry] of companyNames) {
    const culture = pick(cultures);
    const [city, region, postalCode] = pick(culture.cities);
    const domain = `${slugPart(name.split(' ')[0] ?? name)}.example`;
    const createdAt = now - Math.floor(200 + r() * 400) * day;
    const tags = tagPool.filter(() => chance(0.12));
    const row = {
      workspaceId: ws,
      id: newId(),
      name,
      domain,
      industry,
      size: pick(sizes),
      emails: [`hello@${domain}`],
      phones: [culture.phone(r)].filter((p) => normalisePhone(p)),
      address: {
        line1: `${1 + Math.floor(r() * 200)} ${pick(culture.streets)}`,
        city,
        region,
        postalCode,
        country: culture.country,
      },
      language: culture.language,
      timezone: culture.timezone,
      ownerId: pick(ownerIds),
      source: pick(sources),
      tags,
      custom: { account_tier: pick(['smb', 'smb', 'mid-market', 'enterprise']) },
      createdBy: owner.userId,
      updatedBy: owner.userId,
      createdAt: new Date(createdAt),
      updatedAt: new Date(createdAt),
    };
    companyRows.push({ ...row, searchText: buildSearchText([row.name, row.domain, row.emails, row.phones, row.tags]) });
    event('company.created', 'company', row.id, row.ownerId ?? '', createdAt, { name, domain });
  }
  // Two deliberate duplicate companies: the same domain, and a near-identical name.
  const dupCompanies: Array<[string, string | null, number]> = [
    ['Lumen Analytics GmbH', 'lumen.example', 0],
    ['Brightwater Logistic', null, 2],
  ];
  for (const [name, domain, of] of dupCompanies) {
    const base = companyRows[of];
    if (!base) continue;
    const id = newId();
    const createdAt = now - Math.floor(10 + r() * 60) * day;
    companyRows.push({
      ...base,
      id,
      name,
      domain,
      emails: [],
      phones: [],
      tags: [],
      source: 'import',
      createdAt: new Date(createdAt),
      updatedAt: new Date(createdAt),
      searchText: buildSearchText([name, domain]),
    });
    event('company.created', 'company', id, owner.userId ?? '', createdAt, { name, domain });
  }

  // People.
  const total = opts.people ?? 300;
  const peopleRows: Array<typeof people.$inferInsert> = [];
  const links: Array<typeof personCompanies.$inferInsert> = [];
  const ledger: Array<typeof consentRecords.$inferInsert> = [];
  const noteRows: Array<typeof notes.$inferInsert> = [];
  const usedEmails = new Set<string>();
  const linkNames = new Map<string, string[]>();
  const realCompanies = companyRows.slice(0, companyNames.length);

  for (let i = 0; i < total; i++) {
    const culture = pick(cultures);
    const first = pick(culture.first);
    const last = pick(culture.last);
    const id = newId();
    const personOwner = pick(ownerIds);
    const createdAt = now - Math.floor(20 + r() * 420) * day - Math.floor(r() * day);
    const company = chance(0.75) ? pick(realCompanies) : null;
    const local = `${slugPart(first)}.${slugPart(last)}`;
    let email = company
      ? `${local}@${company.domain}`
      : `${local}@${pick(['example.com', 'example.org', 'example.net'])}`;
    if (usedEmails.has(email)) email = email.replace('@', `${i}@`);
    usedEmails.add(email);
    const emails = chance(0.15) ? [email, `${slugPart(first)}${i}@example.net`] : [email];
    const phone = normalisePhone(culture.phone(r));
    const phones = phone && chance(0.8) ? [phone] : [];
    const [city, region, postalCode] = pick(culture.cities);
    const tags = tagPool.filter(() => chance(0.15));

    // Stage path: lead → prospect → customer → loyal, or off to at_risk → churned.
    const path = ['lead'];
    if (chance(0.7)) path.push('prospect');
    if (path.length === 2 && chance(0.65)) path.push('customer');
    if (path.length === 3) {
      if (chance(0.35)) path.push('loyal');
      else if (chance(0.3)) {
        path.push('at_risk');
        if (chance(0.5)) path.push('churned');
      }
    }
    const steps = path.length - 1;
    let t = createdAt;
    const span = now - createdAt;
    event('person.created', 'person', id, personOwner, createdAt, {
      name: `${first} ${last}`,
      emails,
      stage: 'lead',
      source: null,
    });
    for (let s = 1; s <= steps; s++) {
      const next = t + Math.floor((span / (steps + 1)) * (0.6 + r() * 0.8));
      const at = Math.min(next, now - day);
      const from = path[s - 1] ?? 'lead';
      const to = path[s] ?? 'lead';
      event('person.stage_changed', 'person', id, personOwner, at, {
        from,
        to,
        reason: pick(stageReasons[to] ?? ['Updated']),
        daysInPreviousStage: Math.max(0, Math.floor((at - t) / day)),
      });
      t = at;
    }
    const stage = path[path.length - 1] ?? 'lead';

    // Consent: most grant service email; some marketing; some later unsubscribe.
    const consentAt = createdAt + Math.floor(r() * day);
    const grant = (channel: string, purpose: string, status: 'granted' | 'withdrawn', source: string, at: number) => {
      ledger.push({
        workspaceId: ws,
        id: newId(),
        personId: id,
        channel,
        purpose,
        status,
        source,
        proof:
          source === 'form'
            ? { form: 'signup', ip: '203.0.113.10' }
            : source === 'unsubscribe_link'
              ? { campaign: 'spring-newsletter' }
              : {},
        actorType: 'user',
        actorId: personOwner,
        recordedAt: new Date(at),
      });
      event(
        status === 'granted' ? 'person.consent_granted' : 'person.consent_withdrawn',
        'person',
        id,
        personOwner,
        at,
        {
          channel,
          purpose,
          source,
          previous: null,
        },
      );
    };
    if (chance(0.8)) grant('email', 'service', 'granted', 'form', consentAt);
    if (chance(0.5)) {
      grant('email', 'marketing', 'granted', pick(['form', 'import', 'api']), consentAt + 1000);
      if (chance(0.2))
        grant('email', 'marketing', 'withdrawn', 'unsubscribe_link', consentAt + Math.floor(r() * (now - consentAt)));
    }
    if (phones.length && chance(0.25)) grant('sms', 'marketing', 'granted', 'form', consentAt + 2000);

    // Notes.
    const nNotes = chance(0.4) ? 1 + Math.floor(r() * 2) : 0;
    for (let n = 0; n < nNotes; n++) {
      const at = createdAt + Math.floor(r() * (now - createdAt));
      const body = pick(noteBodies);
      const noteId = newId();
      noteRows.push({
        workspaceId: ws,
        id: noteId,
        subjectType: 'person',
        subjectId: id,
        body,
        authorId: personOwner,
        createdAt: new Date(at),
        updatedAt: new Date(at),
      });
      event('person.note_added', 'person', id, personOwner, at, { noteId, excerpt: body });
    }

    const paying = ['customer', 'loyal', 'at_risk', 'churned'].includes(stage);
    const custom: Record<string, unknown> = {};
    if (paying) {
      custom.plan_tier = pick(['starter', 'pro', 'pro', 'enterprise']);
      custom.seats = 1 + Math.floor(r() * (custom.plan_tier === 'enterprise' ? 500 : 40));
      custom.renewal_date = new Date(now + Math.floor(r() * 365) * day).toISOString().slice(0, 10);
    } else if (chance(0.5)) custom.plan_tier = 'free';

    const row = {
      workspaceId: ws,
      id,
      firstName: first,
      lastName: last,
      displayName: personDisplayName(first, last, emails),
      emails,
      phones,
      address: {
        line1: `${1 + Math.floor(r() * 200)} ${pick(culture.streets)}`,
        city,
        region,
        postalCode,
        country: culture.country,
      },
      language: culture.language,
      timezone: culture.timezone,
      ownerId: personOwner,
      stage,
      stageChangedAt: new Date(t),
      source: pick(sources),
      tags,
      custom,
      consent: {},
      createdBy: personOwner,
      updatedBy: personOwner,
      createdAt: new Date(createdAt),
      updatedAt: new Date(Math.max(t, createdAt)),
    };
    peopleRows.push(row);
    if (company?.id) {
      const title = pick(titles);
      links.push({
        workspaceId: ws,
        personId: id,
        companyId: company.id,
        title,
        isPrimary: true,
        createdAt: new Date(createdAt),
      });
      linkNames.set(id, [company.name]);
      event('person.company_linked', 'person', id, personOwner, createdAt + 1, {
        companyId: company.id,
        company: company.name,
        title,
      });
    }
  }

  // Deliberate duplicates: the same email (another case of name), the same phone, a similar name at the same company.
  let duplicates = 0;
  const withCompany = peopleRows.filter((p) => links.some((l) => l.personId === p.id));
  const seeds = [peopleRows[3], peopleRows[17], peopleRows[42], withCompany[5], withCompany[11], withCompany[20]];
  seeds.forEach((orig, k) => {
    if (!orig) return;
    const id = newId();
    const createdAt = now - Math.floor(3 + r() * 20) * day;
    const origEmails = orig.emails ?? [];
    const origPhones = orig.phones ?? [];
    const first = orig.firstName ?? '';
    const kind = k % 3;
    const firstName =
      kind === 0 ? first : kind === 1 ? first.slice(0, Math.max(3, first.length - 1)) : first.slice(0, 3);
    const emails =
      kind === 0
        ? [origEmails[0] ?? `${id}@example.com`]
        : [`${slugPart(firstName)}.${slugPart(orig.lastName ?? '')}${k}@example.org`];
    const phones = kind === 1 && origPhones.length ? [origPhones[0] ?? ''] : [];
    peopleRows.push({
      ...orig,
      id,
      firstName,
      displayName: personDisplayName(firstName, orig.lastName, emails),
      emails,
      phones: kind === 1 && !phones.length ? origPhones : phones,
      stage: 'lead',
      stageChangedAt: new Date(createdAt),
      source: 'import',
      tags: [],
      custom: {},
      createdAt: new Date(createdAt),
      updatedAt: new Date(createdAt),
    });
    const link = links.find((l) => l.personId === orig.id);
    if (kind === 2 && link) {
      links.push({ ...link, personId: id, title: null });
      linkNames.set(id, linkNames.get(orig.id ?? '') ?? []);
    }
    event('person.created', 'person', id, owner.userId ?? '', createdAt, {
      name: `${firstName} ${orig.lastName}`,
      emails,
      stage: 'lead',
      source: 'import',
    });
    duplicates++;
  });

  // Current consent from each ledger; search text with company names.
  const byPerson = new Map<
    string,
    Array<{ id: string; channel: string; purpose: string; status: 'granted' | 'withdrawn'; recordedAt: Date }>
  >();
  for (const c of ledger) {
    const list = byPerson.get(c.personId) ?? [];
    list.push({
      id: c.id,
      channel: c.channel,
      purpose: c.purpose,
      status: c.status,
      recordedAt: c.recordedAt ?? new Date(),
    });
    byPerson.set(c.personId, list);
  }
  for (const p of peopleRows) {
    p.consent = currentConsent(byPerson.get(p.id) ?? []);
    p.searchText = buildSearchText([p.displayName, p.emails, p.phones, p.tags, linkNames.get(p.id) ?? []]);
  }

  // What the buyers bought, with its events among theirs (its own random sequence: the people stay the same).
  const commerce = opts.commerce
    ? demoCommerce({
        workspaceId: ws,
        buyers: peopleRows.map((p) => ({
          id: p.id,
          stage: p.stage ?? 'lead',
          createdAt: p.createdAt ?? new Date(now),
          stageChangedAt: p.stageChangedAt ?? new Date(now),
          country: p.address?.country ?? null,
        })),
        integrationKeyId: opts.commerce.integrationKeyId,
        ownerUserId: owner.userId ?? '',
        staffIds: ownerIds,
        now,
      })
    : null;
  if (commerce) eventRows.push(...commerce.events);

  // Events in time order, so the log's seq follows occurred_at like live events do.
  eventRows.sort((a, b) => (a.occurredAt as Date).getTime() - (b.occurredAt as Date).getTime());

  await db.transaction(async (tx) => {
    await insertChunked(companyRows, 200, (c) => tx.insert(companies).values(c));
    await insertChunked(peopleRows, 200, (c) => tx.insert(people).values(c));
    await insertChunked(links, 500, (c) => tx.insert(personCompanies).values(c));
    await insertChunked(ledger, 500, (c) => tx.insert(consentRecords).values(c));
    await insertChunked(noteRows, 500, (c) => tx.insert(notes).values(c));
    if (commerce) {
      await insertChunked(commerce.products, 200, (c) => tx.insert(products).values(c));
      await insertChunked(commerce.orders, 200, (c) => tx.insert(orders).values(c));
      await insertChunked(commerce.lines, 500, (c) => tx.insert(orderLines).values(c));
      await insertChunked(commerce.refunds, 500, (c) => tx.insert(refunds).values(c));
      await insertChunked(commerce.subscriptions, 200, (c) => tx.insert(subscriptions).values(c));
    }
    await insertChunked(eventRows, 500, (c) => tx.insert(events).values(c));
  });
  return {
    people: peopleRows.length,
    companies: companyRows.length,
    events: eventRows.length,
    duplicates: duplicates + dupCompanies.length,
    commerce: commerce?.counts ?? null,
  };
}
