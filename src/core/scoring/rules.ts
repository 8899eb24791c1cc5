/**
 * One function per rule kind: inputs in, a score with its reasons (or what is missing) out.
 * Pure; decimal arithmetic throughout.
 */
import { Big, dec, formatFixed, formatNumber, formatScore, formatUnits, toUnits } from '../decimal';
import type {
  Band,
  BandsRule,
  Bounds,
  ChecklistRule,
  GradedRule,
  JudgementRule,
  NotExceedingRule,
  PerViolationRule,
  ProportionalRule,
  Rule,
  StepsRule,
} from '../framework/schema';
import type { PartialRange } from '../framework/schema';
import { partialCreditText as PT, scoringText as T } from '../locale/zh-CN';
import type { JudgementAnswer } from './answers';
import type { MissingInput } from './types';

/** A quantity a rule reads (metric or fact), resolved; `value` is already rounded to `decimals`. */
export interface Quantity {
  value: number;
  label: string;
  unit: string;
  decimals: number;
  /** A conclusion in place of a figure: the range the figure lies in (then `value` is NaN). */
  bounds?: Bounds;
  /** What the conclusion is based on. */
  basis?: string;
  /** Said after the figure in reasons: which of two figures was used and why, or that it is approximate. */
  note?: string;
}

/** What a rule needs from the evaluation. */
export interface RuleContext {
  code: string;
  /** The indicator's points in integer units (see toUnits). */
  points: number;
  quantity(key: string): Quantity | MissingInput[];
  answer: NormalisedAnswer | undefined;
}

/** The judgement answer in object form. */
export interface NormalisedAnswer {
  value?: boolean;
  partial?: true;
  level?: string;
  items?: string[];
  count?: number;
  score?: number;
  actual?: number;
  reason?: string;
}

/** Turns the shorthands of the answers format into the object form. */
export function normaliseAnswer(a: JudgementAnswer | undefined): NormalisedAnswer | undefined {
  if (a === undefined) return undefined;
  if (typeof a === 'boolean') return { value: a };
  if (typeof a === 'number') return { count: a };
  if (Array.isArray(a)) return { items: a };
  return a;
}

export interface RuleOutcome {
  /** The score in integer units, within [0, points]. */
  score?: number;
  reasons: string[];
  missing: MissingInput[];
}

const missingJudgement = (ctx: RuleContext): RuleOutcome => ({ reasons: [], missing: [{ kind: 'judgement', code: ctx.code }] });

/** "85.72%", "992.74万元" */
export function formatQuantity(q: Pick<Quantity, 'unit' | 'decimals'>, v: Big | number): string {
  return typeof v === 'number' ? `${formatFixed(v, q.decimals)}${q.unit}` : `${formatNumber(v, q.decimals)}${q.unit}`;
}

/** Bounds and band edges are short decimals and metric values are rounded, so comparing doubles is exact here. */
function formatBound(q: Pick<Quantity, 'unit'>, n: number): string {
  return `${String(n)}${q.unit}`;
}

function scored(ctx: RuleContext, score: number, reasons: string[]): RuleOutcome {
  const s = score < 0 ? 0 : score > ctx.points ? ctx.points : score;
  return { score: s, reasons: [...reasons.filter(Boolean), T.got(formatUnits(s), formatUnits(ctx.points))], missing: [] };
}

/** Whether a value lies within bounds. */
export function matches(v: number, b: Bounds): boolean {
  if (b.eq !== undefined) return v === b.eq;
  if (b.gt !== undefined && !(v > b.gt)) return false;
  if (b.gte !== undefined && !(v >= b.gte)) return false;
  if (b.lt !== undefined && !(v < b.lt)) return false;
  if (b.lte !== undefined && !(v <= b.lte)) return false;
  return true;
}

/** Describes bounds in words: "低于90%", "在80%（含）至90%之间"; `unit` follows each number. */
export function describeBounds(b: Bounds, unit: string): string {
  const fmt = (n: number) => `${String(n)}${unit}`;
  if (b.eq !== undefined) return T.band.eq(fmt(b.eq));
  const lo = b.gte ?? b.gt;
  const hi = b.lte ?? b.lt;
  if (lo !== undefined && hi !== undefined) return T.band.between(fmt(lo), b.gte !== undefined, fmt(hi), b.lte !== undefined);
  if (b.gt !== undefined) return T.band.gt(fmt(b.gt));
  if (b.gte !== undefined) return T.band.gte(fmt(b.gte));
  if (b.lt !== undefined) return T.band.lt(fmt(b.lt));
  if (b.lte !== undefined) return T.band.lte(fmt(b.lte));
  return '';
}

