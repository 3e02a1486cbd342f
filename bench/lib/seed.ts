import type { Database } from '../../src/db/client.ts';
import { newId } from '../../src/db/ids.ts';
import { users } from '../../src/db/schema/index.ts';
import { userActor } from '../../src/modules/auth/auth.service.ts';
import { createServices } from '../../src/services.ts';
import type { Permission } from '../../src/domain/permissions.ts';

export type SeededWorkspace = { workspaceId: string; ownerId: string; apiKey: string; userIds: string[] };

/**
 * One workspace and its owner (through the real service), `userCount` more users inserted in bulk (they never sign
 * in, so their password hash is a placeholder), and an API key of the owner with the given scopes.
 */
export async function seedWorkspace(
  database: Database,
  opts: { userCount: number; scopes: Permission[] },
): Promise<SeededWorkspace> {
  const services = createServices(database.db);
  const { workspace, user: owner } = await services.auth.createWorkspace(
    {
      workspaceName: 'Bench',
      slug: 'bench',
      ownerName: 'Bench Owner',
      ownerEmail: 'owner@bench.example',
      password: 'bench-owner-password',
    },
    { firstRunOnly: false },
  );
  const userIds: string[] = [];
  const chunk = 1000;
  for (let start = 0; start < opts.userCount; start += chunk) {
    const rows: Array<typeof users.$inferInsert> = [];
    for (let i = start; i < Math.min(opts.userCount, start + chunk); i++) {
      const id = newId();
      userIds.push(id);
      rows.push({
        workspaceId: workspace.id,
        id,
        email: `user${i}@bench.example`,
        name: `Bench User ${i}`,
        passwordHash: 'seeded-user-never-signs-in',
        role: 'agent',
        status: 'active',
      });
    }
    await database.db.insert(users).values(rows);
  }
  const { token } = await services.apiKeys.create(userActor(owner), { name: 'bench', scopes: opts.scopes });
  return { workspaceId: workspace.id, ownerId: owner.id, apiKey: token, userIds };
}

/** `count` ids spread evenly over the list, in a fixed shuffled order (so requests do not walk the index in order). */
export function spreadSample(ids: string[], count: number): string[] {
  const step = Math.max(1, Math.floor(ids.length / count));
  const sample = ids.filter((_, i) => i % step === 0).slice(0, count);
  let seed = 42;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let i = sample.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [sample[i], sample[j]] = [sample[j] as string, sample[i] as string];
  }
  return sample;
}
