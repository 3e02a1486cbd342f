import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, caller, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace, type TestWorkspace } from '../../../test/factories.ts';
import { startInboundSmtp, type InboundSmtp } from './email.inbound.ts';
import { deliverEmail } from './email.outbound.ts';

/** A real SMTP server standing in for the outside world's mail servers: it keeps what it is sent. */
async function startSink(): Promise<{ port: number; mails: ParsedMail[]; close(): Promise<void> }> {
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (m) => {
          mails.push(m);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type Sent = { ok: true; messageId: string } | { ok: false; code: number | undefined; message: string };

describe.each(testEngines())('e-mail channel, real SMTP both ways (%s)', (engine) => {
  const ctx = useTestApp(engine);
  let sink: Awaited<ReturnType<typeof startSink>>;
  let inbound: InboundSmtp;
  let ws: TestWorkspace;
  let key: string;
  let support: string;

  async function send(mail: Mail.Options, port = inbound.port): Promise<Sent> {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    try {
      const info = await t.sendMail(mail);
      return { ok: true, messageId: info.messageId };
    } catch (err) {
      const e = err as { responseCode?: number; message: string };
      return { ok: false, code: e.responseCode, message: e.message };
    } finally {
      t.close();
    }
  }

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    ctx.app.inject({ method, url, headers: bearer(key), ...(payload === undefined ? {} : { payload }) });

  async function ticketsOf(): Promise<Array<{ id: string; number: number; status: string; personId: string }>> {
    const res = await api('GET', '/api/v1/tickets?limit=50');
    expect(res.statusCode).toBe(200);
    return res.json().data;
  }

  beforeAll(async () => {
    sink = await startSink();
    inbound = await startInboundSmtp({
      db: ctx.database.db,
      tickets: ctx.services.tickets,
      port: 0,
      host: '127.0.0.1',
      maxBytes: 2 * 1024 * 1024,
      logger: { info: () => undefined, warn: (o, m) => console.error(m, o) },
    });
    ws = await makeWorkspace(ctx.services);
    key = await makeApiKey(ctx.services, ws);
    support = `support-${ws.workspace.slug}@acme.test`;
    const res = await api('POST', '/api/v1/channels', {
      kind: 'email',
      name: 'Support',
      address: support.toUpperCase(),
      settings: { smtpUrl: `smtp://127.0.0.1:${sink.port}?ignoreTLS=true`, fromName: 'Acme Support' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().address).toBe(support);
  });

  afterAll(async () => {
    await inbound?.close();
    await sink?.close();
  });

  it('a mail opens a ticket for the right person; the reply leaves threaded; the answer joins the same ticket', async () => {
    const person = await api('POST', '/api/v1/people', {
      firstName: 'Amara',
      lastName: 'Okafor',
      emails: ['amara@example.com'],
    });
    expect(person.statusCode).toBe(201);
    const personId: string = person.json().id;

    const first = await send({
      from: '"Amara Okafor" <Amara@Example.com>',
      to: support,
      subject: 'Order 1042 arrived damaged',
      messageId: '<first-1042@mail.example.com>',
      text: 'The box was crushed and the mug is broken.',
      html: '<p onclick="steal()">The box was <b>crushed</b><script>alert(1)</script></p><img src="https://track.example/p.gif">',
      attachments: [{ filename: 'photo.jpg', content: Buffer.from('jpeg-bytes-here'), contentType: 'image/jpeg' }],
    });
    expect(first.ok).toBe(true);

    const list = await ticketsOf();
    expect(list).toHaveLength(1);
    const ticket = list[0];
    if (!ticket) throw new Error('no ticket');
    expect(ticket.personId).toBe(personId);
    expect(ticket.status).toBe('new');

    const detail = (await api('GET', `/api/v1/tickets/${ticket.id}`)).json();
    expect(detail.subject).toBe('Order 1042 arrived damaged');
    expect(detail.channel).toBe('email');
    expect(detail.messages).toHaveLength(1);
    const inboundMsg = detail.messages[0];
    expect(inboundMsg.direction).toBe('inbound');
    expect(inboundMsg.emailMessageId).toBe('first-1042@mail.example.com');
    expect(inboundMsg.bodyText).toContain('mug is broken');
    expect(inboundMsg.bodyHtml).toContain('<b>crushed</b>');
    expect(inboundMsg.bodyHtml).not.toMatch(/script|onclick|alert/);
    expect(inboundMsg.attachments).toHaveLength(1);
    const file = await api('GET', inboundMsg.attachments[0].url);
    expect(file.statusCode).toBe(200);
    expect(file.body).toBe('jpeg-bytes-here');
    expect(file.headers['content-disposition']).toContain('attachment');

    const timeline = (await api('GET', `/api/v1/people/${personId}/timeline?limit=50`)).json();
    const types = timeline.data.map((e: { type: string }) => e.type);
    expect(types).toContain('ticket.created');
    expect(types).toContain('ticket.message_received');

    // The agent answers and sets the ticket to pending (waiting on the customer).
    const reply = await api('POST', `/api/v1/tickets/${ticket.id}/replies`, {
      text: 'Sorry about that! A new mug is on its way.',
      status: 'pending',
    });
    expect(reply.statusCode).toBe(201);
    const replyMsg = reply.json();
    expect(replyMsg.delivery).toBe('queued');
    await deliverEmail(ctx.database.db, ws.workspace.id, replyMsg.id, 1, ctx.dataDir);

    expect(sink.mails).toHaveLength(1);
    const out = sink.mails[0];
    if (!out) throw new Error('nothing sent');
    expect(out.messageId).toBe(`<${replyMsg.emailMessageId}>`);
    expect(out.inReplyTo).toBe('<first-1042@mail.example.com>');
    expect([out.references].flat()).toContain('<first-1042@mail.example.com>');
    expect(out.subject).toBe(`Re: Order 1042 arrived damaged [#${ticket.number}]`);
    expect(out.from?.value[0]).toMatchObject({ address: support, name: 'Acme Support' });
    expect(out.to && !Array.isArray(out.to) ? out.to.value[0]?.address : null).toBe('amara@example.com');
    expect(out.text?.trim()).toBe('Sorry about that! A new mug is on its way.');
    const sent = (await api('GET', `/api/v1/tickets/${ticket.id}`)).json();
    expect(sent.status).toBe('pending');
    expect(sent.firstResponseAt).not.toBeNull();
    expect(sent.messages[1].delivery).toBe('sent');

    // The customer's mail client answers with In-Reply-To and References: same ticket, back to open.
    const answer = await send({
      from: 'amara@example.com',
      to: support,
      subject: out.subject,
      messageId: '<answer-2@mail.example.com>',
      inReplyTo: out.messageId,
      references: ['<first-1042@mail.example.com>', out.messageId ?? ''],
      text: 'Thank you! Should I send the broken one back?',
    });
    expect(answer.ok).toBe(true);
    expect(await ticketsOf()).toHaveLength(1);
    const after = (await api('GET', `/api/v1/tickets/${ticket.id}`)).json();
    expect(after.messages).toHaveLength(3);
    expect(after.status).toBe('open');

    // A client that drops the threading headers still lands by the [#number] in the subject.
    const bare = await send({
      from: 'amara@example.com',
      to: support,
      subject: `Re: Order 1042 arrived damaged [#${ticket.number}]`,
      text: 'Also, the saucer is chipped.',
    });
    expect(bare.ok).toBe(true);
    expect(await ticketsOf()).toHaveLength(1);
    expect((await api('GET', `/api/v1/tickets/${ticket.id}`)).json().messages).toHaveLength(4);

    // The same mail delivered twice is stored once.
    await send({
      from: 'amara@example.com',
      to: support,
      subject: 'Re: again',
      messageId: '<answer-2@mail.example.com>',
      text: 'Thank you! Should I send the broken one back?',
    });
    expect((await api('GET', `/api/v1/tickets/${ticket.id}`)).json().messages).toHaveLength(4);
  });

  it('a new sender becomes a person; a stranger subject with someone else’s ticket number opens a new ticket', async () => {
    const before = (await ticketsOf()).length;
    const r = await send({
      from: 'New Customer <newbie@example.org>',
      to: support,
      subject: 'Hello [#1]',
      text: 'Do you ship to Chile?',
    });
    expect(r.ok).toBe(true);
    const list = await ticketsOf();
    expect(list).toHaveLength(before + 1);
    const people = (await api('GET', '/api/v1/people?filter=email:eq:newbie@example.org')).json();
    expect(people.data).toHaveLength(1);
    expect(people.data[0]).toMatchObject({ firstName: 'New', lastName: 'Customer', source: 'email' });
    expect(list.some((x) => x.personId === people.data[0].id)).toBe(true);
  });

  it('auto-replies and bounces open no ticket, never reopen one, and are recorded', async () => {
    const before = (await ticketsOf()).length;
    const ooo = await send({
      from: 'someone@example.net',
      to: support,
      subject: 'Out of office',
      headers: { 'Auto-Submitted': 'auto-replied' },
      text: 'I am away until Monday.',
    });
    expect(ooo.ok).toBe(true);
    const bounce = await send({
      from: 'MAILER-DAEMON@mx.example.net',
      to: support,
      subject: 'Undelivered Mail Returned to Sender',
      text: 'Delivery failed.',
    });
    expect(bounce.ok).toBe(true);
    // Mail the desk sent itself (its own address; one of its replies come back) would loop: no ticket either.
    const self = await send({ from: support, to: support, subject: 'Hello', text: 'From ourselves.' });
    expect(self.ok).toBe(true);
    const echo = await send({
      from: 'relay@example.net',
      to: support,
      subject: 'Re: Your order [#1]',
      headers: { 'X-Rapport-Ticket': '1' },
      text: 'Came back.',
    });
    expect(echo.ok).toBe(true);
    expect(await ticketsOf()).toHaveLength(before);
    const events = (await api('GET', '/api/v1/events?type=channel.message_ignored&limit=10')).json();
    const reasons = events.data.map((e: { payload: { reason: string } }) => e.payload.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        'Auto-Submitted: auto-replied',
        'sender mailer-daemon@mx.example.net',
        `sent from this channel's own address (${support})`,
        'a reply Rapport sent (X-Rapport-Ticket)',
      ]),
    );
  });

  it('refuses mail for unknown addresses (550) and mail over the size limit (552), storing nothing', async () => {
    const before = (await ticketsOf()).length;
    const unknown = await send({ from: 'a@example.com', to: 'nobody@nowhere.test', subject: 'x', text: 'x' });
    expect(unknown).toMatchObject({ ok: false, code: 550 });
    const huge = await send({
      from: 'a@example.com',
      to: support,
      subject: 'Big',
      text: 'see attached',
      attachments: [{ filename: 'big.bin', content: Buffer.alloc(3 * 1024 * 1024, 7) }],
    });
    expect(huge).toMatchObject({ ok: false, code: 552 });
    expect(huge.ok ? '' : huge.message).toMatch(/too big/i);
    expect(await ticketsOf()).toHaveLength(before);
  });

  it('keeps a message whose attachment is over the attachment limit, and says which file was left out', async () => {
    const old = process.env.RAPPORT_ATTACHMENT_MAX_BYTES;
    process.env.RAPPORT_ATTACHMENT_MAX_BYTES = '1000';
    try {
      const r = await send({
        from: 'files@example.com',
        to: support,
        subject: 'Invoice and scan',
        text: 'Two files.',
        attachments: [
          { filename: 'small.txt', content: 'tiny' },
          { filename: 'scan.pdf', content: Buffer.alloc(5000, 1), contentType: 'application/pdf' },
        ],
      });
      expect(r.ok).toBe(true);
    } finally {
      if (old === undefined) delete process.env.RAPPORT_ATTACHMENT_MAX_BYTES;
      else process.env.RAPPORT_ATTACHMENT_MAX_BYTES = old;
    }
    const t = (await api('GET', `/api/v1/tickets?q=${encodeURIComponent('Invoice and scan')}`)).json().data[0];
    const m = (await api('GET', `/api/v1/tickets/${t.id}`)).json().messages[0];
    expect(m.attachments.map((a: { fileName: string }) => a.fileName)).toEqual(['small.txt']);
    expect(m.meta.refusedAttachments).toEqual([
      expect.objectContaining({ fileName: 'scan.pdf', size: 5000, reason: expect.stringContaining('limit') }),
    ]);
  });

  it('stores malformed MIME as well as it can instead of failing', async () => {
    const raw = [
      'From: broken@example.com',
      `To: ${support}`,
      'Subject: =?utf-8?B?not-base64!!?=',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="never-closed"',
      '',
      '--never-closed',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Caf=C3=A9 order =ZZ broken escape',
      '--never-closed',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      '',
      '@@@not base64@@@',
      '',
    ].join('\r\n');
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: inbound.port, secure: false, ignoreTLS: true });
    await t.sendMail({ envelope: { from: 'broken@example.com', to: [support] }, raw });
    t.close();
    const people = (await api('GET', '/api/v1/people?filter=email:eq:broken@example.com')).json();
    expect(people.data).toHaveLength(1);
    const list = (await api('GET', `/api/v1/tickets?filter=person_id:eq:${people.data[0].id}`)).json();
    expect(list.data).toHaveLength(1);
    const m = (await api('GET', `/api/v1/tickets/${list.data[0].id}`)).json().messages[0];
    expect(m.bodyText).toContain('Café order');
  });

  it("an agent's reply carries attachments: stored, listed, downloadable, and sent with the mail", async () => {
    const first = await send({
      from: 'files-out@example.com',
      to: support,
      subject: 'Need the invoice',
      messageId: '<need-invoice@mail.example.com>',
      text: 'Could you send me the invoice for order 77?',
    });
    expect(first.ok).toBe(true);
    const t = (await api('GET', `/api/v1/tickets?q=${encodeURIComponent('Need the invoice')}`)).json().data[0];
    const pdf = Buffer.from('%PDF-1.4 invoice 77 \u00e9\u00e8', 'utf8');
    const csv = Buffer.from('line,amount\n1,9.99\n');
    const before = sink.mails.length;

    const reply = await api('POST', `/api/v1/tickets/${t.id}/replies`, {
      text: 'Here it is, with the lines as a spreadsheet.',
      attachments: [
        { fileName: 'invoice-77.pdf', contentType: 'application/pdf', contentBase64: pdf.toString('base64') },
        { fileName: '../lines.csv', contentBase64: csv.toString('base64') },
      ],
    });
    expect(reply.statusCode, reply.body).toBe(201);
    const sent = reply.json();
    expect(
      sent.attachments.map((a: { fileName: string; contentType: string; size: number }) => [
        a.fileName,
        a.contentType,
        a.size,
      ]),
    ).toEqual([
      ['invoice-77.pdf', 'application/pdf', pdf.length],
      ['lines.csv', 'application/octet-stream', csv.length],
    ]);
    // Listed on the ticket like an inbound file, and downloadable.
    const listed = (await api('GET', `/api/v1/tickets/${t.id}`)).json().messages[1];
    expect(listed.id).toBe(sent.id);
    expect(listed.attachments).toEqual(sent.attachments);
    const file = await api('GET', sent.attachments[0].url);
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(pdf)).toBe(true);
    // Served as a download (never rendered in the console's origin), whatever its type.
    expect(file.headers['content-disposition']).toBe("attachment; filename*=UTF-8''invoice-77.pdf");

    await deliverEmail(ctx.database.db, ws.workspace.id, sent.id, 1, ctx.dataDir);
    expect(sink.mails).toHaveLength(before + 1);
    const out = sink.mails.at(-1);
    expect(out?.inReplyTo).toBe('<need-invoice@mail.example.com>');
    expect(out?.attachments.map((a) => [a.filename, a.content.toString('base64')])).toEqual([
      ['invoice-77.pdf', pdf.toString('base64')],
      ['lines.csv', csv.toString('base64')],
    ]);
    expect(out?.attachments[0]?.contentType).toBe('application/pdf');
  });

  it('refuses a reply with a file over the attachment limit (413) or that is not base64 (400), storing nothing', async () => {
    await send({ from: 'too-big@example.com', to: support, subject: 'Big files', text: 'Send me everything.' });
    const t = (await api('GET', `/api/v1/tickets?q=${encodeURIComponent('Big files')}`)).json().data[0];
    const old = process.env.RAPPORT_ATTACHMENT_MAX_BYTES;
    process.env.RAPPORT_ATTACHMENT_MAX_BYTES = '1000';
    try {
      const big = await api('POST', `/api/v1/tickets/${t.id}/replies`, {
        text: 'Attached.',
        attachments: [
          { fileName: 'small.txt', contentBase64: Buffer.from('tiny').toString('base64') },
          { fileName: 'scan.pdf', contentBase64: Buffer.alloc(5000, 1).toString('base64') },
        ],
      });
      expect(big.statusCode, big.body).toBe(413);
      expect(big.json().error).toMatchObject({
        code: 'payload_too_large',
        message: expect.stringContaining('scan.pdf'),
        details: { field: 'attachments', limitBytes: 1000, refused: [{ fileName: 'scan.pdf', size: 5000 }] },
      });
    } finally {
      if (old === undefined) delete process.env.RAPPORT_ATTACHMENT_MAX_BYTES;
      else process.env.RAPPORT_ATTACHMENT_MAX_BYTES = old;
    }
    const garbled = await api('POST', `/api/v1/tickets/${t.id}/replies`, {
      text: 'Attached.',
      attachments: [{ fileName: 'x.txt', contentBase64: 'not base64 at all!' }],
    });
    expect(garbled.statusCode).toBe(400);
    expect(garbled.json().error.code).toBe('validation_failed');
    expect((await api('GET', `/api/v1/tickets/${t.id}`)).json().messages).toHaveLength(1);
  });

  it('marks a reply failed with a plain reason when no outgoing server is configured', async () => {
    const other = await makeWorkspace(ctx.services);
    const otherKey = await makeApiKey(ctx.services, other);
    const call = caller(ctx.app, bearer(otherKey));
    const ch = await call('POST', '/api/v1/channels', {
      kind: 'email',
      name: 'Help',
      address: `help-${other.workspace.slug}@acme.test`,
    });
    expect(ch.statusCode).toBe(201);
    const created = await call('POST', '/api/v1/tickets', {
      subject: 'Call back please',
      requester: { email: 'caller@example.com', name: 'Cal Ler' },
      channel: 'phone',
      text: 'Called about the invoice.',
    });
    expect(created.statusCode).toBe(201);
    const old = process.env.RAPPORT_SMTP_URL;
    delete process.env.RAPPORT_SMTP_URL;
    try {
      // The agent replies and waits on the customer (pending): the customer will never get it.
      const reply = await call('POST', `/api/v1/tickets/${created.json().id}/replies`, {
        text: 'We will call you at 3.',
        status: 'pending',
      });
      expect(reply.statusCode).toBe(201);
      expect((await call('GET', `/api/v1/tickets/${created.json().id}`)).json().status).toBe('pending');
      await deliverEmail(ctx.database.db, other.workspace.id, reply.json().id, 1, ctx.dataDir);
      // A job delivered at least once runs again: nothing changes a second time.
      await deliverEmail(ctx.database.db, other.workspace.id, reply.json().id, 2, ctx.dataDir);
    } finally {
      if (old !== undefined) process.env.RAPPORT_SMTP_URL = old;
    }
    const detail = (await call('GET', `/api/v1/tickets/${created.json().id}`)).json();
    const m = detail.messages[1];
    expect(m.delivery).toBe('failed');
    expect(m.deliveryError).toMatch(/no outgoing mail server/);
    // Back in the agents' queues, and the customer's timeline says why.
    expect(detail.status).toBe('open');
    const timeline = (await call('GET', `/api/v1/people/${detail.personId}/timeline?limit=50`)).json();
    const types = timeline.data.map((e: { type: string }) => e.type);
    expect(types.filter((t: string) => t === 'ticket.reply_undelivered')).toHaveLength(1);
    const undelivered = timeline.data.find((e: { type: string }) => e.type === 'ticket.reply_undelivered');
    expect(undelivered.payload).toMatchObject({ messageId: m.id, preview: 'We will call you at 3.' });
    expect(undelivered.payload.reason).toMatch(/no outgoing mail server/);
    const reopened = timeline.data.filter(
      (e: { type: string; payload: { reason?: string } }) =>
        e.type === 'ticket.status_changed' && e.payload.reason === 'reply not delivered',
    );
    expect(reopened).toHaveLength(1);
    expect(reopened[0].payload).toMatchObject({ from: 'pending', to: 'open' });
  });

  it('refuses a second channel with an address that already receives mail', async () => {
    const other = await makeWorkspace(ctx.services);
    const otherKey = await makeApiKey(ctx.services, other);
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/channels',
      headers: bearer(otherKey),
      payload: { kind: 'email', name: 'Stolen', address: support },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('conflict');
  });
});
