/**
 * The framework file format (指标体系), as zod schemas. A framework is data: indicators, facts, metrics,
 * rules, grade bands, bonus/penalty sections and key-task slots. See docs/domain.md for the vocabulary.
 *
 * Structural checks that zod cannot express (points adding up, formulas naming known facts, bands
 * covering the line) live in `load.ts`.
 */
import { z } from 'zod';

/** A comparison with a number. `gte`/`lte` include the number (以上, 不低于, （含）), `gt`/`lt` exclude it (超过, 低于). */
export const boundsSchema = z
  .object({
    eq: z.number().optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
  })
  .strict();
export type Bounds = z.infer<typeof boundsSchema>;

/** One band of a `bands` rule: where the metric falls, and the score it earns. */
export const bandSchema = boundsSchema.extend({ score: z.number().min(0) }).strict();
export type Band = z.infer<typeof bandSchema>;

const direction = z.enum(['higher', 'lower']);
/** 'discretionary': a person decides the score in [0, points] and gives a reason. */
const otherwiseSchema = z.union([z.number().min(0), z.literal('discretionary')]);

/**
 * Partial credit on a yes/no judgement (shape 1 with a clause of shape 14: "…的得1分，部分做到的酌情打分").
 * Besides yes (the points) and no (`noScore`), the evaluator may answer "partly" with a score and a
 * reason. `true`: the score lies strictly between `noScore` and the points (equal to either it is a
 * plain no or yes). `{ min, max }`: inclusive bounds set by the criteria; an end left out stays strict
 * at `noScore` or the points.
 */
export const partialCreditSchema = z.union([
  z.literal(true),
  z
    .object({
      /** Lowest partial score, inclusive (default: above `noScore`). */
      min: z.number().min(0).optional(),
      /** Highest partial score, inclusive (default: below the points). */
      max: z.number().min(0).optional(),
    })
    .strict(),
]);
export type PartialCredit = z.infer<typeof partialCreditSchema>;

/**
 * Shape 1 (all or nothing): a yes/no judgement. `yes`/`no` are the report's words for each outcome.
 * With `partial`, also "partly": a score between no and yes that the evaluator sets with a reason.
 */
export const judgementRuleSchema = z
  .object({
    kind: z.literal('judgement'),
    question: z.string().min(1),
    yes: z.string().min(1),
    no: z.string().min(1),
    /** Score when the answer is no (default 0). */
    noScore: z.number().min(0).optional(),
    /** Partial credit allowed ("部分做到的酌情打分"): see `partialCreditSchema`. */
    partial: partialCreditSchema.optional(),
  })
  .strict();

/** Where a partial score may lie: `[min, max]`, each end inclusive or not. */
export interface PartialRange {
  min: number;
  minIncluded: boolean;
  max: number;
  maxIncluded: boolean;
}

/** The range of a partial score for a judgement rule worth `points`; undefined when the rule allows none. */
export function partialRange(rule: JudgementRule, points: number): PartialRange | undefined {
  const p = rule.partial;
  if (p === undefined) return undefined;
  const o = p === true ? {} : p;
  return {
    min: o.min ?? rule.noScore ?? 0,
    minIncluded: o.min !== undefined,
    max: o.max ?? points,
    maxIncluded: o.max !== undefined,
  };
}

/** Whether `score` lies within a partial range (scores are short decimals; compared in hundredths). */
export function inPartialRange(r: PartialRange, score: number): boolean {
  const c = (a: number, b: number) => Math.round(a * 100) - Math.round(b * 100);
  const lo = c(score, r.min);
  const hi = c(r.max, score);
  return (r.minIncluded ? lo >= 0 : lo > 0) && (r.maxIncluded ? hi >= 0 : hi > 0);
}

/** Shapes 2, 6, 7: bands over a metric (two tiers, 80%(含)-90%, an exact-zero band…). */
export const bandsRuleSchema = z
  .object({
    kind: z.literal('bands'),
    metric: z.string().min(1),
    direction: direction.optional(),
    bands: z.array(bandSchema).min(1),
    /** Score outside every band. Without it the bands must cover every value. */
    otherwise: otherwiseSchema.optional(),
  })
  .strict();

/**
 * Shapes 3, 4, 5: full points while the metric meets `full`; beyond it, `deduct` points per `step`
 * percentage points of distance; 0 once `cutoff` holds; never below 0 (扣完为止).
 */
export const stepsRuleSchema = z
  .object({
    kind: z.literal('steps'),
    metric: z.string().min(1),
    direction,
    full: boundsSchema,
    step: z.number().positive(),
    deduct: z.number().positive(),
    /** How a started step counts: every started step (ceil, default), whole steps only (floor), or pro rata. */
    partial: z.enum(['ceil', 'floor', 'proportional']).optional(),
    cutoff: boundsSchema.optional(),
  })
  .strict();