/** Describes where a value outside every band lies: below the lowest band or above the highest. */
function describeOutside(v: number, bands: Bounds[], unit: string): string {
  const fmt = (n: number) => `${String(n)}${unit}`;
  const lows = bands.map((b) => b.eq ?? b.gte ?? b.gt).filter((x): x is number => x !== undefined);
  const highs = bands.map((b) => b.eq ?? b.lte ?? b.lt).filter((x): x is number => x !== undefined);
  const min = lows.length ? Math.min(...lows) : undefined;
  const max = highs.length ? Math.max(...highs) : undefined;
  if (min !== undefined && v <= min) return v < min ? T.band.lt(fmt(min)) : T.band.lte(fmt(min));
  if (max !== undefined && v >= max) return v > max ? T.band.gt(fmt(max)) : T.band.gte(fmt(max));
  return T.band.outside;
}

function decide(ctx: RuleContext, lead: string[]): RuleOutcome {
  const a = ctx.answer;
  if (a?.score === undefined) return { reasons: [...lead, T.missingDecision], missing: [{ kind: 'decision', code: ctx.code }] };
  return scored(ctx, toUnits(a.score), [...lead, T.discretionary(a.reason)]);
}

function quantityOf(ctx: RuleContext, key: string): Quantity | RuleOutcome {
  const q = ctx.quantity(key);
  return Array.isArray(q) ? { reasons: [], missing: q } : q;
}
const isOutcome = (x: Quantity | RuleOutcome): x is RuleOutcome => 'missing' in x;

/** A partial range in words: "大于0分、小于1分". */
export function describePartialRange(r: PartialRange): string {
  return PT.range(formatScore(r.min), r.minIncluded, formatScore(r.max), r.maxIncluded);
}

function judgement(rule: JudgementRule, ctx: RuleContext): RuleOutcome {
  const a = ctx.answer;
  if (a?.partial) {
    // Partly done: the evaluator's score, which validation keeps inside the rule's range, and the reason.
    if (rule.partial === undefined || a.score === undefined) return missingJudgement(ctx);
    return scored(ctx, toUnits(a.score), [PT.reason(rule.yes, a.reason)]);
  }
  if (a?.value === undefined) return missingJudgement(ctx);
  if (a.value) return scored(ctx, ctx.points, [T.judgementYes(rule.yes)]);
  return scored(ctx, toUnits(rule.noScore ?? 0), [T.judgementNo(rule.no, a.reason)]);
}

function bands(rule: BandsRule, ctx: RuleContext): RuleOutcome {
  const q = quantityOf(ctx, rule.metric);
  if (isOutcome(q)) return q;
  if (q.bounds) return overBounds(rule, ctx, q);
  const lead = `${q.label}${formatQuantity(q, q.value)}${q.note ?? ''}`;
  let hit: Band | undefined;
  for (const b of rule.bands) if (matches(q.value, b)) { hit = b; break; }
  if (hit) return scored(ctx, toUnits(hit.score), [`${lead}，${describeBounds(hit, q.unit)}`]);
  const where = `${lead}，${describeOutside(q.value, rule.bands, q.unit)}`;
  if (rule.otherwise === 'discretionary') return decide(ctx, [where]);
  return scored(ctx, toUnits(rule.otherwise ?? 0), [where]);
}

/** The boundary value of the full-score side of a steps rule. */
function fullEdge(rule: StepsRule): number {
  const f = rule.full;
  return (rule.direction === 'higher' ? (f.gte ?? f.gt) : (f.lte ?? f.lt)) as number;
}

