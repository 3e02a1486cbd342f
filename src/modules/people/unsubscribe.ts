import crypto from 'node:crypto';
import { consentChannels, consentPurposes, type ConsentChannel, type ConsentPurpose } from '../../domain/customers.ts';

/**
 * Signed unsubscribe tokens: `<payload>.<mac>`, payload = base64url(workspace id | person id | channel | purpose),
 * mac = the first 16 bytes of HMAC-SHA256 under the workspace's secret. Nothing is stored: the link works for as
 * long as the workspace secret stays the same.
 */
export type UnsubscribeClaim = {
  workspaceId: string;
  personId: string;
  channel: ConsentChannel;
  purpose: ConsentPurpose;
};

function uuidBytes(u: string): Buffer {
  return Buffer.from(u.replace(/-/g, ''), 'hex');
}

function bytesUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function mac(secret: string, payload: Buffer): Buffer {
  return crypto.createHmac('sha256', secret).update(payload).digest().subarray(0, 16);
}

export function signUnsubscribeToken(secret: string, c: UnsubscribeClaim): string {
  const payload = Buffer.concat([
    uuidBytes(c.workspaceId),
    uuidBytes(c.personId),
    Buffer.from([consentChannels.indexOf(c.channel), consentPurposes.indexOf(c.purpose)]),
  ]);
  return `${payload.toString('base64url')}.${mac(secret, payload).toString('base64url')}`;
}

/** Reads the claim without checking the signature (the workspace id is needed to find the secret). */
export function readUnsubscribeToken(token: string): { claim: UnsubscribeClaim; payload: Buffer; mac: Buffer } | null {
  const [p, m, ...rest] = token.split('.');
  if (!p || !m || rest.length || token.length > 200) return null;
  const payload = Buffer.from(p, 'base64url');
  const sig = Buffer.from(m, 'base64url');
  if (payload.length !== 34 || sig.length !== 16) return null;
  const channel = consentChannels[payload[32] ?? 255];
  const purpose = consentPurposes[payload[33] ?? 255];
  if (!channel || !purpose) return null;
  return {
    claim: {
      workspaceId: bytesUuid(payload.subarray(0, 16)),
      personId: bytesUuid(payload.subarray(16, 32)),
      channel,
      purpose,
    },
    payload,
    mac: sig,
  };
}

export function verifyUnsubscribeToken(secret: string, token: string): UnsubscribeClaim | null {
  const read = readUnsubscribeToken(token);
  if (!read) return null;
  const expected = mac(secret, read.payload);
  return crypto.timingSafeEqual(expected, read.mac) ? read.claim : null;
}
