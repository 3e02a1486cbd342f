import { useCallback } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from '../api/client.ts';
import { keys } from '../api/queries.ts';
import { notifyError } from '../lib/notify.ts';

export function useSignOut(): () => Promise<void> {
  const qc = useQueryClient();
  const navigate = useNavigate();
  return useCallback(async () => {
    try {
      await api('/auth/logout', { method: 'POST' });
    } catch (e) {
      notifyError(e, 'Could not sign out');
      return;
    }
    qc.clear();
    qc.setQueryData(keys.setup, { needed: false });
    qc.setQueryData(keys.me, null);
    navigate('/', { replace: true });
  }, [qc, navigate]);
}