function steps(rule: StepsRule, ctx: RuleContext): RuleOutcome {
  const q = quantityOf(ctx, rule.metric);
  if (isOutcome(q)) return q;
  if (q.bounds) return overBounds(rule, ctx, q);
  const fmt = (n: number) => formatBound(q, n);
  const lead = `${q.label}${formatQuantity(q, q.value)}${q.note ?? ''}`;
  if (matches(q.value, rule.full)) return scored(ctx, ctx.points, [`${lead}，${describeBounds(rule.full, q.unit)}`]);
  if (rule.cutoff && matches(q.value, rule.cutoff)) return scored(ctx, 0, [`${lead}，${describeBounds(rule.cutoff, q.unit)}`]);
  // Distances in percentage points, in decimals: 99 − 89.1 must be 9.9, not 9.900000000000006.
  const edge = fullEdge(rule);
  const distance = dec(q.value).minus(dec(edge)).abs();
  const raw = distance.div(dec(rule.step));
  const partial = rule.partial ?? 'ceil';
  let n = partial === 'proportional' ? raw : raw.round(0, partial === 'ceil' ? Big.roundUp : Big.roundDown);
  // At an excluded edge ("大于90%得满分", value 90) the distance is 0 yet the value misses full marks: a started step.
  if (partial === 'ceil' && n.eq(0)) n = new Big(1);
  // Two decimals, as the reports print scores (a pro-rata step can give 0.002 otherwise).
  const lost = toUnits(Number(n.times(dec(rule.deduct)).round(2, Big.roundHalfUp)));
  const shown = lost > ctx.points ? ctx.points : lost;
  const atEdge = distance.eq(0);
  const side = rule.direction === 'higher' ? (atEdge ? T.band.lte : T.band.lt)(fmt(edge)) : (atEdge ? T.band.gte : T.band.gt)(fmt(edge));
  return scored(ctx, ctx.points - lost, [
    `${lead}，${side}`,
    T.stepsDeduct(formatNumber(distance, q.decimals), formatScore(rule.step), formatScore(rule.deduct), formatUnits(shown)),
  ]);
}

function proportional(rule: ProportionalRule, ctx: RuleContext): RuleOutcome {
  const q = quantityOf(ctx, rule.metric);
  if (isOutcome(q)) return q;
  if (q.bounds) return overBounds(rule, ctx, q);
  const target = dec(rule.target ?? 100);
  const lead = `${q.label}${formatQuantity(q, q.value)}${q.note ?? ''}`;
  const v = dec(q.value);
  let share: Big;
  if (rule.direction === 'higher') share = v.div(target);
  else share = v.lte(0) ? new Big(1) : target.div(v);
  if (share.gt(1)) share = new Big(1);
  if (share.lt(0)) share = new Big(0);
  // Scores carry two decimals, as the reports print them.
  const score = toUnits(Number(dec(ctx.points).div(10000).times(share).round(2, Big.roundHalfUp)));
  return scored(ctx, score, [`${lead}，${T.proportional(formatBound(q, rule.target ?? 100))}`]);
}

function checklist(rule: ChecklistRule, ctx: RuleContext): RuleOutcome {
  const a = ctx.answer;
  if (a?.items === undefined) return missingJudgement(ctx);
  const met = rule.items.filter((i) => a.items!.includes(i.key) || a.items!.includes(i.label));
  const unmet = rule.items.filter((i) => !met.includes(i));
  const reasons: string[] = [];
  if (met.length) reasons.push(T.checklistMet(met.map((i) => i.label).join('；')));
  if (unmet.length) reasons.push(T.checklistUnmet(unmet.map((i) => i.label).join('；')) + (a.reason ? `（${a.reason}）` : ''));
  return scored(ctx, met.reduce((s, i) => s + toUnits(i.points), 0), reasons);
}

function perViolation(rule: PerViolationRule, ctx: RuleContext): RuleOutcome {
  const a = ctx.answer;
  if (a?.count === undefined) return missingJudgement(ctx);
  const lost = toUnits(rule.deduct) * a.count;
  const reason = T.perViolation(rule.counted, a.count, formatScore(rule.deduct)) + (a.reason ? `（${a.reason}）` : '');
  return scored(ctx, ctx.points - lost, [reason]);
}

function graded(rule: GradedRule, ctx: RuleContext): RuleOutcome {
  const a = ctx.answer;
  if (a?.level === undefined) return missingJudgement(ctx);
  const level = rule.levels.find((l) => l.label === a.level);
  if (!level) return missingJudgement(ctx);
  const reason = T.graded(level.label, a.reason, level.report);
  if (level.score !== undefined) return scored(ctx, toUnits(level.score), [reason]);
  // A share range: the person's score, which validation keeps inside the range.
  if (a.score === undefined) return { reasons: [reason, T.missingDecision], missing: [{ kind: 'decision', code: ctx.code }] };
  return scored(ctx, toUnits(a.score), [reason]);
}

