/** Webhook endpoints, their signing secrets and delivery logs (see docs/webhooks.md). */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api } from './client.ts';
import type { Page } from './types.ts';

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export type Webhook = {
  id: string;
  url: string;
  description: string;
  eventTypes: string[];
  active: boolean;
  secretHint: string;
  createdAt: string;
  updatedAt: string;
  stats: {
    pending: number;
    failed: number;
    lastDeliveryStatus: DeliveryStatus | null;
    lastDeliveryAt: string | null;
  };
};

export type WebhookInput = { url: string; description?: string; eventTypes: string[]; active?: boolean };

export type WebhookDelivery = {
  id: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  responseExcerpt: string | null;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
};

export type WebhookAttempt = {
  attempt: number;
  trigger: 'automatic' | 'manual' | 'test';
  timestamp: number;
  startedAt: string;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  succeeded: boolean;
};

export type WebhookDeliveryDetail = WebhookDelivery & {
  request: { headers: Record<string, string>; body: unknown };
  attemptLog: WebhookAttempt[];
};

export const webhookKeys = {
  all: ['webhooks'] as const,
  deliveries: (id: string) => ['webhooks', id, 'deliveries'] as const,
  delivery: (id: string, deliveryId: string) => ['webhooks', id, 'delivery', deliveryId] as const,
};

/** Event types offered when subscribing; any other type (or prefix) can be typed in. */
export const eventTypeSuggestions: Array<{ group: string; items: Array<{ value: string; label: string }> }> = [
  { group: 'Everything', items: [{ value: '*', label: '*  (every event)' }] },
  {
    group: 'Prefixes',
    items: [
      'person',
      'company',
      'ticket',
      'order',
      'subscription',
      'kb_article',
      'user',
      'custom_field',
      'view',
      'import',
    ].map((p) => ({
      value: `${p}.*`,
      label: `${p}.*  (every ${p.replace('_', ' ')} event)`,
    })),
  },
  {
    group: 'People',
    items: [
      'person.created',
      'person.updated',
      'person.deleted',
      'person.stage_changed',
      'person.consent_granted',
      'person.consent_withdrawn',
      'person.merged',
      'person.note_added',
      'person.company_linked',
      'person.company_unlinked',
    ].map((value) => ({ value, label: value })),
  },
  {
    group: 'Tickets',
    items: [
      'ticket.created',
      'ticket.updated',
      'ticket.status_changed',
      'ticket.message_received',
      'ticket.replied',
      'ticket.reply_undelivered',
      'ticket.note_added',
      'ticket.sla_warning',
      'ticket.sla_breached',
      'ticket.escalated',
      'ticket.merged',
      'ticket.split',
      'ticket.call_logged',
    ].map((value) => ({ value, label: value })),
  },
  {
    group: 'Orders and subscriptions',
    items: [
      'order.placed',
      'order.paid',
      'order.refunded',
      'order.canceled',
      'order.updated',
      'subscription.started',
      'subscription.updated',
      'subscription.canceled',
    ].map((value) => ({ value, label: value })),
  },
  {
    group: 'Knowledge base',
    items: ['kb_article.published', 'kb_article.unpublished', 'kb_article.updated'].map((value) => ({
      value,
      label: value,
    })),
  },
  {
    group: 'Companies',
    items: ['company.created', 'company.updated', 'company.deleted', 'company.merged'].map((value) => ({
      value,
      label: value,
    })),
  },
  {
    group: 'Users',
    items: ['user.created', 'user.updated', 'user.deleted'].map((value) => ({ value, label: value })),
  },
];

export function useWebhooks(enabled = true) {
  return useQuery({
    queryKey: webhookKeys.all,
    enabled,
    queryFn: () => api<{ data: Webhook[] }>('/webhooks'),
  });
}

export function useDeliveries(webhookId: string | null, status: DeliveryStatus | null) {
  return useInfiniteQuery({
    queryKey: [...webhookKeys.deliveries(webhookId ?? ''), { status }],
    enabled: webhookId !== null,
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api<Page<WebhookDelivery>>(`/webhooks/${webhookId}/deliveries`, {
        query: { limit: 25, cursor: pageParam, filter: status ? `status:eq:${status}` : undefined },
      }),
    getNextPageParam: (last) => last.page.nextCursor,
  });
}

export function useDelivery(webhookId: string, deliveryId: string | null) {
  return useQuery({
    queryKey: webhookKeys.delivery(webhookId, deliveryId ?? ''),
    enabled: deliveryId !== null,
    queryFn: () => api<WebhookDeliveryDetail>(`/webhooks/${webhookId}/deliveries/${deliveryId}`),
  });
}
