import { sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../../db/client.ts';
import { rowsFromJson } from '../../db/json-rows.ts';
import { conversations, messages, people, rules, sopChecklists, workspaces } from '../../db/schema/index.ts';
import type { RuleTrigger } from '../../domain/rules.ts';
import type { PersonRow } from '../people/people.repository.ts';
import type { RuleRow } from '../rules/rules.repository.ts';
import { slaConfigColumns, slaConfigFromJson, type SlaConfig } from '../sla/sla.service.ts';
import type { SopRow } from '../sops/sops.repository.ts';
import { ticketNumberSql, type ConversationRow } from './tickets.repository.ts';

/** What an inbound message needs of its workspace's set-up, read in one statement. */
export type InboundConfig = {
  settings: Record<string, unknown>;
  /** The active rules of each trigger an inbound message can fire, in the order they run. */
  rules: Record<'ticket.created' | 'ticket.message_received', RuleRow[]>;
  /** As `slaConfig` returns it. */
  sla: SlaConfig;
  /** The SOP checklist of each ticket type that has one. */
  sops: Map<string, SopRow>;
  /** The direction of the newest message stored with the asked e-mail Message-ID, if any (a duplicate delivery). */
  duplicateDirection: string | null;
  /** The people with the asked e-mail address, oldest first, as `findPeopleByEmails` returns them (when asked). */
  peopleByEmail: { email: string; people: PersonRow[] } | null;
  /** The workspace's next ticket number, taken when asked (a message that will open a ticket); else null. */
  ticketNumber: number | null;
  /**
   * When asked with `replyTo`: the conversation of the newest stored message with one of those Message-IDs (as
   * `findMessageByEmailIds` then `findConversation` find it), or null; undefined when not asked.
   */
  thread: ConversationRow | null | undefined;
};

/** What the message itself asks besides the set-up: its Message-ID and its sender's (normalised) address. */
export type InboundLookups = {
  emailMessageId?: string | null | undefined;
  email?: string | null | undefined;
  /** Take the next ticket number too (a number taken and not used stays unused, as when a transaction rolls back). */
  takeTicketNumber?: boolean | undefined;
  /** The Message-IDs the message answers (In-Reply-To, References): look up its thread. */
  replyTo?: string[] | undefined;
};

/** The part of an InboundConfig that is the workspace's set-up (versioned by `workspaces.setup_version`). */
export type InboundSetup = Pick<InboundConfig, 'settings' | 'rules' | 'sla' | 'sops'>;

/**
 * Set-ups already read, by workspace, each with the `setup_version` it was read at and the parts read so far (an
 * inbound message reads all of them, a reply only the SLA configuration): one per service (so per database). The
 * version moves on in the transaction of any change to the set-up (triggers, migration 0025), so a part kept at the
 * version still stored is the stored part. Treat what it holds as read-only.
 */
export type SetupCache = Map<string, { version: number; parts: Partial<InboundSetup> }>;

/** How many workspaces' set-ups one cache keeps; past that it starts again. */
const setupCacheSize = 1000;

/**
 * What is kept of these parts, taken before the read: the version to send with it (the kept one when every part is
 * kept, else -1: read them) and the parts kept at that version — held here, as the cache may move to another version
 * while the read runs.
 */
export function keptSetup(
  cache: SetupCache | undefined,
  workspaceId: string,
  parts: ReadonlyArray<keyof InboundSetup>,
): { version: number; parts: Partial<InboundSetup> } {
  const kept = cache?.get(workspaceId);
  return kept && parts.every((p) => kept.parts[p] !== undefined)
    ? { version: kept.version, parts: kept.parts }
    : { version: -1, parts: {} };
}

/** Keeps parts read at `version`, with the others kept at that version; an older version does not replace a newer. */
export function keepSetup(
  cache: SetupCache | undefined,
  workspaceId: string,
  version: number | null,
  parts: Partial<InboundSetup>,
): void {
  if (!cache || version === null) return;
  const kept = cache.get(workspaceId);
  if (kept && kept.version === version) kept.parts = { ...kept.parts, ...parts };
  else if (!kept || kept.version < version) {
    if (cache.size >= setupCacheSize) cache.clear();
    cache.set(workspaceId, { version, parts: { ...parts } });
  }
}

/** The workspace's set-up version, for a statement's `v` (see unlessSetupVersion). */
export const setupVersionSql = (workspaceId: string) =>
  sql`(select w.setup_version from ${workspaces} w where w.id = ${workspaceId})`;

/** `column` only when the stored version (`v.version`) is not `known` (PostgreSQL skips the other branch). */
export const unlessSetupVersion = (known: number, column: SQL) =>
  sql`case when v.version is distinct from ${known}::bigint then ${column} end`;

/**
 * The workspace's settings, the active rules of the two inbound triggers, the active SLA policies with their
 * calendars and the SOP checklists — what `activeRules`, `slaConfig`, `findWorkspace` and `findSop` would read in
 * five statements, in one (each statement of a message's transaction costs about as much in the server as in
 * PostgreSQL: the inbound mail path is bound by their number). With `cache`, the statement reads the set-up's
 * version and the set-up itself only when it is not the version kept (PostgreSQL skips the other branch of a CASE):
 * the same snapshot answers both, so what it returns is what it would have read.
 */
export async function inboundConfig(
  tx: DbOrTx,
  workspaceId: string,
  lookups: InboundLookups = {},
  cache?: SetupCache,
): Promise<InboundConfig> {
  const triggers: RuleTrigger[] = ['ticket.created', 'ticket.message_received'];
  const { emailMessageId, email, takeTicketNumber } = lookups;
  const replyTo = lookups.replyTo?.length ? lookups.replyTo : null;
  const sla = slaConfigColumns(workspaceId);
  const kept = keptSetup(cache, workspaceId, ['settings', 'rules', 'sla', 'sops']);
  // Each set-up column only when the stored version is not the kept one (always without a cache).
  const unlessKept = (column: SQL) => unlessSetupVersion(kept.version, column);
  const [r] = rowsOf<{
    version: number | string | null;
    settings: unknown;
    rules: unknown;
    policies: unknown;
    calendars: unknown;
    sops: unknown;
    duplicate: string | null;
    people: unknown;
    ticket_number: number | null;
    thread: unknown;
  }>(
    await tx.execute(sql`
      with v as (select ${setupVersionSql(workspaceId)} as version)
      select
        v.version,
        ${unlessKept(sql`(select w.settings from ${workspaces} w where w.id = ${workspaceId})`)} as settings,
        ${unlessKept(sql`(select coalesce(json_agg(r order by r.position, r.created_at), '[]') from ${rules} r
          where r.workspace_id = ${workspaceId} and r.active
            and r.trigger in (${sql.join(
              triggers.map((t) => sql`${t}`),
              sql`, `,
            )}))`)} as rules,
        ${unlessKept(sla.policies)} as policies,
        ${unlessKept(sla.calendars)} as calendars,
        ${unlessKept(sql`(select coalesce(json_agg(s), '[]') from ${sopChecklists} s where s.workspace_id = ${workspaceId})`)} as sops,
        ${
          emailMessageId
            ? sql`(select m.direction from ${messages} m where m.workspace_id = ${workspaceId}
                and m.email_message_id = ${emailMessageId} order by m.created_at desc limit 1)`
            : sql`null`
        } as duplicate,
        ${
          // Aggregated, then ordered: no "order by … limit" a planner could serve from the creation-time index.
          email
            ? sql`(select coalesce(json_agg(p order by p.created_at), '[]') from ${people} p
                where p.workspace_id = ${workspaceId} and p.emails && array[${email}]::text[])`
            : sql`null`
        } as people,
        ${takeTicketNumber ? ticketNumberSql(workspaceId) : sql`null::integer`} as ticket_number,
        ${
          replyTo
            ? sql`(select coalesce(json_agg(t), '[]') from (
                select c.* from ${messages} m
                  join ${conversations} c on c.workspace_id = m.workspace_id and c.id = m.conversation_id
                 where m.workspace_id = ${workspaceId} and m.email_message_id in (${sql.join(
                   replyTo.map((id) => sql`${id}`),
                   sql`, `,
                 )})
                 order by m.created_at desc limit 1) t)`
            : sql`null`
        } as thread
      from v`),
  );
  const version = r?.version === null || r?.version === undefined ? null : Number(r.version);
  let setup: InboundSetup;
  if (version !== null && version === kept.version) setup = kept.parts as InboundSetup;
  else {
    const ruleRows = rowsFromJson(rules, r?.rules);
    const settings = r?.settings;
    setup = {
      settings: settings && typeof settings === 'object' ? (settings as Record<string, unknown>) : {},
      rules: {
        'ticket.created': ruleRows.filter((x) => x.trigger === 'ticket.created'),
        'ticket.message_received': ruleRows.filter((x) => x.trigger === 'ticket.message_received'),
      },
      sla: slaConfigFromJson(r?.policies, r?.calendars),
      sops: new Map(rowsFromJson(sopChecklists, r?.sops).map((s) => [s.ticketType, s])),
    };
    keepSetup(cache, workspaceId, version, setup);
  }
  return {
    ...setup,
    duplicateDirection: r?.duplicate ?? null,
    peopleByEmail: email ? { email, people: rowsFromJson(people, r?.people) } : null,
    ticketNumber: r?.ticket_number ?? null,
    thread: replyTo ? (rowsFromJson(conversations, r?.thread)[0] ?? null) : undefined,
  };
}
