/**
 * Report drafting, the bot service's part (issue #16): before the engine handles a 起草 message, the
 * section is drafted (the model may take seconds; the engine does no I/O), every figure checked
 * against the scored state, and the outcome handed to the engine in `DialogState.sectionDraft`.
 *
 * `assistantDrafting` puts the drafter on the Assistant port (prompts/draft-section.json through
 * `runAssistantTask`: the monthly cap, the usage count and the log line) and `enabled` on the
 * evaluation's 启用助手 switch.
 */
import type { Scored } from '../core/dialog/engine';
import { draftTarget, type SectionDraftResult } from '../core/dialog/drafting';
import { buildPlan } from '../core/dialog/plan';
import { produceDraft, type SectionDrafter } from '../core/drafting/draft';
import { sectionFacts } from '../core/drafting/facts';
import { MAX_NARRATIVE_CHARS } from '../core/dialog/turn';
import type { EvaluationRecord } from '../core/evaluation';
import { resolveFramework } from '../core/framework/resolve';
import type { InboundMessage } from '../core/messages';
import { scoreEvaluation } from '../core/scoring/engine';
import type { AssistantUsageStore } from '../store/port';
import { runAssistantTask, type AssistantSetup } from './assistant';
import type { Logger } from './ports';

/** What the bot needs to draft report sections. */
export interface DraftingDeps {
  /** Drafts one section (the Assistant port adapted: a reply's text, or null when it gave none). */
  drafter: SectionDrafter;
  /** Whether this evaluation has the assistant on (its 启用助手 / 停用助手 switch). */
  enabled: (rec: EvaluationRecord) => boolean;
  /** Replies asked for before giving up (default core/drafting DRAFT_ATTEMPTS). */
  attempts?: number;
  /** Gives up on one reply after this long (ms). */
  timeoutMs?: number;
  /** Where discarded drafts are logged (event and figures, never text). */
  logger?: Logger;
}

/**
 * For a 起草 message the sender may use on a section of this evaluation: the section drafted (or why
 * not). Undefined for any other message, or when drafting is off for the evaluation.
 */
export async function draftForMessage(msg: InboundMessage, rec: EvaluationRecord, cached: Scored | undefined, deps: DraftingDeps): Promise<SectionDraftResult | undefined> {
  if (!deps.enabled(rec)) return undefined;
  const framework = resolveFramework(rec.frameworkId, rec.framework);
  const fresh = cached && cached.revision === rec.revision ? cached : undefined;
  const result = fresh?.result ?? scoreEvaluation(framework, rec.answers, cached?.result);
  const plan = fresh?.plan ?? buildPlan(framework, rec.answers, result);
  const q = draftTarget(msg, rec, framework, plan);
  if (!q) return undefined;
  const facts = sectionFacts({ framework, answers: rec.answers, result, unit: rec.unit, year: rec.year }, q.target);
  if (!facts) return undefined;
  const log = deps.logger ? (event: string, fields: Record<string, unknown>) => deps.logger!.info(event, { evaluation: rec.id, ...fields }) : undefined;
  const outcome = await produceDraft(facts, deps.drafter, {
    maxChars: MAX_NARRATIVE_CHARS,
    ...(deps.attempts !== undefined ? { attempts: deps.attempts } : {}),
    ...(deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {}),
    ...(log ? { log } : {}),
  });
  return { key: q.target, outcome };
}

/**
 * Drafting on the configured assistant: each attempt is one `runAssistantTask` of prompts/draft-section.json
 * (over the cap or failed: no draft, and the person is asked to write the section); on only for an
 * evaluation whose organiser said 启用助手.
 */
export function assistantDrafting(setup: AssistantSetup, usage: AssistantUsageStore, now: () => Date): DraftingDeps {
  return {
    drafter: async (request) => {
      const out = await runAssistantTask(setup, usage, { name: 'draftSection', promptId: 'draft-section', vars: request.variables, at: now() });
      return out.ok ? { text: out.text } : null;
    },
    enabled: (rec) => rec.assistant?.enabled === true,
    logger: setup.logger,
  };
}
