import { describe, expect, it, vi } from 'vitest';
import { bearer, caller, sendInbound, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeApiKey, makeWorkspace } from '../../../test/factories.ts';
import { signWebhook } from '../../domain/webhooks.ts';

describe.each(testEngines())('web forms, the channel API and phone calls (%s)', (engine) => {
  const ctx = useTestApp(engine);

  async function setup() {
    const ws = await makeWorkspace(ctx.services);
    const key = await makeApiKey(ctx.services, ws);
    const call = caller(ctx.app, bearer(key));
    return { ws, call };
  }

  /** Sends to an API channel's inbound endpoint as its integration does: signed with its secret (or another). */
  const inbound =
    (channel: { id: string; secret: string }) =>
    (body: object, opts: { secret?: string; ts?: number } = {}) =>
      sendInbound(
        ctx.app,
        channel.id,
        opts.secret ?? channel.secret,
        body,
        opts.ts === undefined ? {} : { ts: opts.ts },
      );

  it('a contact form opens a ticket; bad input is shown on the form; the honeypot stores nothing', async () => {
    const { call } = await setup();
    const form = (await call('POST', '/api/v1/channels', { kind: 'form', name: 'Contact us' })).json();
    const page = await ctx.app.inject({ method: 'GET', url: `/forms/${form.id}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post"');
    // Made to be embedded in the company's site: any page may frame the form (the console still may not be framed).
    expect(page.headers['content-security-policy']).toContain('frame-ancestors *');
    expect(page.headers['content-security-policy']).not.toContain("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBeUndefined();
    const consolePage = await ctx.app.inject({ method: 'GET', url: '/api/v1/me' });
    expect(consolePage.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(consolePage.headers['x-frame-options']).toBe('SAMEORIGIN');

    const posted = await ctx.app.inject({
      method: 'POST',
      url: `/forms/${form.id}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload:
        'name=Rita+Lopes&email=rita%40example.pt&subject=Opening+hours&message=Are+you+open+on+Sunday%3F&website=',
    });
    expect(posted.statusCode).toBe(201);
    expect(posted.body).toMatch(/reference #\d+/);
    // The thanks shows in the same frame.
    expect(posted.headers['content-security-policy']).toContain('frame-ancestors *');
    expect(posted.headers['x-frame-options']).toBeUndefined();
    const list = (await call('GET', '/api/v1/tickets?queue=all')).json().data;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ subject: 'Opening hours', channel: 'form' });

    const missing = await ctx.app.inject({
      method: 'POST',
      url: `/forms/${form.id}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'name=No+Mail&message=hello',
    });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('role="alert"');
    expect(missing.body).toContain('value="No Mail"');

    const json = await ctx.app.inject({
      method: 'POST',
      url: `/forms/${form.id}`,
      payload: { email: 'not-an-address', message: 'x' },
    });
    expect(json.statusCode).toBe(400);
    expect(json.json().error.code).toBe('validation_failed');

    const bot = await ctx.app.inject({
      method: 'POST',
      url: `/forms/${form.id}`,
      payload: { email: 'bot@spam.example', message: 'cheap pills', website: 'http://spam.example' },
    });
    expect(bot.statusCode).toBe(201);
    expect((await call('GET', '/api/v1/tickets?queue=all')).json().data).toHaveLength(1);

    expect(
      (await ctx.app.inject({ method: 'GET', url: '/forms/00000000-0000-4000-8000-000000000000' })).statusCode,
    ).toBe(404);
    expect((await ctx.app.inject({ method: 'GET', url: '/forms/not-a-uuid' })).statusCode).toBe(404);
  });

  it('the channel API takes signed messages by thread, refuses bad signatures, and hands replies to webhooks', async () => {
    const { ws, call } = await setup();
    const channel = (await call('POST', '/api/v1/channels', { kind: 'api', name: 'WhatsApp bridge' })).json();
    expect(channel.secret).toBeTruthy();
    const send = inbound(channel);
    const first = await send({
      threadId: 'wa-351911',
      from: { phone: '+351 911 222 333', name: 'Ana' },
      text: 'Olá!',
      messageId: 'm1',
    });
    expect(first.statusCode, first.body).toBe(201);
    const again = await send({
      threadId: 'wa-351911',
      from: { phone: '+351911222333' },
      text: 'Is anyone there?',
      messageId: 'm2',
    });
    expect(again.json().ticketId).toBe(first.json().ticketId);
    const dup = await send({
      threadId: 'wa-351911',
      from: { phone: '+351911222333' },
      text: 'Is anyone there?',
      messageId: 'm2',
    });
    expect(dup.json()).toMatchObject({ duplicate: true });
    expect((await call('GET', `/api/v1/tickets/${first.json().ticketId}`)).json().messages).toHaveLength(2);

    expect(
      (await send({ threadId: 't', from: { phone: '+351911222333' }, text: 'x' }, { secret: 'wrong' })).statusCode,
    ).toBe(401);
    const stale = await send(
      { threadId: 't', from: { phone: '+351911222333' }, text: 'x' },
      { ts: Math.floor(Date.now() / 1000) - 3600 },
    );
    expect(stale.statusCode).toBe(401);
    expect((await send({ threadId: 't', from: {}, text: 'x' })).statusCode).toBe(400);
    // A message with nothing in it opens no ticket.
    for (const empty of [{}, { text: '   ' }, { html: '<p> </p>' }, { subject: 'Only a subject' }]) {
      const res = await send({ threadId: 'wa-empty', from: { phone: '+351911222333' }, ...empty });
      expect(res.statusCode, JSON.stringify(empty)).toBe(400);
      expect(res.json().error.code).toBe('validation_failed');
    }
    expect((await call('GET', '/api/v1/tickets?queue=all')).json().data).toHaveLength(1);

    const reply = await call('POST', `/api/v1/tickets/${first.json().ticketId}/replies`, {
      text: 'Olá Ana, como posso ajudar?',
    });
    expect(reply.statusCode).toBe(201);
    expect(reply.json().delivery).toBe('sent');
    const events = (await call('GET', '/api/v1/events?type=ticket.replied&limit=5')).json().data;
    expect(events[0].payload).toMatchObject({
      channel: 'api',
      externalThreadId: 'wa-351911',
      text: 'Olá Ana, como posso ajudar?',
    });
    void ws;
  });

  it('the channel API takes files with a message and hands a reply’s files to webhooks', async () => {
    const { call } = await setup();
    const channel = (await call('POST', '/api/v1/channels', { kind: 'api', name: 'Messenger bridge' })).json();
    const send = inbound(channel);
    // A photo alone is a message; 300 KB of file is more than the form's 256 KB body but within the file limit.
    const photo = Buffer.alloc(300 * 1024, 7);
    const sent = await send({
      threadId: 'fb-77',
      from: { email: 'lea@example.fr', name: 'Léa' },
      attachments: [
        { fileName: 'broken-lamp.jpg', contentType: 'image/jpeg', contentBase64: photo.toString('base64') },
      ],
    });
    expect(sent.statusCode, sent.body).toBe(201);
    const detail = (await call('GET', `/api/v1/tickets/${sent.json().ticketId}`)).json();
    const file = detail.messages[0].attachments[0];
    expect(file).toMatchObject({ fileName: 'broken-lamp.jpg', contentType: 'image/jpeg', size: photo.length });
    const download = await call('GET', file.url);
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(photo)).toBe(true);

    // Over the attachment limit: refused, nothing stored.
    vi.stubEnv('RAPPORT_ATTACHMENT_MAX_BYTES', String(100 * 1024));
    try {
      const big = await send({
        threadId: 'fb-77',
        from: { email: 'lea@example.fr' },
        text: 'And the receipt',
        attachments: [{ fileName: 'receipt.pdf', contentBase64: photo.toString('base64') }],
      });
      expect(big.statusCode).toBe(413);
      expect(big.json().error).toMatchObject({
        code: 'payload_too_large',
        details: { field: 'attachments', refused: [{ fileName: 'receipt.pdf', size: photo.length }] },
      });
    } finally {
      vi.unstubAllEnvs();
    }
    expect((await call('GET', `/api/v1/tickets/${sent.json().ticketId}`)).json().messages).toHaveLength(1);
    const bad = await send({
      threadId: 'fb-77',
      from: { email: 'lea@example.fr' },
      attachments: [{ fileName: 'x.bin', contentBase64: 'not base64!' }],
    });
    expect(bad.statusCode).toBe(400);
    // A large body is for a live channel with a current timestamp only: checked before the body is read.
    const large = JSON.stringify({ threadId: 'x', from: { email: 'a@b.example' }, text: 'x'.repeat(2_000_000) });
    const ts = Math.floor(Date.now() / 1000);
    const nowhere = await ctx.app.inject({
      method: 'POST',
      url: '/inbound/00000000-0000-4000-8000-000000000000',
      headers: { 'content-type': 'application/json', 'rapport-timestamp': String(ts) },
      payload: large,
    });
    expect(nowhere.statusCode).toBe(404);
    const stale = await ctx.app.inject({
      method: 'POST',
      url: `/inbound/${channel.id}`,
      headers: {
        'content-type': 'application/json',
        'rapport-timestamp': String(ts - 3600),
        'rapport-signature': signWebhook(channel.secret, ts - 3600, large),
      },
      payload: large,
    });
    expect(stale.statusCode).toBe(401);
    expect(stale.json().error.code).toBe('unauthenticated');

    // The agent's reply with a file: the integration's webhook event lists it with a download link.
    const answer = Buffer.from('%PDF-1.4 return label');
    const reply = await call('POST', `/api/v1/tickets/${sent.json().ticketId}/replies`, {
      text: 'Here is your return label.',
      attachments: [
        { fileName: 'label.pdf', contentType: 'application/pdf', contentBase64: answer.toString('base64') },
      ],
    });
    expect(reply.statusCode, reply.body).toBe(201);
    const event = (await call('GET', '/api/v1/events?type=ticket.replied&limit=5')).json().data[0];
    expect(event.payload).toMatchObject({
      channel: 'api',
      externalThreadId: 'fb-77',
      text: 'Here is your return label.',
      attachments: [{ fileName: 'label.pdf', contentType: 'application/pdf', size: answer.length }],
    });
    const label = await call('GET', event.payload.attachments[0].url);
    expect(label.statusCode).toBe(200);
    expect(label.rawPayload.equals(answer)).toBe(true);
  });

  it('logs phone calls from a phone system on the caller’s ticket', async () => {
    const { call } = await setup();
    await call('PATCH', '/api/v1/workspace', { defaultCountry: 'PT' });
    const started = await call('POST', '/api/v1/calls', {
      callId: 'c-1001',
      event: 'started',
      direction: 'inbound',
      customerPhone: '912 345 678',
      customerName: 'Joana Reis',
    });
    expect(started.statusCode, started.body).toBe(201);
    const ended = await call('POST', '/api/v1/calls', {
      callId: 'c-1001',
      event: 'ended',
      direction: 'inbound',
      customerPhone: '912 345 678',
      durationSeconds: 252,
      outcome: 'resolved',
      recordingUrl: 'https://pbx.example/rec/c-1001.mp3',
    });
    expect(ended.json().ticket.id).toBe(started.json().ticket.id);
    const detail = (await call('GET', `/api/v1/tickets/${started.json().ticket.id}`)).json();
    expect(detail.channel).toBe('phone');
    expect(detail.person.phones).toEqual(['+351912345678']);
    expect(detail.messages.map((m: { bodyText: string }) => m.bodyText)).toEqual([
      'Call from Joana Reis (912 345 678) started',
      'Call from 912 345 678 ended after 4 min 12 s — resolved\nRecording: https://pbx.example/rec/c-1001.mp3',
    ]);
    expect(detail.messages[1].meta.call).toMatchObject({ durationSeconds: 252, outcome: 'resolved' });

    const out = await call('POST', '/api/v1/calls', {
      callId: 'c-2002',
      event: 'ended',
      direction: 'outbound',
      customerPhone: '+351912345678',
      durationSeconds: 60,
      outcome: 'left voicemail',
    });
    expect(out.statusCode).toBe(201);
    expect(out.json().message.direction).toBe('outbound');
    expect(out.json().ticket.personId).toBe(detail.person.id);
    expect(out.json().ticket.firstResponseAt).not.toBeNull();

    const bad = await call('POST', '/api/v1/calls', {
      callId: 'x',
      event: 'rang',
      direction: 'inbound',
      customerPhone: '1',
    });
    expect(bad.statusCode).toBe(400);
  });
});
