import type { Db } from '../../db/client.ts';
import { AppError } from '../../errors.ts';
import { appendEvent } from '../../events/events.ts';
import type { Actor } from '../../domain/permissions.ts';
import { assertCan } from '../auth/access.ts';
import { findWorkspace, updateWorkspace, type WorkspaceRow } from './workspaces.repository.ts';

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export type WorkspacesService = ReturnType<typeof createWorkspacesService>;

export function createWorkspacesService(deps: { db: Db }) {
  const { db } = deps;
  return {
    async current(actor: Actor): Promise<WorkspaceRow> {
      assertCan(actor, 'workspace:read');
      const w = await findWorkspace(db, actor.workspaceId);
      if (!w) throw AppError.notFound('Workspace');
      return w;
    },

    async update(
      actor: Actor,
      input: { name?: string | undefined; timezone?: string | undefined },
    ): Promise<WorkspaceRow> {
      assertCan(actor, 'workspace:manage');
      if (input.timezone !== undefined && !isTimeZone(input.timezone))
        throw new AppError('validation_failed', `"${input.timezone}" is not an IANA time zone (e.g. Europe/Paris)`, {
          field: 'timezone',
        });
      return db.transaction(async (tx) => {
        const before = await findWorkspace(tx, actor.workspaceId);
        if (!before) throw AppError.notFound('Workspace');
        const w = await updateWorkspace(tx, actor.workspaceId, {
          ...(input.name !== undefined ? { name: input.name.trim() } : {}),
          ...(input.timezone !== undefined ? { timezone: input.timezone } : {}),
        });
        if (!w) throw AppError.notFound('Workspace');
        await appendEvent(tx, actor, {
          type: 'workspace.updated',
          subjectType: 'workspace',
          subjectId: w.id,
          payload: {
            before: { name: before.name, timezone: before.timezone },
            after: { name: w.name, timezone: w.timezone },
          },
        });
        return w;
      });
    },
  };
}
