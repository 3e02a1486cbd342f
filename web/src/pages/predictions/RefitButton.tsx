import { useState } from 'react';
import { Button, Group, Loader, Text } from '@mantine/core';
import { IconCheck, IconRefresh } from '@tabler/icons-react';
import { errorMessage } from '../../api/client.ts';
import { useRefitJob, useRefitPredictions } from '../../api/predictions.ts';

/**
 * Queues a refit of the purchase models (POST /predictions/refit) and follows the job: queued, fitting, done (the
 * prediction queries then refetch) or failed with its reason. Only for users with workspace:manage.
 */
export function RefitButton({ size = 'xs' }: { size?: 'xs' | 'sm' }) {
  const refit = useRefitPredictions();
  const [jobId, setJobId] = useState<string | null>(null);
  const [alreadyQueued, setAlreadyQueued] = useState(false);
  const job = useRefitJob(jobId);
  const state = job.data?.state;
  const busy = refit.isPending || state === 'queued' || state === 'running';

  let status: { text: string; color: string } | null = null;
  if (refit.isError) status = { text: errorMessage(refit.error), color: 'red' };
  else if (alreadyQueued) status = { text: 'A refit is already queued; it runs in the background.', color: 'dimmed' };
  else if (state === 'queued') status = { text: 'Refit queued: it runs in the background.', color: 'dimmed' };
  else if (state === 'running') status = { text: 'Fitting the models and scoring every customer…', color: 'dimmed' };
  else if (state === 'succeeded') status = { text: 'Refit done: the numbers are up to date.', color: 'teal' };
  else if (state === 'failed' || state === 'cancelled')
    status = { text: `The refit failed${job.data?.lastError ? `: ${job.data.lastError}` : ''}.`, color: 'red' };

  return (
    <Group gap="xs" wrap="wrap" data-testid="refit">
      <Button
        size={size}
        variant="light"
        leftSection={<IconRefresh size={14} />}
        loading={refit.isPending}
        disabled={busy}
        onClick={() =>
          refit.mutate(undefined, {
            onSuccess: (r) => {
              setAlreadyQueued(r.jobId === null);
              setJobId(r.jobId);
            },
          })
        }
      >
        Refit now
      </Button>
      {status && (
        <Group gap={6} wrap="nowrap" data-testid="refit-status">
          {(state === 'queued' || state === 'running') && <Loader size={12} />}
          {state === 'succeeded' && <IconCheck size={14} color="var(--mantine-color-teal-6)" />}
          <Text fz="xs" c={status.color} role="status">
            {status.text}
          </Text>
        </Group>
      )}
    </Group>
  );
}
