/**
 * The inbox's statements written by hand, as Rapport's tickets repository builds them (src/modules/tickets): the
 * bare server runs them, and the inbox benchmark measures what each costs PostgreSQL on its own connection.
 * $1 is the workspace, $2 the agent.
 */
const openTickets = `workspace_id = $1 and merged_into_id is null and status in ('new', 'open', 'pending', 'on_hold')`;
const breaching = `sla_breach_at <= (select now() + interval '2 hours')`;
const queueWhere: Record<string, string> = {
  all: 'workspace_id = $1 and merged_into_id is null',
  open: openTickets,
  mine: `${openTickets} and assignee_id = $2`,
  unassigned: `${openTickets} and assignee_id is null`,
  my_teams: `${openTickets} and team_id in (select team_id from team_members where workspace_id = $1 and user_id = $2)`,
  breaching: `${openTickets} and ${breaching}`,
};

/**
 * Each ticket as the inbox lists it (GET /api/v1/tickets/summaries): the columns as stored, which the server writes
 * as JSON (as Rapport's summaries do).
 */
const summaryColumns = `id, number, subject, type, priority, status, channel, person_id, assignee_id, team_id, tags,
  sla_due, last_customer_message_at, status_changed_at, created_at, updated_at`;

/** A queue page of summaries (one row more than the page, for the cursor), newest update first. */
export function queuePageSql(queue: string, limit: number): { text: string; usesAgent: boolean } {
  const where = queueWhere[queue] ?? (queueWhere.all as string);
  return {
    text: `select ${summaryColumns} from tickets where ${where} order by updated_at desc, id desc limit ${limit + 1}`,
    usesAgent: where.includes('$2'),
  };
}

/** The side bar's counts for one agent, in one statement over the open tickets. */
export const queueCountsSql = `select count(*) filter (where assignee_id = $2) as mine,
       count(*) filter (where assignee_id is null) as unassigned,
       count(*) filter (where team_id = any(array(select team_id from team_members where workspace_id = $1 and user_id = $2))) as my_teams,
       count(*) filter (where ${breaching}) as breaching,
       count(*) as open
  from tickets where ${openTickets}`;

/** What Rapport reads for the counts (once for the requests that arrive together): open tickets by assignee and team. */
export const openGroupsSql = `select assignee_id, team_id, count(*)::int as open, (count(*) filter (where ${breaching}))::int as breaching
  from tickets where ${openTickets} group by assignee_id, team_id`;
