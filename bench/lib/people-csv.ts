/**
 * A people CSV as customers export it from another tool: names, one e-mail in mixed case, phones in national and
 * international formats (read with the row's country), a company out of a fixed set, tags, city and country, two
 * custom fields and an e-mail marketing consent column filled for some rows, plus a share of bad rows (a broken
 * e-mail, an unreadable phone, a consent answer or custom value the import refuses, an impossible date), one
 * problem each. Seeded: the same seed and count give the same file, and a shorter file is a prefix of a longer one.
 */
import fs from 'node:fs';
import { asciiWord, pick, prng, type Rand } from './customers-data.ts';
import { companyNouns, companySuffixes, companyWords, emailDomains, firstNames, lastNames, tagWords } from './names.ts';

export const peopleCsvHeader = [
  'First Name',
  'Last Name',
  'Email',
  'Phone',
  'Company',
  'Tags',
  'City',
  'Country',
  'Customer Tier',
  'Member Since',
  'Email marketing consent',
];

/** The custom fields the file's "Customer Tier" and "Member Since" columns map to (by label). */
export const peopleCsvFields = [
  { label: 'Customer Tier', type: 'select' as const, options: ['bronze', 'silver', 'gold', 'platinum'] },
  { label: 'Member Since', type: 'date' as const },
];

export type PeopleCsvStats = {
  rows: number;
  /** Rows the import must refuse (one problem each). */
  bad: number;
  badByKind: Record<string, number>;
  /** Valid rows with a consent answer (each gives a consent record and an event). */
  consent: number;
  /** Valid rows naming a company (each gives a link and an event). */
  withCompany: number;
  companies: number;
  bytes: number;
};

type Country = { code: string; cities: string[]; phone: (rand: Rand) => string };

const digits = (rand: Rand, n: number, first = 0) => {
  let s = '';
  for (let i = 0; i < n; i++)
    s += String(i === 0 ? first + Math.floor(rand() * (10 - first)) : Math.floor(rand() * 10));
  return s;
};

const countries: Array<Country & { weight: number }> = [
  {
    code: 'US',
    weight: 35,
    cities: ['New York', 'Chicago', 'Austin', 'Seattle', 'Boston', 'Denver', 'Atlanta', 'San Francisco'],
    phone: (r) => {
      const a = pick(r, ['212', '312', '512', '206', '617', '303', '404', '415']);
      const x = digits(r, 3, 2);
      const n = digits(r, 4);
      return pick(r, [`+1 (${a}) ${x}-${n}`, `(${a}) ${x}-${n}`, `${a}.${x}.${n}`, `${a}-${x}-${n}`, `+1${a}${x}${n}`]);
    },
  },
  {
    code: 'GB',
    weight: 12,
    cities: ['London', 'Manchester', 'Leeds', 'Bristol', 'Edinburgh', 'Glasgow'],
    phone: (r) => {
      const n = `7${pick(r, ['700', '911', '400', '500', '824'])}${digits(r, 6)}`;
      return pick(r, [`+44 ${n.slice(0, 4)} ${n.slice(4)}`, `0${n.slice(0, 4)} ${n.slice(4)}`, `+44${n}`]);
    },
  },
  {
    code: 'DE',
    weight: 12,
    cities: ['Berlin', 'München', 'Hamburg', 'Köln', 'Frankfurt am Main', 'Düsseldorf'],
    phone: (r) => {
      const p = pick(r, ['151', '160', '170', '171', '176']);
      const n = digits(r, 8);
      return pick(r, [`+49 ${p} ${n}`, `0${p} ${n}`, `0${p}/${n}`, `+49${p}${n}`]);
    },
  },
  {
    code: 'FR',
    weight: 10,
    cities: ['Paris', 'Lyon', 'Marseille', 'Toulouse', 'Nantes', 'Lille'],
    phone: (r) => {
      const n = `${pick(r, ['6', '7'])}${digits(r, 8)}`;
      const pairs = n.slice(1).match(/../g)?.join(' ') ?? '';
      return pick(r, [`+33 ${n[0]} ${pairs}`, `0${n[0]} ${pairs}`, `0${n}`]);
    },
  },
  {
    code: 'ES',
    weight: 8,
    cities: ['Madrid', 'Barcelona', 'Valencia', 'Sevilla', 'Málaga'],
    phone: (r) => {
      const n = `6${digits(r, 8)}`;
      return pick(r, [`+34 ${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`, `${n.slice(0, 3)} ${n.slice(3)}`]);
    },
  },
  {
    code: 'BR',
    weight: 8,
    cities: ['São Paulo', 'Rio de Janeiro', 'Belo Horizonte', 'Curitiba'],
    phone: (r) => {
      const n = `9${digits(r, 8)}`;
      return pick(r, [`+55 11 ${n.slice(0, 5)}-${n.slice(5)}`, `(11) ${n.slice(0, 5)}-${n.slice(5)}`]);
    },
  },
  {
    code: 'IN',
    weight: 8,
    cities: ['Mumbai', 'Bengaluru', 'Delhi', 'Pune', 'Chennai'],
    phone: (r) => {
      const n = `${pick(r, ['98', '99', '97', '70'])}${digits(r, 8)}`;
      return pick(r, [`+91 ${n.slice(0, 5)} ${n.slice(5)}`, `+91-${n}`, `0${n}`]);
    },
  },
  {
    code: 'JP',
    weight: 7,
    cities: ['Tokyo', 'Osaka', 'Yokohama', 'Nagoya'],
    phone: (r) => {
      const n = `${pick(r, ['90', '80', '70'])}${digits(r, 8)}`;
      return pick(r, [
        `+81 ${n.slice(0, 2)}-${n.slice(2, 6)}-${n.slice(6)}`,
        `0${n.slice(0, 2)}-${n.slice(2, 6)}-${n.slice(6)}`,
      ]);
    },
  },
];
const countryWeights = countries.reduce((a, c) => a + c.weight, 0);

