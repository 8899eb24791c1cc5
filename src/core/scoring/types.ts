/** The result of scoring: what every reply, query, reminder and report reads. */
import type { Rule } from '../framework/schema';

/** What an indicator still needs before it can be scored. */
export type MissingInput =
  | { kind: 'fact'; key: string }
  /** A metric: enter it directly (when allowed) or the facts in `via`. */
  | { kind: 'metric'; key: string; via: string[] }
  /** The indicator's own question (judgement, level, checklist, count, discretionary score). */
  | { kind: 'judgement'; code: string }
  /** The metric is known but falls where the rule leaves the score to a person (a score and a reason). */
  | { kind: 'decision'; code: string }
  /** A direct metric disagrees with the facts: say which stands. */
  | { kind: 'confirm'; key: string }
  /** The unit has no figure for the metric: where it lies (a conclusion with its basis). */
  | { kind: 'conclusion'; key: string }
  /** The unit's key tasks for this slot. */
  | { kind: 'keyTasks'; code: string };

export type IndicatorStatus = 'complete' | 'missing' | 'not_applicable';

/** One indicator's score. Parents sum their children; `score` is what is known so far. */
export interface IndicatorScore {
  code: string;
  name: string;
  level: number;
  points: number;
  /** null for a leaf whose inputs are incomplete or that does not apply. */
  score: number | null;
  status: IndicatorStatus;
  /** Chinese sentences in the reports' style, e.g. "预算执行率85.72%，低于90%，得1分（满分2分）". */
  reasons: string[];
  /** Points lost (points − score) for complete indicators. */
  lost: number | null;
  missing: MissingInput[];
  parent?: string;
  children: string[];
  description: string;
  criteria: string;
  rule?: Rule;
  keyTask?: boolean;
  /** A slot for the unit's key tasks. */
  slot?: boolean;
  note?: string;
}

/** A metric's value and where it came from. */
export interface MetricValue {
  key: string;
  label: string;
  unit: string;
  /** Rounded to the metric's decimals; this is the value rules compare. */
  value: number;
  source: 'computed' | 'direct';
  /** "5959.46 ÷ (6091.91 + 860.29)": the formula with the figures, when computed. */
  workings?: string;
  /** The formula in words: "本年支出数 ÷ (调整后预算数 + 年初结转和结余)". */
  formulaText?: string;
  computed?: number;
  direct?: number;
}

export interface Inconsistency {
  kind: 'metric_conflict' | 'check_failed';
  key: string;
  message: string;
  /** Settled by the answers: a metric conflict by `metricChoice`, a failed check by `confirmedChecks`. */
  resolved: boolean;
}

export interface Deduction {
  code: string;
  name: string;
  lost: number;
  reasons: string[];
}

export interface AdjustmentScore {
  name: string;
  score: number;
  cap?: number;
  reasons: string[];
}

export interface ScoreResult {
  frameworkId: string;
  /** Every indicator in tree order (parents before children), key-task items included. */
  indicators: IndicatorScore[];
  /** Level-1 codes in order. */
  roots: string[];
  /** Base score on the framework's basePoints (re-based to 100 when indicators do not apply). */
  base: number;
  /** Sum of leaf scores before any re-basing. */
  baseRaw: number;
  /** Points of the applicable indicators. */
  applicablePoints: number;
  basePoints: number;
  rebased: boolean;
  bonus: AdjustmentScore;
  penalty: AdjustmentScore;
  total: number;
  grade: string;
  /** Every leaf answered (complete or not applicable), bonus/penalty aside. */
  complete: boolean;
  counts: { answered: number; missing: number; notApplicable: number; total: number };
  metrics: Record<string, MetricValue>;
  inconsistencies: Inconsistency[];
  deductions: Deduction[];
  /** Reasons that concern the whole (re-basing). */
  notes: string[];
}
