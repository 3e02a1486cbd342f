import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from './client.ts';
import type { ApiKey, Me, Permission, RoleInfo, User, Page } from './types.ts';

export const keys = {
  setup: ['setup'] as const,
  me: ['me'] as const,
  users: ['users'] as const,
  allUsers: ['users', 'all'] as const,
  roles: ['roles'] as const,
  apiKeys: ['api-keys'] as const,
  sessions: ['sessions'] as const,
  events: ['events'] as const,
  workspace: ['workspace'] as const,
};

export function useSetupStatus() {
  return useQuery({
    queryKey: keys.setup,
    queryFn: () => api<{ needed: boolean }>('/setup'),
    staleTime: Infinity,
  });
}

/** Who is signed in; null when nobody is (a 401 is an answer here, not an error). */
export function useMeQuery(enabled: boolean) {
  return useQuery({
    queryKey: keys.me,
    enabled,
    queryFn: async (): Promise<Me | null> => {
      try {
        return await api<Me>('/me', { quiet401: true });
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) return null;
        throw e;
      }
    },
    staleTime: 60_000,
  });
}

/** The signed-in user; only used below the sign-in gate, where it is always there. */
export function useMe(): Me {
  const qc = useQueryClient();
  const { data } = useQuery({ queryKey: keys.me, queryFn: () => api<Me>('/me'), staleTime: 60_000 });
  const me = data ?? qc.getQueryData<Me>(keys.me);
  if (!me) throw new Error('useMe used outside the signed-in console');
  return me;
}

export function useCan(): (p: Permission) => boolean {
  const me = useMe();
  return (p) => me.permissions.includes(p);
}

/** Everyone in the workspace (up to 200), for names in activity feeds and team counts. */
export function useAllUsers(enabled = true) {
  return useQuery({
    queryKey: keys.allUsers,
    enabled,
    queryFn: () => api<Page<User>>('/users', { query: { limit: 200, sort: 'name' } }),
    staleTime: 30_000,
  });
}

export function useRoles() {
  return useQuery({
    queryKey: keys.roles,
    queryFn: () => api<{ data: RoleInfo[] }>('/roles'),
    staleTime: Infinity,
  });
}

export function useApiKeys(includeRevoked: boolean, enabled = true) {
  return useQuery({
    queryKey: [...keys.apiKeys, { includeRevoked }],
    enabled,
    queryFn: () => api<{ data: ApiKey[] }>('/api-keys', { query: { include_revoked: includeRevoked } }),
  });
}
