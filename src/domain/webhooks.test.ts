import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isEventTypePattern,
  matchesEventTypes,
  maxDeliveryAttempts,
  retryDelayMs,
  signWebhook,
  verifyWebhookSignature,
  webhookUrlProblem,
} from './webhooks.ts';

describe('webhook signature', () => {
  it('is v1= and the hex HMAC-SHA256 of "timestamp.body" (a published test vector shape)', () => {
    const secret = 'whsec_test';
    const body = '{"id":"1","type":"person.created"}';
    const sig = signWebhook(secret, 1_700_000_000, body);
    const mac = crypto.createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(sig).toBe(`v1=${mac}`);
    expect(sig).toMatch(/^v1=[0-9a-f]{64}$/);
    // The RFC 4231 test case 2 key/data give the known digest, so the primitive is the standard one.
    expect(crypto.createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it('verifies what it signs, and nothing altered', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.integer({ min: 0, max: 2e9 }), (secret, body, ts) => {
        const header = signWebhook(secret, ts, body);
        expect(verifyWebhookSignature({ secret, signatureHeader: header, timestamp: ts, body, nowSeconds: ts })).toBe(
          true,
        );
        expect(
          verifyWebhookSignature({ secret, signatureHeader: header, timestamp: ts, body: `${body} `, nowSeconds: ts }),
        ).toBe(false);
        expect(
          verifyWebhookSignature({
            secret: `${secret}x`,
            signatureHeader: header,
            timestamp: ts,
            body,
            nowSeconds: ts,
          }),
        ).toBe(false);
        expect(
          verifyWebhookSignature({ secret, signatureHeader: header, timestamp: ts + 1, body, nowSeconds: ts }),
        ).toBe(false);
      }),
    );
  });

  it('refuses old timestamps and accepts one of several signatures', () => {
    const body = '{}';
    const header = signWebhook('s', 1000, body);
    expect(
      verifyWebhookSignature({ secret: 's', signatureHeader: header, timestamp: 1000, body, nowSeconds: 1300 }),
    ).toBe(true);
    expect(
      verifyWebhookSignature({ secret: 's', signatureHeader: header, timestamp: 1000, body, nowSeconds: 1301 }),
    ).toBe(false);
    expect(
      verifyWebhookSignature({
        secret: 's',
        signatureHeader: `v1=${'0'.repeat(64)}, ${header}`,
        timestamp: '1000',
        body,
        nowSeconds: 1000,
      }),
    ).toBe(true);
    expect(verifyWebhookSignature({ secret: 's', signatureHeader: 'v1=', timestamp: 'x', body, nowSeconds: 0 })).toBe(
      false,
    );
  });
});

describe('webhook retry schedule', () => {
  it('waits 1, 2, 4 … minutes, capped at 2 hours', () => {
    const minutes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map((a) => retryDelayMs(a) / 60_000);
    expect(minutes).toEqual([1, 2, 4, 8, 16, 32, 64, 120, 120, 120]);
  });

  it('keeps trying for at least 24 hours, and not much longer', () => {
    const n = maxDeliveryAttempts();
    let span = 0;
    for (let a = 1; a < n; a++) span += retryDelayMs(a);
    expect(span).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(span - retryDelayMs(n - 1)).toBeLessThan(24 * 3600_000);
    expect(n).toBe(19);
  });

  it('adapts the attempt count to a shortened schedule (tests)', () => {
    expect(maxDeliveryAttempts({ baseMs: 10, maxMs: 40, minSpanMs: 100 })).toBe(5); // 10+20+40+40 = 110
  });
});

describe('webhook subscriptions and URLs', () => {
  it('matches exact types, prefixes and *', () => {
    expect(matchesEventTypes(['person.created'], 'person.created')).toBe(true);
    expect(matchesEventTypes(['person.created'], 'person.updated')).toBe(false);
    expect(matchesEventTypes(['person.*'], 'person.consent_changed')).toBe(true);
    expect(matchesEventTypes(['person.*'], 'personal.x')).toBe(false);
    expect(matchesEventTypes(['person.*'], 'company.created')).toBe(false);
    expect(matchesEventTypes(['*'], 'anything.at_all')).toBe(true);
    expect(matchesEventTypes([], 'person.created')).toBe(false);
  });

  it('accepts well-formed patterns only', () => {
    for (const ok of ['*', 'person.*', 'person.created', 'custom_field.updated', 'a.b.*'])
      expect(isEventTypePattern(ok), ok).toBe(true);
    for (const bad of ['', 'person.', '*.created', 'Person.created', 'person.**', 'a b', 'person*'])
      expect(isEventTypePattern(bad), bad).toBe(false);
  });

  it('takes http(s) URLs and says why it refuses others', () => {
    expect(webhookUrlProblem('https://example.com/hook')).toBeNull();
    expect(webhookUrlProblem('http://127.0.0.1:8080/x')).toBeNull();
    expect(webhookUrlProblem('ftp://example.com')).toMatch(/http or https/);
    expect(webhookUrlProblem('javascript:alert(1)')).toMatch(/http or https/);
    expect(webhookUrlProblem('not a url')).toBe('is not a URL');
    expect(webhookUrlProblem('https://hook:s3cret@example.com/in')).toMatch(/user name or password/);
  });
});
