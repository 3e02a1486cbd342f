import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { permissions, roleDescriptions, rolePermissions, roles } from '../../domain/permissions.ts';
import { requireActor } from '../../http/auth.ts';
import { errorResponses, noContentResponses, idParam, listQuery, pageOf } from '../../http/schemas.ts';
import type { UsersService } from './users.service.ts';
import { createUserBody, presentUser, setPasswordBody, updateUserBody, userSchema } from './users.schemas.ts';

export const roleSchema = z
  .object({ name: z.enum(roles), description: z.string(), permissions: z.array(z.enum(permissions)) })
  .meta({ id: 'Role' });

export const usersRoutes =
  (users: UsersService): FastifyPluginAsync =>
  async (app) => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const tags = ['Users and roles'];

    r.get(
      '/users',
      {
        schema: {
          tags,
          summary: 'List users',
          querystring: listQuery,
          response: { 200: pageOf(userSchema), ...errorResponses },
        },
      },
      async (req) => {
        const page = await users.list(requireActor(req), req.query);
        return {
          data: page.rows.map(presentUser),
          page: { nextCursor: page.nextCursor, limit: req.query.limit ?? 50 },
        };
      },
    );

    r.post(
      '/users',
      {
        schema: {
          tags,
          summary: 'Add a user',
          body: createUserBody,
          response: {
            201: z.object({ user: userSchema, temporaryPassword: z.string().nullable() }),
            ...errorResponses,
          },
        },
      },
      async (req, reply) => {
        const { user, temporaryPassword } = await users.create(requireActor(req), req.body);
        return reply.status(201).send({ user: presentUser(user), temporaryPassword });
      },
    );

    r.get(
      '/users/:id',
      {
        schema: { tags, summary: 'Get a user', params: idParam, response: { 200: userSchema, ...errorResponses } },
      },
      async (req) => presentUser(await users.get(requireActor(req), req.params.id)),
    );

    r.patch(
      '/users/:id',
      {
        schema: {
          tags,
          summary: 'Change a user (name, role, status)',
          params: idParam,
          body: updateUserBody,
          response: { 200: userSchema, ...errorResponses },
        },
      },
      async (req) => presentUser(await users.update(requireActor(req), req.params.id, req.body)),
    );

    r.put(
      '/users/:id/password',
      {
        schema: {
          tags,
          summary: "Change own password, or reset another user's",
          params: idParam,
          body: setPasswordBody,
          response: noContentResponses,
        },
      },
      async (req, reply) => {
        await users.setPassword(requireActor(req), req.params.id, req.body);
        return reply.status(204).send(null);
      },
    );

    r.delete(
      '/users/:id',
      {
        schema: { tags, summary: 'Delete a user', params: idParam, response: noContentResponses },
      },
      async (req, reply) => {
        await users.remove(requireActor(req), req.params.id);
        return reply.status(204).send(null);
      },
    );

    r.get(
      '/roles',
      {
        schema: {
          tags,
          summary: 'Roles and their permissions',
          response: { 200: z.object({ data: z.array(roleSchema) }), ...errorResponses },
        },
      },
      async (req) => {
        requireActor(req);
        return {
          data: roles.map((name) => ({
            name,
            description: roleDescriptions[name],
            permissions: [...rolePermissions[name]],
          })),
        };
      },
    );
  };
