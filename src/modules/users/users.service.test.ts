import { describe, expect, it } from 'vitest';
import { useTestApp } from '../../../test/app.ts';
import { testEngines } from '../../../test/db.ts';
import { makeWorkspace } from '../../../test/factories.ts';
import { AppError } from '../../errors.ts';

/** The users service refuses what the API's schema refuses, whoever calls it (the CLI's `rapport users create`). */
describe.each(testEngines())('adding a user on %s', (engine) => {
  const ctx = useTestApp(engine);

  it('refuses an address that is not one, an empty one and an empty name, and adds nobody', async () => {
    const ws = await makeWorkspace(ctx.services);
    const add = (email: string, name = 'Ana') =>
      ctx.services.users.create(ws.ownerActor, { email, name, role: 'agent', password: 'long-enough-pw' });
    for (const [email, name, message] of [
      ['not-an-email', 'Ana', '"not-an-email" is not an email address'],
      ['', 'Ana', 'The email must not be empty'],
      ['   ', 'Ana', 'The email must not be empty'],
      ['ana@@acme.example', 'Ana', '"ana@@acme.example" is not an email address'],
      ['ana@acme.example', ' ', 'The name must not be empty'],
    ] as const) {
      const err = await add(email, name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('validation_failed');
      expect((err as AppError).message).toBe(message);
    }
    expect((await ctx.services.users.list(ws.ownerActor, {})).rows).toHaveLength(1);
    const ok = await add(' Ana@Acme.example ', ' Ana Agent ');
    expect(ok.user).toMatchObject({ email: 'ana@acme.example', name: 'Ana Agent' });
  });
});
