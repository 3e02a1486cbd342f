import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { and, eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { events, orderLines, orders, people } from '../../db/schema/index.ts';
import { runImport } from './imports.service.ts';
import { importTestSetup, type ImportDto, type Json, type RowDto } from './import-test-setup.ts';

// Uploaded files go to a scratch data directory, not the repository's ./data.
process.env.RAPPORT_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-imports-'));

type OrderDto = Json & {
  id: string;
  externalId: string;
  personId: string;
  status: string;
  total: string;
  refunded: string;
  currency: string;
  placedAt: string;
  lines?: Array<{ name: string; sku: string | null; quantity: number; unitPrice: string; amount: string }>;
};

const shopify = [
  'Name,Email,Financial Status,Paid at,Currency,Subtotal,Shipping,Taxes,Total,Discount Amount,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Billing Name,Refunded Amount',
  '#1001,ann@shop.example,paid,2024-03-05 14:20:00 +0100,EUR,30.00,5.00,0.00,35.00,0.00,2024-03-05 14:12:09 +0100,2,Socks,10.00,SOCK-1,Ann Lee,',
  '#1001,,,,,,,,,,,1,Hat,10.00,HAT-1,,',
  '#1002,bob@shop.example,partially_refunded,,EUR,20.00,0,0,20.00,0,2024-03-06 10:00:00 +0100,1,Scarf,20.00,SC-1,Bob Stone,5.00',
  '#1003,cy@shop.example,paid,,EUR,10.00,0,0,10.00,0,2024-31-12,1,Cap,10.00,CAP,Cy,',
  '#1004,di@shop.example,paid,,EUR,10.00,0,0,ten,0,2024-03-07,1,Cap,10.00,CAP,Di,',
  '#1005,ed@shop.example,paid,,EUR,10.00,0,0,10.005,0,2024-03-07,1,Cap,10.005,CAP,Ed,',
  '#1006,fay@shop.example,shipped,,EUR,10.00,0,0,10.00,0,2024-03-07,1,Cap,10.00,CAP,Fay,',
  '#1007,,paid,,EUR,10.00,0,0,10.00,0,2024-03-07,1,Cap,10.00,CAP,Gus,',
  '#1008,hal@shop.example,paid,,EUR,15.00,0,0,15.00,0,2024-03-07,1,Cap,10.00,CAP,Hal,',
  '#1008,,,,,,,,,,,1,Belt,5.00,BELT,,',
].join('\n');

describe.each(testEngines())('CSV import of orders on %s', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const t = await importTestSetup(ctx, 'entity=order');
    const { ws, call } = t;
    const orderList = async (query = '') =>
      (
        (await call('GET', `/orders?limit=200${query.includes('sort=') ? '' : '&sort=placed_at'}${query}`)).json() as {
          data: OrderDto[];
        }
      ).data;
    const order = async (externalId: string) => {
      const found = await orderList(`&filter=${encodeURIComponent(`external_id:eq:${externalId}`)}`);
      expect(found, externalId).toHaveLength(1);
      return (await call('GET', `/orders/${found[0]?.id}`)).json() as OrderDto;
    };
    const count = async (table: typeof orders | typeof people | typeof orderLines | typeof events, type?: string) => {
      const [r] = await ctx.database.db
        .select({ n: sql<number>`count(*)::int` })
        .from(table)
        .where(
          and(
            eq(table.workspaceId, ws.workspace.id),
            ...(type && table === events ? [sql`${events.type} like ${type}`] : []),
          ),
        );
      return r?.n ?? 0;
    };
    return { ...t, orderList, order, count };
  }

  it('suggests the mapping, dry-runs order by order with reasons, imports lines, refunds and events', async () => {
    const t = await setup();
    const imp = await t.upload(shopify);
    expect(imp.matchOn).toBe('externalId');
    expect(imp.fields).toContain('line.unitPrice');
    expect(imp.mapping).toEqual({
      Name: 'externalId',
      Email: 'customer.email',
      'Financial Status': 'status',
      'Paid at': null,
      Currency: 'currency',
      Subtotal: null,
      Shipping: 'shipping',
      Taxes: 'tax',
      Total: 'total',
      'Discount Amount': 'discount',
      'Created at': 'placedAt',
      'Lineitem quantity': 'line.quantity',
      'Lineitem name': 'line.name',
      'Lineitem price': 'line.unitPrice',
      'Lineitem sku': 'line.sku',
      'Billing Name': 'customer.name',
      'Refunded Amount': 'refunded',
    });
    expect(imp.mappingProblems).toEqual([]);

    const dry = await t.start(imp.id, 'dry-run');
    expect(dry.status).toBe('dry_run_done');
    // Counted per order: #1001 (two rows), #1002 and #1008 (two rows) would be created; five are refused.
    expect(dry.progress).toMatchObject({ processedRows: 10, created: 3, updated: 0, unchanged: 0, rejected: 5 });
    const report = await t.rows(imp.id);
    expect(report.map((r) => [r.row, r.action])).toEqual([
      [1, 'create'],
      [2, 'create'],
      [3, 'create'],
      [4, 'reject'],
      [5, 'reject'],
      [6, 'reject'],
      [7, 'reject'],
      [8, 'reject'],
      [9, 'create'],
      [10, 'create'],
    ]);
    expect(report[0]?.summary).toBe('Order #1001 · 35.00 EUR · Ann Lee');
    expect(report[0]?.details).toMatchObject({ customer: 'new', status: 'paid', lines: 2 });
    expect(report[1]?.summary).toBe('Order #1001 · line 2');
    const reason = (r: RowDto | undefined) =>
      ((r?.details.problems ?? []) as Array<{ field: string; message: string }>).map((p) => `${p.field}: ${p.message}`);
    expect(reason(report[3])).toEqual(['placedAt: "2024-31-12" is not a date that exists']);
    expect(reason(report[4])).toEqual(['total: "ten" is not an amount like 19.99']);
    expect(reason(report[5])).toEqual([
      'total: EUR has 2 decimals: 10.005 has more',
      'line.unitPrice: EUR has 2 decimals: 10.005 has more',
    ]);
    expect(reason(report[6])).toEqual([
      'status: "shipped" is not an order status; use one of placed, paid, refunded, partially_refunded, canceled',
    ]);
    expect(reason(report[7])).toEqual([
      'customer: an order needs its customer: an e-mail or a customer id (neither is on any row of this order)',
    ]);
    expect(report[7]?.line).toBe(9);
    // The reasons a user reads name the file's columns as its header writes them, never the fields they map to
    // (those stay in the problems' `field`, beside the `columns`).
    expect(report.slice(3, 8).map((r) => r.summary)).toEqual([
      'column "Created at": "2024-31-12" is not a date that exists',
      'column "Total": "ten" is not an amount like 19.99',
      'column "Total": EUR has 2 decimals: 10.005 has more; column "Lineitem price": EUR has 2 decimals: 10.005 has more',
      'column "Financial Status": "shipped" is not an order status; use one of placed, paid, refunded, partially_refunded, canceled',
      'an order needs its customer: an e-mail or a customer id (neither is on any row of this order)',
    ]);
    expect(report[3]?.details.problems).toEqual([
      { field: 'placedAt', columns: ['Created at'], message: '"2024-31-12" is not a date that exists' },
    ]);
    // A dry run changes nothing.
    expect(await t.count(orders)).toBe(0);
    expect(await t.count(people)).toBe(0);

    const done = await t.start(imp.id, 'run');
    expect(done.status).toBe('done');
    expect(done.progress).toMatchObject({ processedRows: 10, created: 3, updated: 0, unchanged: 0, rejected: 5 });
    expect((await t.rows(imp.id, '&mode=run&action=rejected')).map((r) => r.row)).toEqual([4, 5, 6, 7, 8]);
    // The real run reports every row too: an order's rows all name it, the rejected ones say why.
    const runReport = await t.rows(imp.id, '&mode=run');
    expect(runReport.map((r) => r.action)).toEqual(report.map((r) => r.action));
    expect(runReport.map((r) => r.line)).toEqual(report.map((r) => r.line));
    const o1001 = runReport.find((r) => r.action === 'create');
    expect(o1001?.recordId).toBe((await t.order('#1001')).id);

    const o1 = await t.order('#1001');
    expect(o1).toMatchObject({
      status: 'paid',
      currency: 'EUR',
      subtotal: '30.00',
      shipping: '5.00',
      total: '35.00',
      placedAt: '2024-03-05T13:12:09.000Z',
      customer: { name: 'Ann Lee', email: 'ann@shop.example' },
    });
    expect(o1.lines?.map((l) => [l.name, l.sku, l.quantity, l.unitPrice, l.amount])).toEqual([
      ['Socks', 'SOCK-1', 2, '10.00', '20.00'],
      ['Hat', 'HAT-1', 1, '10.00', '10.00'],
    ]);
    const o2 = await t.order('#1002');
    expect(o2).toMatchObject({ status: 'partially_refunded', total: '20.00', refunded: '5.00', net: '15.00' });
    expect(o2.refunds).toEqual([expect.objectContaining({ amount: '5.00', reason: 'import upload.csv' })]);
    expect((await t.order('#1008')).lines).toHaveLength(2);
    expect(await t.count(orderLines)).toBe(5);

    // The customer was made like the commerce API makes them, and the orders are on their timeline.
    const ann = (await t.call('GET', `/people/${o1.personId}`)).json();
    expect(ann).toMatchObject({ name: 'Ann Lee', emails: ['ann@shop.example'], source: 'order' });
    const timeline = (await t.call('GET', `/people/${o1.personId}/timeline`)).json() as {
      data: Array<{ type: string; payload: Json }>;
    };
    // Sorted by when it happened: the order was placed before its customer was recorded (today).
    expect(timeline.data.map((e) => e.type)).toEqual(['person.created', 'order.paid', 'order.placed']);
    expect(timeline.data[2]?.payload).toMatchObject({ externalId: '#1001', total: '35.00', currency: 'EUR', items: 3 });
    const bob = (await t.call('GET', `/people/${o2.personId}/timeline`)).json() as { data: Array<{ type: string }> };
    // The refund the file reports is recorded today (the file does not say when it was made).
    expect(bob.data.map((e) => e.type).slice(2)).toEqual(['order.paid', 'order.placed']);
    expect(
      bob.data
        .map((e) => e.type)
        .slice(0, 2)
        .sort(),
    ).toEqual(['order.refunded', 'person.created']);
  });

  it('exports the orders as the import reads them: filtered, a row per line, and imported back unchanged', async () => {
    const t = await setup();
    const first = await t.upload(shopify);
    expect((await t.start(first.id, 'run')).progress).toMatchObject({ created: 3, rejected: 5 });
    // One more order through the API, with a customer id and a channel; one without a shop id (not matched back).
    const api = await t.call('POST', '/orders', {
      externalId: 'API-1',
      customer: { email: 'zed@shop.example', externalId: 'C-9', name: 'Zed Ray' },
      placedAt: '2024-04-01T09:30:00Z',
      currency: 'EUR',
      channel: 'pos',
      status: 'paid',
      lines: [{ name: 'Gloves, leather', quantity: 3, unitPrice: '12.50' }],
      shipping: '4.00',
    });
    expect(api.status, api.body).toBe(201);

    const csv = await t.call('GET', '/orders/export?format=csv&sort=placed_at');
    expect(csv.status, csv.body).toBe(200);
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'externalId,customer.email,customer.externalId,customer.name,placedAt,status,currency,total,discount,tax,shipping,refunded,channel,line.sku,line.name,line.quantity,line.unitPrice,id,subtotal,net,note,createdAt,updatedAt',
    );
    // #1001 (two lines), #1002, #1008 (two lines), API-1: a row per line.
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['#1001', '#1001', '#1002', '#1008', '#1008', 'API-1']);
    expect(lines[3]).toContain(',partially_refunded,EUR,20.00,0.00,0.00,0.00,5.00,,SC-1,Scarf,1,20.00,');
    expect(lines[6]).toContain(
      'API-1,zed@shop.example,C-9,Zed Ray,2024-04-01T09:30:00.000Z,paid,EUR,41.50,0.00,0.00,4.00,0.00,pos,',
    );
    expect(lines[6]).toContain(',"Gloves, leather",3,12.50,');

    // The list's filter applies; JSON gives each order with its lines.
    const refunded = await t.call(
      'GET',
      `/orders/export?format=json&filter=${encodeURIComponent('status:in:partially_refunded')}`,
    );
    const json = JSON.parse(refunded.body) as OrderDto[];
    expect(json.map((o) => [o.externalId, o.refunded, o.lines?.map((l) => l.name)])).toEqual([
      ['#1002', '5.00', ['Scarf']],
    ]);
    expect((await t.call('GET', '/orders/export?filter=nope:eq:1')).status).toBe(400);

    // The export imports back: every column mapped by its name, nothing created or changed.
    const back = await t.upload(csv.body);
    expect(back.mappingProblems).toEqual([]);
    expect(back.mapping).toMatchObject({
      externalId: 'externalId',
      'customer.externalId': 'customer.externalId',
      'line.unitPrice': 'line.unitPrice',
      id: null,
      net: null,
      createdAt: null,
    });
    const again = await t.start(back.id, 'run');
    expect(again.progress).toMatchObject({ created: 0, updated: 0, unchanged: 4, rejected: 0 });
    expect(await t.count(orders)).toBe(4);
  });

  it('re-importing the same file changes nothing; a changed file updates, refunds and re-prices', async () => {
    const t = await setup();
    const csv = [
      'Order ID,Customer ID,Email,Customer Name,Order Date,Status,Total,SKU,Product,Qty,Price',
      'A-1,C-1,ann@x.example,Ann Lee,2024-01-10,paid,30.00,S1,Socks,3,10.00',
      'A-2,C-2,,Bob Stone,2024-01-11 09:30,placed,12.00,,Book,1,12.00',
      'A-3,C-1,ann@x.example,,2024-01-12,paid,8.00,,Mug,1,8.00',
    ].join('\n');
    const first = await t.start((await t.upload(csv)).id, 'run');
    expect(first.progress).toMatchObject({ created: 3, updated: 0, unchanged: 0, rejected: 0 });
    expect(await t.count(people)).toBe(2);
    const eventsBefore = await t.count(events, 'order.%');
    const personEventsBefore = await t.count(events, 'person.%');
    expect(eventsBefore).toBe(3 + 2); // three placed, two paid

    const again = await t.upload(csv);
    const dryAgain = await t.start(again.id, 'dry-run');
    expect(dryAgain.progress).toMatchObject({ created: 0, updated: 0, unchanged: 3, rejected: 0 });
    expect((await t.rows(again.id)).map((r) => r.action)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    const runAgain = await t.start(again.id, 'run');
    expect(runAgain.progress).toMatchObject({ created: 0, updated: 0, unchanged: 3, rejected: 0 });
    expect(await t.count(orders)).toBe(3);
    expect(await t.count(people)).toBe(2);
    expect(await t.count(events, 'order.%')).toBe(eventsBefore);
    expect(await t.count(events, 'person.%')).toBe(personEventsBefore);

    const changed = [
      'Order ID,Customer ID,Email,Customer Name,Order Date,Status,Total,SKU,Product,Qty,Price,Refunded',
      'A-1,C-1,ann@x.example,Ann Lee,2024-01-10,paid,30.00,S1,Socks,3,10.00,10.00',
      'A-2,C-2,,Bob Stone,2024-01-11 09:30,paid,24.00,,Book,2,12.00,',
      'A-3,C-1,ann@x.example,,2024-01-12,paid,8.00,,Mug,1,8.00,',
      'A-4,C-3,cy@x.example,Cy,2024-01-13,paid,5.00,,Pen,1,5.00,',
    ].join('\n');
    const imp = await t.upload(changed);
    const dry = await t.start(imp.id, 'dry-run');
    expect(dry.progress).toMatchObject({ created: 1, updated: 2, unchanged: 1, rejected: 0 });
    const report = await t.rows(imp.id);
    expect(report[0]?.details).toMatchObject({
      refunded: { from: '0.00', to: '10.00' },
      status: { from: 'paid', to: 'partially_refunded' },
    });
    expect(report[1]?.details).toMatchObject({
      changes: { total: { from: '12.00', to: '24.00' }, lines: { from: 1, to: 1 } },
      status: { from: 'placed', to: 'paid' },
    });
    await t.start(imp.id, 'run');
    expect(await t.order('A-1')).toMatchObject({ status: 'partially_refunded', refunded: '10.00' });
    const a2 = await t.order('A-2');
    expect(a2).toMatchObject({ status: 'paid', total: '24.00' });
    expect(a2.lines?.map((l) => [l.quantity, l.amount])).toEqual([[2, '24.00']]);
    const a2Events = (await t.call('GET', `/people/${a2.personId}/timeline?type=order.*`)).json() as {
      data: Array<{ type: string }>;
    };
    expect(a2Events.data.map((e) => e.type)).toEqual(['order.paid', 'order.updated', 'order.placed']);
    // Bob has no e-mail: found again by his customer id, not made twice.
    expect(await t.count(people)).toBe(3);

    // Refunds are not undone, and the order keeps what it has.
    const lower = await t.upload(changed.replace('10.00,10.00', '10.00,5.00'));
    const lowerRun = await t.start(lower.id, 'run');
    expect(lowerRun.progress).toMatchObject({ rejected: 1, unchanged: 3 });
    expect((await t.rows(lower.id, '&mode=run&action=rejected'))[0]?.summary).toBe(
      'column "Refunded": the order has 10.00 USD refunded already; refunds are not undone',
    );
  });

  it('finds customers as the commerce API does, and keeps workspaces apart', async () => {
    const t = await setup();
    const other = await setup();
    // In this workspace Ann exists without a customer id: she takes the shop's; Bob has another id: a new person.
    const ann = (await t.call('POST', '/people', { firstName: 'Ann', emails: ['ann@x.example'] })).json();
    const bob = (
      await t.call('POST', '/people', { firstName: 'Bob', emails: ['bob@x.example'], externalId: 'OTHER-9' })
    ).json();
    // The other workspace has the same people and an order with the same id: nothing there changes.
    await other.call('POST', '/people', { firstName: 'Ann', emails: ['ann@x.example'] });
    const theirs = await other.call('PUT', '/orders/by-external-id/O-1', {
      customer: { email: 'ann@x.example' },
      currency: 'USD',
      total: '99.00',
    });
    expect(theirs.status, theirs.body).toBe(201);
    // Dee's address is two people's: the older has another customer id, so the younger (none yet) takes C-4.
    const oldDee = (
      await t.call('POST', '/people', { firstName: 'Dee', emails: ['dee@x.example'], externalId: 'OTHER-4' })
    ).json();
    const dee = (await t.call('POST', '/people', { firstName: 'Dee B', emails: ['dee@x.example'] })).json();
    const csv =
      'order,customer id,email,total\nO-1,C-1,ann@x.example,10\nO-2,C-2,bob@x.example,20\nO-3,C-1,,30\nO-4,C-4,dee@x.example,40\n';
    const run = await t.start((await t.upload(csv)).id, 'run');
    expect(run.progress).toMatchObject({ created: 4, rejected: 0 });
    const list = await t.orderList('&sort=total');
    expect(list.map((o) => [o.externalId, o.personId === ann.id, o.personId === bob.id])).toEqual([
      ['O-1', true, false],
      ['O-2', false, false],
      ['O-3', true, false],
      ['O-4', false, false],
    ]);
    expect(list[3]?.personId).toBe(dee.id);
    expect((await t.call('GET', `/people/${String(dee.id)}`)).json()).toMatchObject({ externalId: 'C-4' });
    expect((await t.call('GET', `/people/${String(oldDee.id)}`)).json()).toMatchObject({ externalId: 'OTHER-4' });
    expect((await t.call('GET', `/people/${String(ann.id)}`)).json()).toMatchObject({ externalId: 'C-1' });
    const annTimeline = (await t.call('GET', `/people/${String(ann.id)}/timeline?type=person.*`)).json() as {
      data: Array<{ type: string; payload: Json }>;
    };
    expect(annTimeline.data[0]).toMatchObject({
      type: 'person.updated',
      payload: { changes: { externalId: { from: null, to: 'C-1' } } },
    });
    const newBob = list[1] as OrderDto;
    expect((await t.call('GET', `/people/${newBob.personId}`)).json()).toMatchObject({
      emails: ['bob@x.example'],
      externalId: 'C-2',
      source: 'order',
    });
    // The other workspace: its order and its Ann untouched, nobody added.
    expect(await other.order('O-1')).toMatchObject({ total: '99.00', currency: 'USD' });
    expect(await other.count(people)).toBe(1);
    expect(await other.count(orders)).toBe(1);
    // An import of one workspace is not reachable from another.
    const mine = await t.upload(csv);
    expect((await other.call('GET', `/imports/${mine.id}`)).status).toBe(404);
    expect((await other.call('POST', `/imports/${mine.id}/run`)).status).toBe(404);
  });

  it('refuses an order whose customer e-mail several people have, unless the customer id says who', async () => {
    const t = await setup();
    const person = async (input: Json) => {
      const r = await t.call('POST', '/people', input);
      expect(r.status, r.body).toBe(201);
      return String(r.json().id);
    };
    const first = await person({ firstName: 'Ana', emails: ['shared@x.example'] });
    const second = await person({ firstName: 'Ana B', emails: ['shared@x.example'] });
    const cal = await person({ firstName: 'Cal', emails: ['shared@x.example'], externalId: 'C-3' });
    // O-1: all three; O-2: nobody has C-1, and Cal has another id, so Ana and Ana B; O-3: Cal by his id.
    const imp = await t.upload(
      'order,customer id,email,total\nO-1,,shared@x.example,10\nO-2,C-1,SHARED@x.example,20\nO-3,C-3,shared@x.example,30\n',
    );
    const check = async (mode: 'dry_run' | 'run') => {
      const report = await t.rows(imp.id, `&mode=${mode}`);
      expect(report.map((r) => [r.row, r.action])).toEqual([
        [1, 'reject'],
        [2, 'reject'],
        [3, 'create'],
      ]);
      expect(report[0]?.summary).toBe(
        'column "email": 3 people have the e-mail address shared@x.example, so the row cannot say which one it means: merge them first',
      );
      expect(report[0]?.details).toMatchObject({
        reason: 'ambiguous_match',
        field: 'customer.email',
        value: 'shared@x.example',
        personIds: [first, second, cal],
        order: 'O-1',
      });
      expect(report[1]?.details).toMatchObject({ reason: 'ambiguous_match', personIds: [first, second] });
    };
    expect((await t.start(imp.id, 'dry-run')).progress).toMatchObject({ created: 1, rejected: 2 });
    await check('dry_run');
    expect((await t.start(imp.id, 'run')).progress).toMatchObject({ created: 1, rejected: 2 });
    await check('run');
    expect((await t.orderList()).map((o) => [o.externalId, o.personId])).toEqual([['O-3', cal]]);
    // Nobody made, nobody given the shop's id.
    expect(await t.count(people)).toBe(3);
    expect(await t.count(events, 'person.updated')).toBe(0);
    for (const id of [first, second]) expect((await t.call('GET', `/people/${id}`)).json().externalId).toBeNull();
  });

  it("keeps an order's rows in one batch, and refuses an order whose rows are apart", async () => {
    const t = await setup();
    const lines = ['order,email,total,product,qty,price'];
    // Orders of 1 to 4 lines, so that batches of 3 rows would cut through most of them.
    for (let o = 1; o <= 12; o++)
      for (let l = 0; l < (o % 4) + 1; l++) lines.push(`B-${o},c${o}@x.example,,item ${l},1,1.00`);
    const n = lines.length - 1;
    lines.push('B-1,c1@x.example,,late line,1,1.00');
    const imp = await t.upload(lines.join('\n'));
    const started = await t.call('POST', `/imports/${imp.id}/run`);
    expect(started.status).toBe(202);
    await runImport(ctx.database.db, t.ws.workspace.id, imp.id, { batchSize: 3 });
    await t.runJobs();
    const done = (await t.call('GET', `/imports/${imp.id}`)).json() as ImportDto;
    expect(done.progress).toMatchObject({ processedRows: n + 1, created: 12, rejected: 1 });
    const list = await t.orderList();
    expect(list).toHaveLength(12);
    for (let o = 1; o <= 12; o++) {
      const got = await t.order(`B-${o}`);
      expect(got.lines?.length, `B-${o}`).toBe((o % 4) + 1);
      expect(got.total).toBe(`${(o % 4) + 1}.00`);
    }
    const [late] = await t.rows(imp.id, '&mode=run&action=rejected');
    expect(late).toMatchObject({ row: n + 1, action: 'reject' });
    expect(late?.summary).toBe(
      'column "order": order "B-1" already came at row 1: the rows of an order must follow each other',
    );
  });
});
