import { useMemo } from 'react';
import { useAllUsers, useApiKeys, useMe } from '../api/queries.ts';
import type { Names } from '../lib/events.ts';

/** Looks up people and API keys by id, so events and sessions can say names instead of UUIDs. */
export function useNames(): Names & { loading: boolean } {
  const me = useMe();
  const users = useAllUsers(me.permissions.includes('users:read'));
  const keys = useApiKeys(true, me.permissions.includes('apikeys:manage'));
  return useMemo(() => {
    const u = new Map((users.data?.data ?? []).map((x) => [x.id, x.name]));
    if (me.user) u.set(me.user.id, me.user.name);
    const k = new Map((keys.data?.data ?? []).map((x) => [x.id, x.name]));
    return {
      user: (id: string) => u.get(id) ?? null,
      apiKey: (id: string) => k.get(id) ?? null,
      loading: users.isPending && users.fetchStatus !== 'idle',
    };
  }, [users.data, keys.data, me.user, users.isPending, users.fetchStatus]);
}
