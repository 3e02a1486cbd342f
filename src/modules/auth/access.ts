import { AppError } from '../../errors.ts';
import { can, type Actor, type Permission } from '../../domain/permissions.ts';

/** The permission check every service method starts with. */
export function assertCan(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) throw AppError.forbidden(permission);
}
