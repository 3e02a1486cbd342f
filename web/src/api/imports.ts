/** CSV imports: upload, mapping, dry run, run, row report. */
import { ApiError } from './client.ts';

export type ImportStatus = 'invalid' | 'ready' | 'dry_running' | 'dry_run_done' | 'importing' | 'done' | 'failed';
export type MatchOn = 'email' | 'externalId' | 'domain' | 'none';
export type RowAction = 'create' | 'update' | 'unchanged' | 'reject';
export type ImportEntity = 'person' | 'company' | 'order';

export type Import = {
  id: string;
  entity: ImportEntity;
  status: ImportStatus;
  mode: 'dry_run' | 'run' | null;
  fileName: string;
  fileSize: number;
  encoding: string;
  delimiter: string;
  headers: string[];
  mapping: Record<string, string | null>;
  matchOn: MatchOn;
  fields: string[];
  warnings: string[];
  problems: Array<{ code: string; message: string; line?: number | null; column?: string | null }>;
  mappingProblems: Array<{ field: string; message: string }>;
  progress: {
    totalRows: number;
    processedRows: number;
    percent: number;
    created: number;
    updated: number;
    unchanged: number;
    rejected: number;
  };
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};

export type ImportRow = {
  row: number;
  /** The line of the file the row starts on. */
  line: number;
  action: RowAction;
  recordId: string | null;
  summary: string;
  details: Record<string, unknown>;
};

export type ImportRowsPage = {
  data: ImportRow[];
  mode: 'dry_run' | 'run';
  /** Rows after this one are listed only when rejected (a run of a large file); null: every row is listed. */
  listedThroughRow: number | null;
  page: { nextCursor: string | null; limit: number };
};

/** Sends the file as it is (text/csv), streamed by the browser; the server reads its encoding and separator. */
export async function uploadCsv(file: File, entity: ImportEntity): Promise<Import> {
  const params = new URLSearchParams({ entity, fileName: file.name });
  let res: Response;
  try {
    res = await fetch(`/api/v1/imports?${params.toString()}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'text/csv' },
      body: file,
    });
  } catch {
    throw new ApiError(0, 'network', 'Rapport cannot be reached. Check your connection and try again.', null);
  }
  const body: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    throw new ApiError(
      res.status,
      e?.code ?? 'http_error',
      e?.message ?? (res.status === 413 ? 'The file is too large to upload.' : `The server answered ${res.status}.`),
      e?.details ?? null,
    );
  }
  return body as Import;
}

const builtInLabels: Record<string, string> = {
  firstName: 'First name',
  lastName: 'Last name',
  fullName: 'Full name',
  name: 'Name',
  emails: 'Email',
  phones: 'Phone',
  company: 'Company name',
  companyDomain: 'Company domain',
  jobTitle: 'Job title',
  tags: 'Tags',
  stage: 'Lifecycle stage',
  source: 'Source',
  externalId: 'External id',
  id: 'Rapport id (updates that record)',
  language: 'Language',
  timezone: 'Time zone',
  domain: 'Domain',
  industry: 'Industry',
  size: 'Size',
  'address.line1': 'Street',
  'address.line2': 'Street, line 2',
  'address.city': 'City',
  'address.region': 'Region',
  'address.postalCode': 'Postal code',
  'address.country': 'Country',
};

/** The fields of an orders file (`line.*`: the row's line item). */
const orderLabels: Record<string, string> = {
  externalId: 'Order id',
  'customer.email': 'Customer e-mail',
  'customer.externalId': 'Customer id',
  'customer.name': 'Customer name',
  placedAt: 'Placed at (date or date and time)',
  status: 'Status',
  currency: 'Currency',
  total: 'Total',
  discount: 'Discount',
  tax: 'Tax',
  shipping: 'Shipping',
  refunded: 'Refunded amount',
  channel: 'Channel',
  'line.sku': 'SKU',
  'line.name': 'Product name',
  'line.quantity': 'Quantity',
  'line.unitPrice': 'Unit price',
};

/** Words for a mapping target: "emails" → "Email", "custom.plan" → "Plan", "consent.email.marketing" → "Consent: …". */
export function targetLabel(
  target: string,
  customLabel: (key: string) => string | undefined,
  entity: ImportEntity = 'person',
): string {
  if (entity === 'order') return orderLabels[target] ?? target;
  if (builtInLabels[target]) return builtInLabels[target];
  if (target.startsWith('custom.')) return customLabel(target.slice(7)) ?? target.slice(7);
  if (target.startsWith('consent.')) {
    const [, c, p] = target.split('.');
    return `Consent: ${c === 'sms' ? 'SMS' : (c ?? '')} ${p ?? ''}`;
  }
  return target;
}

export function targetGroup(target: string, entity: ImportEntity = 'person'): string {
  if (entity === 'order')
    return target.startsWith('customer.') ? 'Customer' : target.startsWith('line.') ? 'Line item' : 'Order';
  if (target.startsWith('custom.')) return 'Custom fields';
  if (target.startsWith('consent.')) return 'Consent';
  if (target.startsWith('address.')) return 'Address';
  return 'Record';
}

/** What an import brings in, in words: the list it fills and its address. */
export const entityInfo: Record<ImportEntity, { plural: string; list: string; counted: string }> = {
  person: { plural: 'People', list: '/people', counted: 'rows' },
  company: { plural: 'Companies', list: '/companies', counted: 'rows' },
  order: { plural: 'Orders', list: '/orders', counted: 'orders' },
};
