import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createToken, parseToken, secretMatches } from './tokens.ts';

describe('tokens', () => {
  it('carry workspace and row id, and only the hash of the secret is needed to check them', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), (ws, id) => {
        const { token, secretHash } = createToken('rpk', ws, id);
        const parts = parseToken('rpk', token);
        expect(parts?.workspaceId).toBe(ws.toLowerCase());
        expect(parts?.id).toBe(id.toLowerCase());
        expect(parts && secretMatches(parts.secret, secretHash)).toBe(true);
        expect(token).not.toContain(secretHash);
      }),
      { numRuns: 50 },
    );
  });

  it('reject another prefix, a changed secret and garbage', () => {
    const ws = '01a204e2-dfdc-716b-a3d4-f323458e3a5f';
    const { token, secretHash } = createToken('rps', ws, ws);
    expect(parseToken('rpk', token)).toBeNull();
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    const p = parseToken('rps', tampered);
    expect(p && secretMatches(p.secret, secretHash)).toBe(false);
    for (const junk of ['', 'rps_', 'rps_abc', 'rps_' + 'A'.repeat(500), 'Bearer x'])
      expect(parseToken('rps', junk)).toBeNull();
  });
});