/** Shape 8: score in proportion to the metric against a target, capped at the points (满分为止). */
export const proportionalRuleSchema = z
  .object({
    kind: z.literal('proportional'),
    metric: z.string().min(1),
    direction,
    /** Target value in the metric's unit (default 100). Higher: value/target × points; lower: target/value × points. */
    target: z.number().positive().optional(),
  })
  .strict();

/** Shape 9: an additive checklist; each item met earns its points. */
export const checklistRuleSchema = z
  .object({
    kind: z.literal('checklist'),
    question: z.string().min(1),
    items: z
      .array(z.object({ key: z.string().min(1), label: z.string().min(1), points: z.number().positive() }).strict())
      .min(1),
  })
  .strict();

/** Shape 10: `deduct` points for every violation, floor 0 (扣完为止). */
export const perViolationRuleSchema = z
  .object({
    kind: z.literal('per_violation'),
    question: z.string().min(1),
    deduct: z.number().positive(),
    /** What is counted, for the reason sentence (e.g. "不符合要求的情况"). */
    counted: z.string().min(1),
  })
  .strict();

/** Shape 11: a graded judgement. A level has a fixed score, or a share range of the points within which a person picks. */
export const gradedRuleSchema = z
  .object({
    kind: z.literal('graded'),
    question: z.string().min(1),
    levels: z
      .array(
        z
          .object({
            label: z.string().min(1),
            score: z.number().min(0).optional(),
            minShare: z.number().min(0).max(1).optional(),
            maxShare: z.number().min(0).max(1).optional(),
            /**
             * The finding as the report states it, a clause of official prose ("事前评估、目标管理…部分环节开展不充分");
             * without it the report says "经评价，<label>".
             */
            report: z.string().min(1).optional(),
          })
          .strict(),
      )
      .min(2),
  })
  .strict();

/** Shape 12: full points while `actual` does not exceed `limit` (不超支); otherwise `over`. */
export const notExceedingRuleSchema = z
  .object({
    kind: z.literal('not_exceeding'),
    actual: z.string().min(1),
    limit: z.string().min(1),
    over: otherwiseSchema,
  })
  .strict();

/** Shape 14: a person decides the score and must give a reason for every lost point (酌情). */
export const discretionaryRuleSchema = z
  .object({
    kind: z.literal('discretionary'),
    question: z.string().min(1),
  })
  .strict();

/** Every rule kind an indicator can carry. Shape 13 (bonus table) and 14 (penalties) also appear as framework sections; shape 15 (not applicable) applies to any indicator. */
export const ruleSchema = z.discriminatedUnion('kind', [
  judgementRuleSchema,
  bandsRuleSchema,
  stepsRuleSchema,
  proportionalRuleSchema,
  checklistRuleSchema,
  perViolationRuleSchema,
  gradedRuleSchema,
  notExceedingRuleSchema,
  discretionaryRuleSchema,
]);
export type Rule = z.infer<typeof ruleSchema>;
export type RuleKind = Rule['kind'];
export type JudgementRule = z.infer<typeof judgementRuleSchema>;
export type BandsRule = z.infer<typeof bandsRuleSchema>;
export type StepsRule = z.infer<typeof stepsRuleSchema>;
export type ProportionalRule = z.infer<typeof proportionalRuleSchema>;
export type ChecklistRule = z.infer<typeof checklistRuleSchema>;
export type PerViolationRule = z.infer<typeof perViolationRuleSchema>;
export type GradedRule = z.infer<typeof gradedRuleSchema>;
export type NotExceedingRule = z.infer<typeof notExceedingRuleSchema>;
export type DiscretionaryRule = z.infer<typeof discretionaryRuleSchema>;

/** A raw figure someone enters once (基础数据). */
export const factSchema = z
  .object({
    key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an ASCII identifier'),
    label: z.string().min(1),
    /** 万元, %, 个, 次, 人, 件, 元… */
    unit: z.string(),
    question: z.string().min(1),
    min: z.number().optional(),
    max: z.number().optional(),
    integer: z.boolean().optional(),
    /** Code of the indicator (level 1 or 2) whose section asks this fact. */
    section: z.string().optional(),
    help: z.string().optional(),
  })
  .strict();
export type Fact = z.infer<typeof factSchema>;

/** A derived or directly entered quantity (预算执行率…). */
export const metricSchema = z
  .object({
    key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an ASCII identifier'),
    label: z.string().min(1),
    unit: z.string(),
    /** Over facts and other metrics, e.g. "spending / (adjustedBudget + carryoverStart) * 100". */
    formula: z.string().optional(),
    /** May be entered directly (always true without a formula). */
    direct: z.boolean().optional(),
    /** How to ask for a direct value; required when the metric may be entered directly. */
    question: z.string().optional(),
    decimals: z.number().int().min(0).max(6).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    section: z.string().optional(),
    synonyms: z.array(z.string()).optional(),
  })
  .strict();
