import crypto from 'node:crypto';

/**
 * Session and API-key tokens carry the workspace id and row id, so a token is found by primary key (and routes to
 * the right shard when tables are distributed by workspace), plus a random secret stored only as a SHA-256 hash.
 * Format: `<prefix>_<base64url(16-byte workspace id | 16-byte row id | 24-byte secret)>`.
 */
export type TokenPrefix = 'rpk' | 'rps';

export type TokenParts = { workspaceId: string; id: string; secret: Buffer };

function uuidToBytes(u: string): Buffer {
  return Buffer.from(u.replace(/-/g, ''), 'hex');
}

function bytesToUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function createToken(
  prefix: TokenPrefix,
  workspaceId: string,
  id: string,
): { token: string; secretHash: string } {
  const secret = crypto.randomBytes(24);
  const body = Buffer.concat([uuidToBytes(workspaceId), uuidToBytes(id), secret]).toString('base64url');
  return { token: `${prefix}_${body}`, secretHash: hashSecret(secret) };
}

export function parseToken(prefix: TokenPrefix, token: string): TokenParts | null {
  if (!token.startsWith(`${prefix}_`) || token.length > 200) return null;
  const raw = Buffer.from(token.slice(prefix.length + 1), 'base64url');
  if (raw.length !== 56) return null;
  return {
    workspaceId: bytesToUuid(raw.subarray(0, 16)),
    id: bytesToUuid(raw.subarray(16, 32)),
    secret: raw.subarray(32),
  };
}

export function hashSecret(secret: Buffer): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: Buffer, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
