/**
 * Lifecycle stage rules on the scores: "move people matching these filters to this stage" (e.g. at_risk when
 * `p_alive:lt:0.3` and `stage:in:customer|loyal`), applied after every refit through the bulk action — so each move
 * is one stage change with its event, history entry and reason. Filters are the people list's language, so a rule
 * may use any field: the predictive scores (`p_alive`, `churn_risk`, `predicted_clv`, `rfm_segment`), stage, tags,
 * custom fields.
 */
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client.ts';
import { workspaces } from '../../db/schema/index.ts';
import { ListQueryError, parseListQuery } from '../../domain/list-query.ts';
import { systemActor, type Actor } from '../../domain/permissions.ts';
import { AppError } from '../../errors.ts';
import { createBulkService } from '../bulk/bulk.service.ts';
import { createCompaniesService } from '../companies/companies.service.ts';
import { listCustomFields } from '../fields/fields.repository.ts';
import { personListColumns } from '../people/people.repository.ts';
import { createPeopleService, workspaceStages } from '../people/people.service.ts';
import { findWorkspace } from '../workspaces/workspaces.repository.ts';
import { assertCan } from '../auth/access.ts';

export const stageRuleSchema = z.object({
  stage: z.string().min(1).describe('The stage to move matching people to'),
  filter: z
    .array(z.string().min(1))
    .min(1)
    .max(10)
    .describe('People list filters, all must hold, e.g. ["p_alive:lt:0.3", "stage:in:customer|loyal"]'),
  reason: z.string().max(200).optional().describe('Recorded with each stage change (default: the rule in words)'),
});
export const stageRulesSchema = z.array(stageRuleSchema).max(20);
export type StageRule = z.infer<typeof stageRuleSchema>;

const settingsKey = 'predictionStageRules';

export async function readStageRules(db: Db, workspaceId: string): Promise<StageRule[]> {
  const w = await findWorkspace(db, workspaceId);
  const parsed = stageRulesSchema.safeParse(w?.settings[settingsKey] ?? []);
  return parsed.success ? parsed.data : [];
}

/** Checks every rule (the stage exists, the filters parse) and stores them; errors name the rule and the problem. */
export async function saveStageRules(db: Db, actor: Actor, rules: StageRule[]): Promise<StageRule[]> {
  assertCan(actor, 'workspace:manage');
  const ws = actor.workspaceId;
  const [defs, stages] = await Promise.all([listCustomFields(db, ws, 'person'), workspaceStages(db, ws)]);
  const keys = stages.map((s) => s.key);
  const cols = personListColumns(defs, keys, ws);
  const problems: Array<{ field: string; message: string }> = [];
  rules.forEach((r, i) => {
    if (!keys.includes(r.stage))
      problems.push({ field: `rules[${i}].stage`, message: `is not a stage: use one of ${keys.join(', ')}` });
    try {
      parseListQuery({ filter: r.filter }, cols.specs, { field: 'created_at', direction: 'desc' });
    } catch (e) {
      if (!(e instanceof ListQueryError)) throw e;
      for (const p of e.problems) problems.push({ field: `rules[${i}].filter`, message: p.message });
    }
  });
  if (problems.length) throw new AppError('validation_failed', 'Invalid stage rules', { problems });
  // Only this key of the settings, set in the statement: settings read first and written back whole would undo a
  // change of another setting made in between.
  const [w] = await db
    .update(workspaces)
    .set({
      settings: sql`${workspaces.settings} || ${JSON.stringify({ [settingsKey]: rules })}::jsonb`,
      updatedAt: new Date(),
    })
    .where(eq(workspaces.id, ws))
    .returning({ id: workspaces.id });
  if (!w) throw AppError.notFound('Workspace');
  return rules;
}

/** Applies the workspace's rules in order; returns how many people each moved. */
export async function applyStageRules(db: Db, workspaceId: string): Promise<number[]> {
  const rules = await readStageRules(db, workspaceId);
  if (!rules.length) return [];
  const bulk = createBulkService({
    db,
    people: createPeopleService({ db }),
    companies: createCompaniesService({ db }),
  });
  const actor = systemActor(workspaceId);
  const moved: number[] = [];
  for (const r of rules) {
    const result = await bulk.execute(actor, 'person', {
      selection: { filter: r.filter },
      action: 'set_stage',
      value: r.stage,
      reason: r.reason ?? `Stage rule: ${r.filter.join(' and ')}`,
    });
    moved.push(result.changed);
  }
  return moved;
}