export type Metric = z.infer<typeof metricSchema>;

/** A consistency check between figures, e.g. 年末结转和结余 = 预算 + 年初结转 − 支出. */
export const checkSchema = z
  .object({
    key: z.string().min(1),
    label: z.string().min(1),
    left: z.string().min(1),
    right: z.string().min(1),
    /** Largest difference still taken as equal, in the figures' unit. */
    tolerance: z.number().min(0),
  })
  .strict();
export type Check = z.infer<typeof checkSchema>;

/** A slot for the unit's own items (部门履职 key tasks, 信息化建设 items): names and points come with the answers. */
export const keyTaskSlotSchema = z
  .object({
    /** How to ask for the items. */
    question: z.string().min(1),
    minItems: z.number().int().min(1).optional(),
    maxItems: z.number().int().min(1).optional(),
    /** Rule kinds an item may carry; the first is the default. */
    kinds: z.array(z.enum(['judgement', 'proportional', 'bands', 'graded', 'discretionary'])).min(1).optional(),
    /**
     * Items judged yes/no may be partly done ("部分未达到的按完成程度在档内打分"): their default rule takes a
     * partial score with a reason, as a judgement rule's `partial`.
     */
    partial: z.literal(true).optional(),
  })
  .strict();
export type KeyTaskSlot = z.infer<typeof keyTaskSlotSchema>;

/** An indicator as written in a framework file. Level comes from depth (1–3); only leaves carry rules. */
export interface IndicatorInput {
  code: string;
  name: string;
  points: number;
  description?: string | undefined;
  criteria?: string | undefined;
  rule?: Rule | undefined;
  children?: IndicatorInput[] | undefined;
  keyTasks?: KeyTaskSlot | undefined;
  /** Cannot be marked not applicable. */
  required?: boolean | undefined;
  /** Where a weight or threshold was assumed rather than found in a document. */
  note?: string | undefined;
}

export const indicatorSchema: z.ZodType<IndicatorInput> = z.lazy(() =>
  z
    .object({
      code: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be letters, digits, "_", "." or "-"'),
      name: z.string().min(1),
      points: z.number().positive(),
      description: z.string().optional(),
      criteria: z.string().optional(),
      rule: ruleSchema.optional(),
      children: z.array(indicatorSchema).optional(),
      keyTasks: keyTaskSlotSchema.optional(),
      required: z.boolean().optional(),
      note: z.string().optional(),
    })
    .strict(),
);

/** Shape 13: a bonus table, capped; awards for the same work do not add up (同一项工作不累计加分). */
export const bonusSectionSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    criteria: z.string().optional(),
    cap: z.number().positive(),
    cumulative: z.boolean(),
    items: z
      .array(z.object({ key: z.string().min(1), label: z.string().min(1), points: z.number().positive() }).strict())
      .min(1),
  })
  .strict();
export type BonusSection = z.infer<typeof bonusSectionSchema>;

/** Shape 14 as a section: discretionary deductions, each with a reason (违法违纪，酌情扣分). */
export const penaltySectionSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    criteria: z.string().optional(),
    cap: z.number().positive().optional(),
  })
  .strict();
export type PenaltySection = z.infer<typeof penaltySectionSchema>;

/** A grade band (等级). Bands must cover [0, ∞) without gaps or overlaps. */
export const gradeBandSchema = boundsSchema.omit({ eq: true }).extend({ grade: z.string().min(1) }).strict();
export type GradeBand = z.infer<typeof gradeBandSchema>;

/** A narrative part of the report, asked as free text (部门概况, 履职成效…). */
export const narrativeSchema = z
  .object({
    key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
    title: z.string().min(1),
    question: z.string().min(1),
  })
  .strict();
export type Narrative = z.infer<typeof narrativeSchema>;

export const frameworkSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and "-"'),
    name: z.string().min(1),
    description: z.string().optional(),
    source: z
      .object({
        /** Documents the framework and its weights come from. */
        documents: z.array(z.string().min(1)),
        /** 'document' when every weight is from the documents; 'default' when they are our defaults. */
        weights: z.enum(['document', 'default']),
        note: z.string().optional(),
      })
      .strict(),
    /** The base score's full mark (100). */
    basePoints: z.number().positive().optional(),
    facts: z.array(factSchema),
    metrics: z.array(metricSchema),
    checks: z.array(checkSchema).optional(),
    indicators: z.array(indicatorSchema).min(1),
    bonus: bonusSectionSchema.optional(),
    penalty: penaltySectionSchema.optional(),
    /** The bonus/penalty block's name in tables and the report (default 加减分项). */
    adjustmentsName: z.string().optional(),
    grades: z.array(gradeBandSchema).min(1),
    narratives: z.array(narrativeSchema).optional(),
  })
  .strict();
export type FrameworkInput = z.infer<typeof frameworkSchema>;
