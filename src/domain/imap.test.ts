import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyImapError,
  cursorAfterPoll,
  imapFetchPlan,
  imapPollDue,
  sameMailbox,
  uidsToFetch,
  type ImapFetchPlan,
} from './imap.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s));

describe('imapPollDue', () => {
  const on = { enabled: true, pollIntervalSeconds: 60 };

  it('polls a channel that never polled, and not a disabled one', () => {
    expect(imapPollDue(on, null, at(0))).toBe(true);
    expect(imapPollDue({ ...on, enabled: false }, null, at(0))).toBe(false);
  });

  it('waits for the interval, less the per-minute scheduler slack', () => {
    const state = { lastPollAt: at(0), pollingUntil: null };
    expect(imapPollDue(on, state, at(30))).toBe(false);
    // The schedule fires each minute, a little after the last poll began: that still counts.
    expect(imapPollDue(on, state, at(59))).toBe(true);
    expect(imapPollDue({ ...on, pollIntervalSeconds: 300 }, state, at(240))).toBe(false);
    expect(imapPollDue({ ...on, pollIntervalSeconds: 300 }, state, new Date(at(0).getTime() + 290_000))).toBe(true);
  });

  it('never while a poll holds the channel', () => {
    const running = { lastPollAt: at(0), pollingUntil: at(600) };
    expect(imapPollDue(on, running, at(120))).toBe(false);
    // An expired lease (a crashed poll) no longer holds it.
    expect(imapPollDue(on, running, at(601))).toBe(true);
  });
});

describe('imapFetchPlan and the cursor', () => {
  it('asks by UID while UIDVALIDITY is the same, and for UNSEEN otherwise', () => {
    expect(imapFetchPlan({ uidValidity: '77', lastUid: 12 }, '77')).toEqual({ mode: 'uid', after: 12 });
    expect(imapFetchPlan({ uidValidity: '77', lastUid: 12 }, '78')).toEqual({ mode: 'unseen' });
    expect(imapFetchPlan({ uidValidity: null, lastUid: null }, '77')).toEqual({ mode: 'unseen' });
    expect(imapFetchPlan(null, '77')).toEqual({ mode: 'unseen' });
  });

  it('takes UIDs above the cursor, ascending, at most max (a n:* search also returns the top UID)', () => {
    expect(uidsToFetch([12], { mode: 'uid', after: 12 }, 10)).toEqual([]);
    expect(uidsToFetch([15, 13, 14, 13], { mode: 'uid', after: 12 }, 2)).toEqual([13, 14]);
    expect(uidsToFetch([3, 1, 2], { mode: 'unseen' }, 10)).toEqual([1, 2, 3]);
  });

  it('moves the cursor to the highest UID handled; UNSEEN mode sets it only once drained', () => {
    const uid: ImapFetchPlan = { mode: 'uid', after: 12 };
    expect(cursorAfterPoll({ plan: uid, uidValidity: '7', handled: [13, 14], drained: true, uidNext: 20 })).toEqual({
      uidValidity: '7',
      lastUid: 14,
    });
    expect(cursorAfterPoll({ plan: uid, uidValidity: '7', handled: [], drained: true, uidNext: 20 })).toEqual({
      uidValidity: '7',
      lastUid: 12,
    });
    const unseen: ImapFetchPlan = { mode: 'unseen' };
    // Drained: older (read) mail below UIDNEXT is never imported later.
    expect(cursorAfterPoll({ plan: unseen, uidValidity: '8', handled: [5], drained: true, uidNext: 31 })).toEqual({
      uidValidity: '8',
      lastUid: 30,
    });
    expect(cursorAfterPoll({ plan: unseen, uidValidity: '8', handled: [5], drained: false, uidNext: 31 })).toEqual({
      uidValidity: null,
      lastUid: null,
    });
  });

  it('never moves the cursor backwards in UID mode (property)', () => {
    fc.assert(
      fc.property(fc.nat(1e6), fc.array(fc.nat(2e6), { maxLength: 20 }), (after, found) => {
        const plan: ImapFetchPlan = { mode: 'uid', after };
        const handled = uidsToFetch(found, plan, 50);
        const c = cursorAfterPoll({ plan, uidValidity: 'v', handled, drained: true, uidNext: 0 });
        expect(c.lastUid).toBeGreaterThanOrEqual(after);
        for (const u of handled) expect(u).toBeGreaterThan(after);
      }),
    );
  });

  it('starts over when the settings name another mailbox', () => {
    const a = { host: 'imap.example.com', port: 993, user: 'support', mailbox: 'INBOX' };
    expect(sameMailbox(a, { ...a, host: 'IMAP.example.com' })).toBe(true);
    expect(sameMailbox(a, { ...a, user: 'sales' })).toBe(false);
    expect(sameMailbox(a, { ...a, mailbox: 'Support' })).toBe(false);
    expect(sameMailbox(a, null)).toBe(false);
    expect(sameMailbox(null, null)).toBe(true);
  });
});

describe('classifyImapError', () => {
  const where = { host: 'imap.example.com', port: 993, mailbox: 'INBOX' };

  it('names a refused login', () => {
    const e = { message: 'Command failed', authenticationFailed: true, responseText: 'Authentication failed.' };
    expect(classifyImapError(e, where)).toEqual({
      code: 'imap_auth_failed',
      message: 'imap.example.com:993 refused the user name or password (Authentication failed.)',
    });
  });

  it('names an unreachable server: refused, unknown host, timeouts', () => {
    expect(classifyImapError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }, where)).toEqual({
      code: 'imap_unreachable',
      message: 'imap.example.com:993 refused the connection',
    });
    expect(classifyImapError({ code: 'ENOTFOUND' }, where).message).toBe(
      'The host name imap.example.com could not be resolved',
    );
    expect(classifyImapError({ code: 'CONNECT_TIMEOUT', message: 'Failed to establish' }, where).code).toBe(
      'imap_unreachable',
    );
  });

  it('names TLS trouble and a missing mailbox; anything else is imap_failed with the server’s words', () => {
    expect(classifyImapError({ code: 'ERR_SSL_WRONG_VERSION_NUMBER', message: 'wrong version' }, where).code).toBe(
      'imap_tls_failed',
    );
    expect(classifyImapError({ tlsFailed: true, message: 'Server does not support STARTTLS' }, where).code).toBe(
      'imap_tls_failed',
    );
    expect(
      classifyImapError({ mailboxMissing: true, responseText: "Mailbox doesn't exist: Support" }, where),
    ).toMatchObject({ code: 'imap_mailbox_missing', message: expect.stringContaining('"INBOX" does not exist') });
    expect(classifyImapError({ message: 'Command failed', responseText: 'Quota exceeded' }, where)).toEqual({
      code: 'imap_failed',
      message: 'IMAP error from imap.example.com:993: Quota exceeded',
    });
    expect(classifyImapError('boom', where).code).toBe('imap_failed');
    expect(classifyImapError(null, where).code).toBe('imap_failed');
  });
});
