import { sql } from 'drizzle-orm';
import {
  boolean,
  foreignKey,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { msNow } from './columns.ts';
import { tickets } from './service.ts';
import { workspaces } from './workspaces.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true });

/** What a macro changes on the ticket it is applied to (see src/domain/macros.ts). */
export type MacroActions = {
  status?: string | undefined;
  priority?: string | undefined;
  type?: string | undefined;
  /** A user id, `me` (whoever applies the macro), or null to unassign. */
  assigneeId?: string | null | undefined;
  teamId?: string | null | undefined;
  addTags?: string[] | undefined;
  removeTags?: string[] | undefined;
  /** Ticket custom field values by key, checked against the fields when saved and applied; null clears one. */
  custom?: Record<string, unknown> | undefined;
};

/** Canned replies with placeholders, and the field changes made in the same step. */
export const macros = pgTable(
  'macros',
  {
    workspaceId: uuid('workspace_id').notNull(),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    /** Reply text with `{{customer.first_name|there}}` placeholders; empty = the macro only changes fields. */
    body: text('body').notNull().default(''),
    /** Adds the text as an internal note instead of replying to the customer. */
    internal: boolean('internal').notNull().default(false),
    actions: jsonb('actions').$type<MacroActions>().notNull().default({}),
    active: boolean('active').notNull().default(true),
    usageCount: integer('usage_count').notNull().default(0),
    lastUsedAt: ts('last_used_at'),
    createdBy: text('created_by'),
    createdAt: ts('created_at').notNull().default(msNow),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.id] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
    unique('macros_workspace_name_key').on(t.workspaceId, t.name),
  ],
);

export type SopStep = { id: string; text: string; required: boolean };

/** The standard operating procedure of a ticket type: the steps every ticket of that type carries as a checklist. */
export const sopChecklists = pgTable(
  'sop_checklists',
  {
    workspaceId: uuid('workspace_id').notNull(),
    ticketType: text('ticket_type').notNull(),
    steps: jsonb('steps').$type<SopStep[]>().notNull().default([]),
    /** A ticket of this type cannot be solved while a required step is unticked. */
    blockSolve: boolean('block_solve').notNull().default(false),
    updatedBy: text('updated_by'),
    createdAt: ts('created_at').notNull().default(msNow),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.ticketType] }),
    foreignKey({ columns: [t.workspaceId], foreignColumns: [workspaces.id] }).onDelete('cascade'),
  ],
);

export type ChecklistStep = {
  id: string;
  text: string;
  required: boolean;
  doneAt: string | null;
  doneBy: string | null;
  /** Set on a ticked step kept from the ticket's earlier type, whose SOP the new type does not have. */
  fromType?: string | undefined;
};

/** A ticket's copy of its type's SOP, with who ticked each step and when. */
export const ticketChecklists = pgTable(
  'ticket_checklists',
  {
    workspaceId: uuid('workspace_id').notNull(),
    ticketId: uuid('ticket_id').notNull(),
    ticketType: text('ticket_type').notNull(),
    steps: jsonb('steps')
      .$type<ChecklistStep[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    updatedAt: ts('updated_at').notNull().default(msNow),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.ticketId] }),
    foreignKey({ columns: [t.workspaceId, t.ticketId], foreignColumns: [tickets.workspaceId, tickets.id] }).onDelete(
      'cascade',
    ),
  ],
);
