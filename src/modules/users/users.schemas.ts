import { z } from 'zod';
import { roles } from '../../domain/permissions.ts';
import { iso, isoDate } from '../../http/schemas.ts';
import type { UserRow } from './users.repository.ts';

export const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: z.enum(roles),
    status: z.enum(['active', 'disabled']),
    lastLoginAt: isoDate.nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'User' });

export type UserDto = z.infer<typeof userSchema>;

export function presentUser(u: UserRow): UserDto {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role as UserDto['role'],
    status: u.status as UserDto['status'],
    lastLoginAt: iso(u.lastLoginAt),
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

const name = z.string().trim().min(1, 'must not be empty').max(200);
export const email = z
  .string()
  .trim()
  .max(320)
  .pipe(z.email({ message: 'is not an email address' }));

export const createUserBody = z.object({
  email,
  name,
  role: z.enum(roles),
  password: z.string().min(1).max(256).optional().describe('Leave out to get a one-time temporary password back'),
});

export const updateUserBody = z
  .object({
    name: name.optional(),
    role: z.enum(roles).optional(),
    status: z.enum(['active', 'disabled']).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'send at least one of name, role, status' });

export const setPasswordBody = z.object({
  currentPassword: z.string().max(256).optional(),
  newPassword: z.string().max(256),
});