function country(rand: Rand): Country {
  let w = rand() * countryWeights;
  for (const c of countries) {
    w -= c.weight;
    if (w < 0) return c;
  }
  return countries[0] as Country;
}

/** A CSV field, quoted when it must be. */
function field(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function companyNames(count: number, rand: Rand): string[] {
  const names = new Set<string>();
  while (names.size < count) {
    const shape = rand();
    names.add(
      shape < 0.35
        ? `${pick(rand, lastNames)} ${pick(rand, companyNouns)}`
        : shape < 0.7
          ? `${pick(rand, companyWords)} ${pick(rand, companyNouns)} ${pick(rand, companySuffixes)}`
          : shape < 0.85
            ? `${pick(rand, lastNames)} & ${pick(rand, lastNames)} ${pick(rand, companySuffixes)}`
            : `${pick(rand, companyWords)} ${pick(rand, lastNames)} ${pick(rand, companyNouns)}`,
    );
  }
  return [...names];
}

/** The address with a case mix as real files have ("John.Smith@Gmail.com"); unique once lower-cased. */
function email(rand: Rand, first: string, last: string, seen: Set<string>): string {
  const f = asciiWord(first) || 'contact';
  const l = asciiWord(last) || 'mail';
  const domain = pick(rand, emailDomains);
  let local = pick(rand, [`${f}.${l}`, `${f}${l}`, `${f[0]}.${l}`, `${f}_${l}`, `${l}.${f}`, `${f}.${l}`]);
  if (seen.has(`${local}@${domain}`)) local = `${local}${1 + Math.floor(rand() * 99)}`;
  while (seen.has(`${local}@${domain}`)) local = `${local}${Math.floor(rand() * 10)}`;
  seen.add(`${local}@${domain}`);
  const shape = rand();
  const cap = (s: string) => s.replace(/(^|[._])([a-z])/g, (_, p: string, c: string) => p + c.toUpperCase());
  if (shape < 0.25) return `${cap(local)}@${domain[0]?.toUpperCase()}${domain.slice(1)}`;
  if (shape < 0.3) return `${local}@${domain}`.toUpperCase();
  return `${local}@${domain}`;
}

const badKinds = ['email', 'phone', 'consent', 'tier', 'date'] as const;

/** Writes `count` data rows (plus the header) to `file`. */
export async function writePeopleCsv(file: string, count: number, seed: number): Promise<PeopleCsvStats> {
  const rand = prng(seed);
  const companies = companyNames(20_000, prng(seed + 1));
  const firsts = [...new Set(firstNames)];
  const lasts = [...new Set(lastNames)];
  const seen = new Set<string>();
  const stats: PeopleCsvStats = {
    rows: count,
    bad: 0,
    badByKind: {},
    consent: 0,
    withCompany: 0,
    companies: 0,
    bytes: 0,
  };
  const usedCompanies = new Set<string>();
  const out = fs.createWriteStream(file);
  const write = async (s: string) => {
    stats.bytes += Buffer.byteLength(s);
    if (!out.write(s)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  let buf = `${peopleCsvHeader.map(field).join(',')}\n`;
  for (let i = 0; i < count; i++) {
    const first = pick(rand, firsts);
    const last = pick(rand, lasts);
    const c = country(rand);
    const cols = [
      first,
      last,
      email(rand, first, last, seen),
      rand() < 0.8 ? c.phone(rand) : '',
      '',
      '',
      pick(rand, c.cities),
      rand() < 0.9 ? c.code : c.code.toLowerCase(),
      rand() < 0.6 ? pick(rand, ['bronze', 'silver', 'gold', 'platinum']) : '',
      rand() < 0.5
        ? `${2010 + Math.floor(rand() * 16)}-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`
        : '',
      '',
    ];
    if (rand() < 0.4) cols[4] = pick(rand, companies);
    const nTags = rand() < 0.5 ? 0 : rand() < 0.7 ? 1 : 2;
    const tags = new Set<string>();
    while (tags.size < nTags) tags.add(pick(rand, tagWords));
    cols[5] = [...tags].join(';');
    const consent = rand();
    if (consent < 0.25) cols[10] = pick(rand, ['yes', 'Yes', 'TRUE', 'opted in', 'y']);
    else if (consent < 0.35) cols[10] = pick(rand, ['no', 'No', 'false', 'n']);
    if (rand() < 0.005) {
      const kind = pick(rand, badKinds);
      if (kind === 'email')
        cols[2] = pick(rand, [`${asciiWord(first)}.${asciiWord(last)}@`, `${asciiWord(first)} at gmail.com`]);
      if (kind === 'phone') cols[3] = pick(rand, ['12', 'n/a 555']);
      if (kind === 'consent') cols[10] = pick(rand, ['maybe', 'ask later']);
      if (kind === 'tier') cols[8] = 'diamond';
      if (kind === 'date') cols[9] = `20${10 + Math.floor(rand() * 15)}-02-30`;
      stats.bad++;
      stats.badByKind[kind] = (stats.badByKind[kind] ?? 0) + 1;
    } else {
      if (cols[10]) stats.consent++;
      if (cols[4]) {
        stats.withCompany++;
        usedCompanies.add(cols[4]);
      }
    }
    buf += `${cols.map(field).join(',')}\n`;
    if (buf.length > 262_144) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  stats.companies = usedCompanies.size;
  return stats;
}
