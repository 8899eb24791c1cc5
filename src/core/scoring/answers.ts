/**
 * The answers format: everything people supply for one evaluation, independent of how it was collected
 * (chat, answers file, import). Scoring reads only this and the framework.
 */
import { z } from 'zod';
import { boundsSchema, ruleSchema } from '../framework/schema';

/** 佐证材料: a document backing an answer. A plain string is taken as its title. */
export const evidenceSchema = z.union([
  z.string().min(1),
  z
    .object({
      title: z.string().min(1),
      /** 文号, e.g. 宁数党发〔2024〕1号 */
      docNo: z.string().optional(),
      file: z.string().optional(),
    })
    .strict(),
]);
export type Evidence = z.infer<typeof evidenceSchema>;

/**
 * The answer to an indicator's own question. Shorthands: `true`/`false` (judgement), a number
 * (per-violation count), a string array (checklist items). The object form carries what each kind needs:
 * `value` (judgement), `level` (+`score` for a share range) for graded, `items`, `count`, or `score` for
 * discretionary decisions; `reason` explains any lost point. A judgement whose rule allows partial
 * credit may instead be `{ partial: true, score, reason }` (no `value`; the reason is required).
 */
export const judgementAnswerSchema = z.union([
  z.boolean(),
  z.number(),
  z.array(z.string()),
  z
    .object({
      value: z.boolean().optional(),
      /** Partly done (a judgement whose rule has `partial`): scores `score`, explained by `reason`. */
      partial: z.literal(true).optional(),
      level: z.string().optional(),
      items: z.array(z.string()).optional(),
      count: z.number().optional(),
      score: z.number().optional(),
      /** The achieved value of a key task measured against a target (e.g. a completion rate in %). */
      actual: z.number().optional(),
      reason: z.string().optional(),
    })
    .strict(),
]);
export type JudgementAnswer = z.infer<typeof judgementAnswerSchema>;

/** A conclusion in place of a figure: the range the figure lies in, and what the unit bases it on. */
export const conclusionSchema = z
  .object({
    bounds: boundsSchema,
    basis: z.string().optional(),
  })
  .strict();
export type Conclusion = z.infer<typeof conclusionSchema>;

/** A key task (重点工作) the unit fills into a slot: its name, points and optionally its own rule. */
export const keyTaskSchema = z
  .object({
    code: z.string().regex(/^[A-Za-z0-9_.-]+$/).optional(),
    name: z.string().min(1),
    points: z.number().positive(),
    description: z.string().optional(),
    criteria: z.string().optional(),
    rule: ruleSchema.optional(),
    /** A target (e.g. 90 for "完成率达到90%及以上"): the task is then scored in proportion to what it achieved, capped at full marks. */
    target: z.number().positive().optional(),
    /** What the target measures (default 完成率) and its unit (default %). */
    measure: z.string().min(1).optional(),
    unit: z.string().optional(),
  })
  .strict();
export type KeyTask = z.infer<typeof keyTaskSchema>;

/** An award claimed in the bonus table. Awards with the same `work` do not add up. */
export const bonusAwardSchema = z
  .object({
    item: z.string().min(1),
    work: z.string().optional(),
    evidence: evidenceSchema.optional(),
  })
  .strict();
export type BonusAward = z.infer<typeof bonusAwardSchema>;

/** A discretionary deduction (减分项): points and a reason, always. */
export const penaltySchema = z
  .object({
    points: z.number().positive(),
    reason: z.string().min(1),
  })
  .strict();
export type Penalty = z.infer<typeof penaltySchema>;

export const answersSchema = z
  .object({
    framework: z.string().optional(),
    unit: z.string().optional(),
    year: z.number().int().optional(),
    /** Raw figures by fact key, in the fact's unit (万元 for money). */
    facts: z.record(z.string(), z.number()).optional(),
    /** Metrics entered directly, by metric key. */
    metrics: z.record(z.string(), z.number()).optional(),
    /** Which value stands where a direct metric disagrees with the one computed from facts. */
    metricChoice: z.record(z.string(), z.enum(['direct', 'computed'])).optional(),
    /** Why that value stands (by metric key), as the person gave it. */
    choiceReasons: z.record(z.string(), z.string().min(1)).optional(),
    /** Facts and metrics the unit has no figure for (for a metric that is also computed: no separately reported figure). */
    noFigure: z.array(z.string()).optional(),
    /** Where a metric lies when the unit has no figure for it ("超过90%"), with the basis of that conclusion. */
    conclusions: z.record(z.string(), conclusionSchema).optional(),
    /** Facts and metrics given as approximate figures ("约85%"), accepted where no score depends on the difference. */
    approximate: z.array(z.string()).optional(),
    /** Answers to indicators' own questions, by indicator code. */
    judgements: z.record(z.string(), judgementAnswerSchema).optional(),
    /** Key tasks by slot code. */
    keyTasks: z.record(z.string(), z.array(keyTaskSchema)).optional(),
    bonus: z.array(bonusAwardSchema).optional(),
    penalties: z.array(penaltySchema).optional(),
    /** Indicators that do not apply, with the reason, by code. */
    notApplicable: z.record(z.string(), z.string().min(1)).optional(),
    /** Evidence by indicator code or fact/metric key. */
    evidence: z.record(z.string(), z.union([evidenceSchema, z.array(evidenceSchema)])).optional(),
    /** Consistency checks (e.g. the balance) a person confirmed as correct despite the difference. */
    confirmedChecks: z.array(z.string()).optional(),
    /** Report prose by narrative key (部门概况, 履职成效…). */
    narratives: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type Answers = z.infer<typeof answersSchema>;

/** An empty answers object. */
export function createAnswers(): Answers {
  return { facts: {}, metrics: {}, judgements: {}, keyTasks: {}, bonus: [], penalties: [], notApplicable: {}, evidence: {} };
}
