/** Shapes and queries of macros (canned replies with field changes) and SOP checklists. */
import { useQuery } from '@tanstack/react-query';
import { api } from './client.ts';
import type { TicketPriority, TicketStatus } from './tickets.ts';

export {
  macroPlaceholders,
  placeholderProblems,
  samplePlaceholderValues,
  renderMacroBody,
} from '../../../src/domain/macros.ts';

export type MacroActions = {
  status?: TicketStatus;
  priority?: TicketPriority;
  type?: string;
  assigneeId?: string | null;
  teamId?: string | null;
  addTags?: string[];
  removeTags?: string[];
  /** Ticket custom field values by key; null clears one. */
  custom?: Record<string, unknown>;
};

export type Macro = {
  id: string;
  name: string;
  description: string | null;
  body: string;
  internal: boolean;
  actions: MacroActions;
  active: boolean;
  usageCount: number;
  lastUsedAt: string | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
};

export type MacroChange = {
  field: 'status' | 'priority' | 'type' | 'assigneeId' | 'teamId' | 'tags' | `custom.${string}`;
  from: unknown;
  to: unknown;
};
export type MacroPreview = { body: string; internal: boolean; changes: MacroChange[] };

export type SopChecklist = {
  ticketType: string;
  steps: Array<{ id: string; text: string; required: boolean }>;
  blockSolve: boolean;
  updatedAt: string;
};

export type ChecklistStep = {
  id: string;
  text: string;
  required: boolean;
  done: boolean;
  doneAt: string | null;
  doneBy: string | null;
  fromType: string | null;
};
export type TicketChecklist = {
  ticketId: string;
  ticketType: string;
  steps: ChecklistStep[];
  blockSolve: boolean;
  complete: boolean;
};

export const macroKeys = {
  all: ['macros'] as const,
  list: (q: Record<string, unknown>) => ['macros', 'list', q] as const,
  sops: ['sop-checklists'] as const,
  checklist: (ticketId: string) => ['tickets', 'checklist', ticketId] as const,
};

export function useMacros(query: { active?: boolean; q?: string } = {}, enabled = true) {
  return useQuery({
    queryKey: macroKeys.list(query),
    enabled,
    queryFn: () =>
      api<{ data: Macro[] }>('/macros', {
        query: { ...(query.active !== undefined ? { active: String(query.active) } : {}), q: query.q },
      }),
  });
}

export function useSops() {
  return useQuery({ queryKey: macroKeys.sops, queryFn: () => api<{ data: SopChecklist[] }>('/sop-checklists') });
}

export function useTicketChecklist(ticketId: string) {
  return useQuery({
    queryKey: macroKeys.checklist(ticketId),
    queryFn: () => api<TicketChecklist>(`/tickets/${ticketId}/checklist`),
  });
}

export const changeLabels: Record<string, string> = {
  status: 'Status',
  priority: 'Priority',
  type: 'Type',
  assigneeId: 'Assignee',
  teamId: 'Team',
  tags: 'Tags',
};