function notExceeding(rule: NotExceedingRule, ctx: RuleContext): RuleOutcome {
  const actual = quantityOf(ctx, rule.actual);
  const limit = quantityOf(ctx, rule.limit);
  const missing = [...(isOutcome(actual) ? actual.missing : []), ...(isOutcome(limit) ? limit.missing : [])];
  if (isOutcome(actual) || isOutcome(limit)) return { reasons: [], missing };
  const a = `${actual.label}${formatQuantity(actual, actual.value)}`;
  const l = `${limit.label}${formatQuantity(limit, limit.value)}`;
  if (actual.value <= limit.value) return scored(ctx, ctx.points, [T.notExceeding(a, l)]);
  const where = T.exceeding(a, l);
  if (rule.over === 'discretionary') return decide(ctx, [where]);
  return scored(ctx, toUnits(rule.over), [where]);
}

/** The numbers where a metric rule's score may change: band edges, the full-score edge and cut-off, the target. */
export function breakpointsOf(rule: Rule): number[] {
  const ends = (b: Bounds) => [b.eq, b.gt, b.gte, b.lt, b.lte].filter((x): x is number => x !== undefined);
  switch (rule.kind) {
    case 'bands':
      return rule.bands.flatMap(ends);
    case 'steps':
      return [...ends(rule.full), ...(rule.cutoff ? ends(rule.cutoff) : [])];
    case 'proportional':
      return [rule.target ?? 100];
    default:
      return [];
  }
}

/** Values that represent every part of `bounds` a rule with these breakpoints can tell apart. */
export function samplePoints(bounds: Bounds, breakpoints: number[]): number[] {
  const eps = 1e-6;
  if (bounds.eq !== undefined) return [bounds.eq];
  const lo = bounds.gte ?? bounds.gt;
  const hi = bounds.lte ?? bounds.lt;
  const inside = (v: number) => matches(v, bounds);
  const marks = [...new Set([...breakpoints, ...(lo !== undefined ? [lo] : []), ...(hi !== undefined ? [hi] : [])])].sort((a, b) => a - b);
  const pts: number[] = [];
  for (const m of marks) pts.push(m - eps, m, m + eps);
  for (let i = 0; i + 1 < marks.length; i++) {
    const [a, b] = [marks[i]!, marks[i + 1]!];
    pts.push(a + (b - a) / 4, (a + b) / 2, a + ((b - a) * 3) / 4);
  }
  if (marks.length) pts.push(marks[0]! - 1, marks[0]! - 50, marks[marks.length - 1]! + 1, marks[marks.length - 1]! + 50);
  else pts.push(0);
  return pts.filter(inside);
}

/** A rule's score at one value of its metric, without any person's decision: a number (units) or 'decision'. */
export function scoreAtValue(rule: Rule, points: number, q: Quantity, value: number): number | 'decision' {
  const ctx: RuleContext = { code: '', points, answer: undefined, quantity: () => ({ ...q, value, bounds: undefined }) };
  const out = scoreRule(rule, ctx);
  return out.score ?? 'decision';
}

/**
 * A metric rule over a conclusion: the score when the rule gives the same score everywhere in the range,
 * otherwise the evaluator's score (a decision, with a reason), as for a value the rule leaves to judgement.
 */
function overBounds(rule: Rule, ctx: RuleContext, q: Quantity): RuleOutcome {
  const where = T.conclusion(q.label, describeBounds(q.bounds!, q.unit), q.basis);
  const scores = new Set(samplePoints(q.bounds!, breakpointsOf(rule)).map((v) => scoreAtValue(rule, ctx.points, q, v)));
  const only = scores.size === 1 ? [...scores][0] : undefined;
  if (typeof only === 'number') return scored(ctx, only, [where]);
  return decide(ctx, [where]);
}

/** Scores one rule. */
export function scoreRule(rule: Rule, ctx: RuleContext): RuleOutcome {
  switch (rule.kind) {
    case 'judgement':
      return judgement(rule, ctx);
    case 'bands':
      return bands(rule, ctx);
    case 'steps':
      return steps(rule, ctx);
    case 'proportional':
      return proportional(rule, ctx);
    case 'checklist':
      return checklist(rule, ctx);
    case 'per_violation':
      return perViolation(rule, ctx);
    case 'graded':
      return graded(rule, ctx);
    case 'not_exceeding':
      return notExceeding(rule, ctx);
    case 'discretionary':
      return ctx.answer?.score === undefined ? missingJudgement(ctx) : decide(ctx, []);
  }
}
