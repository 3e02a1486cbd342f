import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { dovecotSkip, startDovecot, type Dovecot } from '../../../test/dovecot.ts';
import { makeApiKey, makeWorkspace, type TestWorkspace } from '../../../test/factories.ts';
import { jobs } from '../../db/schema/index.ts';
import { jobDefinitions } from '../../jobs/definitions.ts';
import { JobRunner } from '../../jobs/queue.ts';
import { findJob } from '../jobs/jobs.repository.ts';
import { claimImapPoll, findImapState, updateImapState } from './channels.repository.ts';
import { enqueueDueImapPolls, imapPollJobName } from './email.imap.ts';

const support = { user: 'support', password: 'mailbox-secret-1' };

/** A raw RFC 822 message with CRLF line ends. */
function mail(h: Record<string, string>, body: string): string {
  return `${Object.entries(h)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n${body.replace(/\r?\n/g, '\r\n')}\r\n`;
}

describe.skipIf(dovecotSkip).each(testEngines())('e-mail channel, IMAP polling of a real Dovecot (%s)', (engine) => {
  const ctx = useTestApp(engine);
  let dovecot: Dovecot;
  let ws: TestWorkspace;
  let key: string;
  let channelId: string;

  const api = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    ctx.app.inject({ method, url, headers: bearer(key), ...(payload === undefined ? {} : { payload }) });
  const poll = () => api('POST', `/api/v1/channels/${channelId}/imap/poll`);
  const channel = async () => (await api('GET', `/api/v1/channels/${channelId}`)).json();
  const tickets = async (): Promise<Array<{ id: string; number: number; personId: string; subject: string }>> =>
    (await api('GET', '/api/v1/tickets?limit=100')).json().data;
  const inbox = (mailbox = 'INBOX') => dovecot.messages(support, mailbox);

  beforeAll(async () => {
    dovecot = await startDovecot([support, { user: 'other', password: 'other-secret' }]);
    ws = await makeWorkspace(ctx.services);
    key = await makeApiKey(ctx.services, ws);
    const res = await api('POST', '/api/v1/channels', {
      kind: 'email',
      name: 'Support',
      address: `support-${ws.workspace.slug}@acme.test`,
      settings: {
        imap: {
          host: dovecot.host,
          port: dovecot.port,
          security: 'none',
          user: support.user,
          password: support.password,
        },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    channelId = res.json().id;
  }, 30_000);

  afterAll(async () => {
    await dovecot?.stop();
  });

  it('keeps the password to itself and refuses bad settings with the problems named', async () => {
    const res = await api('GET', `/api/v1/channels/${channelId}`);
    expect(res.body).not.toContain(support.password);
    expect(res.json().settings.imap).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: dovecot.port,
      security: 'none',
      user: 'support',
      passwordSet: true,
      mailbox: 'INBOX',
      afterImport: 'seen',
      moveTo: null,
      pollIntervalSeconds: 60,
    });
    expect(res.json().imapStatus).toBeNull(); // never polled
    const list = await api('GET', '/api/v1/channels');
    expect(list.body).not.toContain(support.password);

    const cases: Array<[object, string]> = [
      [{ port: 70000 }, 'settings.imap.port'],
      [{ pollIntervalSeconds: 10 }, 'settings.imap.pollIntervalSeconds'],
      [{ afterImport: 'move' }, 'settings.imap.moveTo'],
      [{ afterImport: 'move', moveTo: 'INBOX' }, 'settings.imap.moveTo'],
      [{ host: 'bad host name' }, 'settings.imap.host'],
      [{ security: 'ssl3' }, 'settings.imap.security'],
    ];
    for (const [imap, field] of cases) {
      const bad = await api('PATCH', `/api/v1/channels/${channelId}`, { settings: { imap } });
      expect(bad.statusCode, JSON.stringify(imap)).toBe(400);
      expect(bad.json().error.code).toBe('validation_failed');
      expect(bad.json().error.details.problems.map((p: { path: string }) => p.path)).toContain(field);
    }
    const noPassword = await api('POST', '/api/v1/channels', {
      kind: 'email',
      name: 'Second',
      address: `second-${ws.workspace.slug}@acme.test`,
      settings: { imap: { host: 'imap.example.com', user: 'x' } },
    });
    expect(noPassword.statusCode).toBe(400);
    expect(noPassword.json().error.details.problems.map((p: { path: string }) => p.path)).toEqual([
      'settings.imap.password',
    ]);
    const chat = await api('POST', '/api/v1/channels', {
      kind: 'chat',
      name: 'Chat',
      settings: { imap: { host: 'imap.example.com', user: 'x', password: 'y' } },
    });
    expect(chat.statusCode).toBe(400);
    // Nothing of that was stored.
    expect((await channel()).settings.imap.port).toBe(dovecot.port);
  });

  it('tests the connection: stored settings, unsaved ones, a wrong password and a closed port', async () => {
    const ok = await api('POST', `/api/v1/channels/${channelId}/imap/test`);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ ok: true, mailbox: 'INBOX', messages: 0 });

    const other = await api('POST', `/api/v1/channels/${channelId}/imap/test`, {
      user: 'other',
      password: 'other-secret',
    });
    expect(other.statusCode, other.body).toBe(200);

    const wrong = await api('POST', `/api/v1/channels/${channelId}/imap/test`, { password: 'not-it' });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().error.code).toBe('imap_auth_failed');
    expect(wrong.json().error.message).toMatch(/refused the user name or password/);

    const missing = await api('POST', `/api/v1/channels/${channelId}/imap/test`, { mailbox: 'Nope' });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().error.code).toBe('imap_mailbox_missing');

    const closed = await api('POST', `/api/v1/channels/${channelId}/imap/test`, { port: 1 });
    expect(closed.statusCode).toBe(422);
    expect(closed.json().error.code).toBe('imap_unreachable');
    expect(closed.json().error.message).toMatch(/refused the connection/);

    // Testing changes nothing.
    expect((await channel()).settings.imap).toMatchObject({ user: 'support', port: dovecot.port });
  });

  it('imports new mail into tickets once, marks it seen, threads replies and keeps auto-replies out', async () => {
    const person = await api('POST', '/api/v1/people', {
      firstName: 'Amara',
      lastName: 'Okafor',
      emails: ['amara@example.com'],
    });
    expect(person.statusCode).toBe(201);
    // Mail read in the mailbox before Rapport was connected is not imported.
    await dovecot.append(support, mail({ From: 'old@example.com', Subject: 'Old news' }, 'Read long ago.'), {
      flags: ['\\Seen'],
    });
    const boundary = 'b-1042';
    await dovecot.append(
      support,
      mail(
        {
          From: '"Amara Okafor" <Amara@Example.com>',
          To: `support-${ws.workspace.slug}@acme.test`,
          Subject: 'Order 1042 arrived damaged',
          'Message-ID': '<imap-first-1042@mail.example.com>',
          Date: new Date().toUTCString(),
          'MIME-Version': '1.0',
          'Content-Type': `multipart/mixed; boundary="${boundary}"`,
        },
        [
          `--${boundary}`,
          'Content-Type: text/html; charset=utf-8',
          '',
          '<p onclick="steal()">The box was <b>crushed</b><script>alert(1)</script></p>',
          `--${boundary}`,
          'Content-Type: image/jpeg; name="photo.jpg"',
          'Content-Disposition: attachment; filename="photo.jpg"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('jpeg-bytes-here').toString('base64'),
          `--${boundary}--`,
        ].join('\n'),
      ),
    );

    const first = await poll();
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ fetched: 1, created: 1, appended: 0, ignored: 0, unreadable: 0, more: false });
    const list = await tickets();
    expect(list).toHaveLength(1);
    const ticket = list[0];
    if (!ticket) throw new Error('no ticket');
    expect(ticket.personId).toBe(person.json().id);
    const detail = (await api('GET', `/api/v1/tickets/${ticket.id}`)).json();
    expect(detail.subject).toBe('Order 1042 arrived damaged');
    expect(detail.channel).toBe('email');
    const m = detail.messages[0];
    expect(m.emailMessageId).toBe('imap-first-1042@mail.example.com');
    expect(m.bodyHtml).toContain('<b>crushed</b>');
    expect(m.bodyHtml).not.toMatch(/script|onclick|alert/);
    expect(m.attachments.map((a: { fileName: string }) => a.fileName)).toEqual(['photo.jpg']);
    expect((await api('GET', m.attachments[0].url)).body).toBe('jpeg-bytes-here');

    // Flagged \Seen on the server; the old read one untouched.
    const after = await inbox();
    expect(after).toHaveLength(2);
    for (const x of after) expect(x.flags).toContain('\\Seen');
    const status = (await channel()).imapStatus;
    expect(status).toMatchObject({ lastImported: 1, lastError: null, polling: false });
    expect(status.lastPollAt).not.toBeNull();
    expect(status.lastSuccessAt).not.toBeNull();

    // A second poll finds nothing new.
    expect((await poll()).json()).toMatchObject({ fetched: 0, created: 0 });
    expect(await tickets()).toHaveLength(1);

    // The customer answers (In-Reply-To the first): same ticket. An auto-reply opens nothing. The first mail
    // delivered again (same Message-ID) is stored once.
    await dovecot.append(
      support,
      mail(
        {
          From: 'amara@example.com',
          Subject: 'Re: Order 1042 arrived damaged',
          'Message-ID': '<imap-answer-2@mail.example.com>',
          'In-Reply-To': '<imap-first-1042@mail.example.com>',
          References: '<imap-first-1042@mail.example.com>',
        },
        'Should I send the broken one back?',
      ),
    );
    await dovecot.append(
      support,
      mail(
        {
          From: 'someone@example.net',
          Subject: 'Out of office',
          'Auto-Submitted': 'auto-replied',
          'Message-ID': '<ooo-1@example.net>',
        },
        'I am away until Monday.',
      ),
    );
    await dovecot.append(
      support,
      mail(
        {
          From: 'amara@example.com',
          Subject: 'Order 1042 arrived damaged',
          'Message-ID': '<imap-first-1042@mail.example.com>',
        },
        'The box was crushed.',
      ),
    );
    const third = await poll();
    expect(third.json()).toEqual({ fetched: 3, created: 0, appended: 1, ignored: 2, unreadable: 0, more: false });
    expect(await tickets()).toHaveLength(1);
    const thread = (await api('GET', `/api/v1/tickets/${ticket.id}`)).json();
    expect(thread.messages.map((x: { bodyText: string }) => x.bodyText)).toEqual([
      expect.stringContaining('crushed'),
      'Should I send the broken one back?',
    ]);
    const events = (await api('GET', '/api/v1/events?type=channel.message_ignored&limit=10')).json();
    expect(events.data.map((e: { payload: { reason: string } }) => e.payload.reason)).toContain(
      'Auto-Submitted: auto-replied',
    );
    for (const x of await inbox()) expect(x.flags).toContain('\\Seen');
    expect((await channel()).imapStatus.lastImported).toBe(3);
  });

  it('keeps a message over the size limit as a note with its sender and subject, and marks it', async () => {
    const before = (await tickets()).length;
    const old = process.env.RAPPORT_MAIL_MAX_BYTES;
    process.env.RAPPORT_MAIL_MAX_BYTES = '2000';
    try {
      await dovecot.append(
        support,
        mail(
          { From: 'Big Sender <big@example.org>', Subject: 'Huge scan', 'Message-ID': '<huge-1@example.org>' },
          'x'.repeat(5000),
        ),
      );
      const res = await poll();
      expect(res.json()).toMatchObject({ fetched: 1, created: 1, unreadable: 1 });
    } finally {
      if (old === undefined) delete process.env.RAPPORT_MAIL_MAX_BYTES;
      else process.env.RAPPORT_MAIL_MAX_BYTES = old;
    }
    const list = await tickets();
    expect(list).toHaveLength(before + 1);
    const t = list.find((x) => x.subject === 'Huge scan');
    if (!t) throw new Error('no ticket for the big message');
    const m = (await api('GET', `/api/v1/tickets/${t.id}`)).json().messages[0];
    expect(m.bodyText).toMatch(
      /could not read this message: it is 5 KB, over the 2 KB limit; the original stays in the mailbox/,
    );
    expect(m.emailMessageId).toBe('huge-1@example.org');
    const people = (await api('GET', '/api/v1/people?filter=email:eq:big@example.org')).json();
    expect(people.data).toHaveLength(1);
    // Marked, so never fetched again.
    expect((await inbox()).every((x) => x.flags.includes('\\Seen'))).toBe(true);
    expect((await poll()).json()).toMatchObject({ fetched: 0 });
  });

  it('after a UIDVALIDITY change asks for UNSEEN only, then by UID again', async () => {
    await updateImapState(ctx.database.db, ws.workspace.id, channelId, { uidValidity: '1', lastUid: 999999 });
    await dovecot.append(support, mail({ From: 'seen@example.com', Subject: 'Seen elsewhere' }, 'x'), {
      flags: ['\\Seen'],
    });
    await dovecot.append(
      support,
      mail({ From: 'fresh@example.com', Subject: 'Fresh one', 'Message-ID': '<fresh-1@example.com>' }, 'Hello.'),
    );
    const res = await poll();
    expect(res.json()).toMatchObject({ fetched: 1, created: 1 });
    const state = await findImapState(ctx.database.db, ws.workspace.id, channelId);
    const box = await inbox();
    expect(state?.uidValidity).not.toBe('1');
    expect(state?.lastUid).toBe(Math.max(...box.map((x) => x.uid)));
    const subjects = (await tickets()).map((t) => t.subject);
    expect(subjects).toContain('Fresh one');
    expect(subjects).not.toContain('Seen elsewhere');
  });

  it('moves imported mail to a folder when told to (creating it)', async () => {
    const res = await api('PATCH', `/api/v1/channels/${channelId}`, {
      settings: { imap: { afterImport: 'move', moveTo: 'Rapport' } },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().settings.imap).toMatchObject({ afterImport: 'move', moveTo: 'Rapport', passwordSet: true });
    const test = await api('POST', `/api/v1/channels/${channelId}/imap/test`);
    expect(test.json().moveToExists).toBe(false);
    const countBefore = (await inbox()).length;
    await dovecot.append(
      support,
      mail({ From: 'mover@example.com', Subject: 'Please move me', 'Message-ID': '<move-1@example.com>' }, 'Hi.'),
    );
    expect((await poll()).json()).toMatchObject({ fetched: 1, created: 1 });
    const left = await inbox();
    expect(left).toHaveLength(countBefore);
    expect(left.map((x) => x.messageId)).not.toContain('<move-1@example.com>');
    const moved = await inbox('Rapport');
    expect(moved.map((x) => x.messageId)).toEqual(['<move-1@example.com>']);
    await api('PATCH', `/api/v1/channels/${channelId}`, { settings: { imap: { afterImport: 'seen', moveTo: null } } });
  });

  it('records a wrong password on the channel and answers 422; a good poll clears it', async () => {
    const patched = await api('PATCH', `/api/v1/channels/${channelId}`, { settings: { imap: { password: 'wrong' } } });
    expect(patched.statusCode).toBe(200);
    const res = await poll();
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('imap_auth_failed');
    const status = (await channel()).imapStatus;
    expect(status.lastError).toMatchObject({ code: 'imap_auth_failed' });
    expect(status.lastError.message).toMatch(/refused the user name or password/);
    expect(status.polling).toBe(false);
    const test = await api('POST', `/api/v1/channels/${channelId}/imap/test`);
    expect(test.statusCode).toBe(422);
    expect(test.json().error.code).toBe('imap_auth_failed');

    await api('PATCH', `/api/v1/channels/${channelId}`, { settings: { imap: { password: support.password } } });
    expect((await poll()).statusCode).toBe(200);
    expect((await channel()).imapStatus.lastError).toBeNull();
  });

  it('polls one at a time: a poll running holds the channel', async () => {
    const lease = await claimImapPoll(ctx.database.db, ws.workspace.id, channelId, 60_000);
    expect(lease).not.toBeNull();
    expect((await channel()).imapStatus.polling).toBe(true);
    const busy = await poll();
    expect(busy.statusCode).toBe(409);
    expect(await claimImapPoll(ctx.database.db, ws.workspace.id, channelId, 60_000)).toBeNull();
    await updateImapState(ctx.database.db, ws.workspace.id, channelId, { release: true });
    expect((await poll()).statusCode).toBe(200);
  });

  it('the schedule enqueues a poll when the interval has passed, once; the job imports and records errors', async () => {
    // Just polled: not due.
    expect(await enqueueDueImapPolls(ctx.database.db)).toBe(0);
    const later = new Date(Date.now() + 61_000);
    expect(await enqueueDueImapPolls(ctx.database.db, later)).toBe(1);
    expect(await enqueueDueImapPolls(ctx.database.db, later)).toBe(0); // one queued already
    await dovecot.append(
      support,
      mail({ From: 'scheduled@example.com', Subject: 'By the schedule', 'Message-ID': '<sched-1@example.com>' }, 'Hi.'),
    );
    const runner = new JobRunner(ctx.database.db, jobDefinitions({ tickets: ctx.services.tickets }));
    expect(await runner.tick()).toBeGreaterThanOrEqual(1);
    expect((await tickets()).map((t) => t.subject)).toContain('By the schedule');

    // A disabled channel is not polled.
    await api('PATCH', `/api/v1/channels/${channelId}`, { settings: { imap: { enabled: false } } });
    expect(await enqueueDueImapPolls(ctx.database.db, new Date(Date.now() + 3600_000))).toBe(0);

    // An unreachable server: the job records it and succeeds (the next interval tries again); nothing crashes.
    await api('PATCH', `/api/v1/channels/${channelId}`, { settings: { imap: { enabled: true, port: 1 } } });
    expect(await enqueueDueImapPolls(ctx.database.db, new Date(Date.now() + 3600_000))).toBe(1);
    const [queued] = await ctx.database.db
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(eq(jobs.workspaceId, ws.workspace.id), eq(jobs.name, imapPollJobName), eq(jobs.state, 'queued')));
    if (!queued) throw new Error('no poll job queued');
    const jobId = queued.id;
    await runner.tick();
    expect((await findJob(ctx.database.db, ws.workspace.id, jobId))?.state).toBe('succeeded');
    expect((await channel()).imapStatus.lastError).toMatchObject({ code: 'imap_unreachable' });
    // Another port is another mailbox: its cursor starts over and the old error no longer applies.
    await api('PATCH', `/api/v1/channels/${channelId}`, { settings: { imap: { port: dovecot.port } } });
    const state = await findImapState(ctx.database.db, ws.workspace.id, channelId);
    expect(state).toMatchObject({ uidValidity: null, lastUid: null, lastErrorCode: null });
  });
});
