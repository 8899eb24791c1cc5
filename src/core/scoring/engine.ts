/**
 * Scoring as a pure function: (framework, answers) → every indicator's score, status and reasons,
 * subtotals, base, bonus, penalty, total and grade. The chat, the score query, the reminders and the
 * report all read this one result.
 *
 * @example const result = scoreEvaluation(loadBuiltinFramework('nanjing-2021'), answers)
 */
import { Big, dec, formatNumber, formatScore, fromUnits, sum, toNumber, toUnits } from '../decimal';
import { evaluateFormula, evaluateFormulaNumber, formulaRefs, renderFormula, roundDecimal, type FormulaGap, type FormulaNode } from '../framework/formula';
import type { Framework, Indicator, LoadedMetric } from '../framework/load';
import type { GradeBand, Rule } from '../framework/schema';
import { scoringText as T } from '../locale/zh-CN';
import type { Answers, JudgementAnswer, KeyTask } from './answers';
import { formatQuantity, normaliseAnswer, scoreRule, type NormalisedAnswer, type Quantity } from './rules';
import type {
  AdjustmentScore,
  Deduction,
  IndicatorScore,
  Inconsistency,
  MetricValue,
  MissingInput,
  ScoreResult,
} from './types';

/** The default rule of a key task without one: a yes/no judgement in the reports' words. */
export function defaultKeyTaskRule(name: string, partial?: true): Rule {
  return {
    kind: 'judgement',
    question: T.defaultKeyTask.question(name),
    yes: T.defaultKeyTask.yes(name),
    no: T.defaultKeyTask.no(name),
    ...(partial ? { partial } : {}),
  };
}

/** The indicators a slot's key tasks become (codes default to the slot code + position, e.g. C11). */
export function keyTaskIndicators(slot: Indicator, tasks: KeyTask[]): Indicator[] {
  return tasks.map((t, i) => {
    const code = t.code ?? `${slot.code}${i + 1}`;
    const measured = !t.rule && t.target !== undefined;
    return {
      code,
      name: t.name,
      level: slot.level + 1,
      points: t.points,
      description: t.description ?? '',
      criteria: t.criteria ?? (measured ? T.keyTaskTargetCriteria(t.measure ?? T.defaultMeasure, `${t.target}${t.unit ?? '%'}`) : ''),
      rule: t.rule ?? (measured ? targetRule(code, t.target!) : defaultKeyTaskRule(t.name, slot.keyTasks?.partial)),
      children: [],
      parent: slot.code,
      required: false,
      keyTask: true,
      ...(measured ? { measure: { label: t.measure ?? T.defaultMeasure, unit: t.unit ?? '%', target: t.target! } } : {}),
    };
  });
}

/** "公文处理" + "完成率" → "公文处理完成率"; a name that already ends in the measure keeps it once. */
export function measureLabel(name: string, measure: string): string {
  return name.endsWith(measure) ? name : `${name}${measure}`;
}

/** The quantity key of a key task's own measured value. */
export function ownMeasureKey(code: string): string {
  return `@${code}`;
}

/** A key task with a target: proportional to what it achieved, full marks once the target is reached. */
function targetRule(code: string, target: number): Rule {
  return { kind: 'proportional', metric: ownMeasureKey(code), direction: 'higher', target };
}

/** The indicator tree of one evaluation: the framework's, with the key tasks filled into their slots. */
export function instantiate(framework: Framework, answers: Answers): Indicator[] {
  const paths = slotPaths(framework);
  if (!paths.size) return framework.indicators;
  const tasks = answers.keyTasks;
  // The same key tasks give the same tree: reuse it (answers are often a fresh copy of the same ones,
  // and the same indicator objects let a scoring reuse the previous one's entries). Looked up by
  // content, never by object: the chat changes a slot's list inside the same keyTasks object.
  let trees = treeCache.get(framework);
  if (!trees) treeCache.set(framework, (trees = new Map()));
  const text = JSON.stringify(tasks ?? {});
  const cached = trees.get(text);
  if (cached) return cached;
  // Only the nodes on the way to a slot are copied; the rest of the tree is shared.
  const fill = (ind: Indicator): Indicator => {
    if (!paths.has(ind.code)) return ind;
    if (ind.keyTasks) return { ...ind, children: keyTaskIndicators(ind, tasks?.[ind.code] ?? []) };
    return { ...ind, children: ind.children.map(fill) };
  };
  const tree = framework.indicators.map(fill);
  trees.set(text, tree);
  if (trees.size > TREES_PER_FRAMEWORK) trees.delete(trees.keys().next().value!);
  return tree;
}

/** Trees kept per framework, by their key tasks' JSON (one per evaluation in progress, roughly). */
const TREES_PER_FRAMEWORK = 256;
const treeCache = new WeakMap<Framework, Map<string, Indicator[]>>();
const slotPathCache = new WeakMap<Framework, Set<string>>();

/** Codes of the key-task slots and their ancestors. */
function slotPaths(framework: Framework): Set<string> {
  let paths = slotPathCache.get(framework);
  if (!paths) {
    const found = new Set<string>();
    const visit = (ind: Indicator): boolean => {
      let on = !!ind.keyTasks;
      for (const c of ind.children) if (visit(c)) on = true;
      if (on) found.add(ind.code);
      return on;
    };
    framework.indicators.forEach(visit);
    slotPathCache.set(framework, (paths = found));
  }
  return paths;
}

/** Resolves every metric: computed from facts, entered directly, or both (and then compared). */
export function resolveMetrics(
  framework: Framework,
  answers: Answers,
): { values: Map<string, MetricValue>; missing: Map<string, string[]>; inconsistencies: Inconsistency[] } {
  const facts = answers.facts ?? {};
  const direct = answers.metrics ?? {};
  const values = new Map<string, MetricValue>();
  const missing = new Map<string, string[]>();
  const inconsistencies: Inconsistency[] = [];
  const lookup = (name: string): number | undefined => facts[name] ?? values.get(name)?.value;
  const lookupBig = (name: string): Big | undefined => {
    const v = lookup(name);
    return v === undefined ? undefined : dec(v);
  };
  const labelOf = (name: string) => framework.factByKey.get(name)?.label ?? framework.metricByKey.get(name)?.label ?? name;
  const valueText = (name: string) => {
    const v = lookup(name);
    return v === undefined ? labelOf(name) : plainNumber(v);
  };
  /** A formula's value rounded to `decimals`: in floating point, or in decimal near a tie. */
  const evaluate = (ast: FormulaNode, decimals: number): number | FormulaGap => {
    const r = evaluateFormulaNumber(ast, lookup);
    if (typeof r !== 'number') return r;
    const fast = roundDecimal(r, decimals);
    if (fast !== undefined) return fast;
    const exact = evaluateFormula(ast, lookupBig);
    return exact instanceof Big ? Number(exact.round(decimals, Big.roundHalfUp).toString()) : exact;
  };
  const roundDirect = (v: number, decimals: number) => roundDecimal(v, decimals) ?? Number(dec(v).round(decimals, Big.roundHalfUp).toString());

  // Declared once, not per metric: every closure made costs a name (tsx keeps function names).
  const withFormula = (m: LoadedMetric, ast: FormulaNode | undefined, mv: MetricValue): MetricValue => {
    if (!ast) return mv;
    let text = formulaTextCache.get(m);
    if (text === undefined) formulaTextCache.set(m, (text = renderFormula(ast, labelOf)));
    mv.formulaText = text;
    mv.workings = renderFormula(ast, valueText);
    return mv;
  };
  for (const key of framework.metricOrder) {
    const m = framework.metricByKey.get(key)!;
    const ast = displayAst(m);
    let computed: number | undefined;
    let via: string[] = [];
    if (m.ast) {
      const r = evaluate(m.ast, m.decimals);
      if (typeof r === 'number') computed = r;
      else if ('missing' in r) via = r.missing;
    }
    const d = m.directAllowed ? direct[key] : undefined;
    if (computed !== undefined && d !== undefined) {
      const dr = roundDirect(d, m.decimals);
      const choice = answers.metricChoice?.[key];
      // A reported figure rounded to fewer decimals ("85.7" for 85.72) agrees with the computed one.
      const typed = (String(d).split('.')[1] ?? '').length;
      const withinRounding = typed < m.decimals && dec(d).minus(dec(computed)).abs().lte(dec(5).times(dec(10).pow(-(typed + 1))));
      if (withinRounding) {
        values.set(key, withFormula(m, ast, { key, label: m.label, unit: m.unit, value: computed, source: 'computed', computed, direct: dr }));
        continue;
      }
      if (dr !== computed) {
        inconsistencies.push({
          kind: 'metric_conflict',
          key,
          resolved: choice !== undefined,
          message: T.metricConflict(m.label, formatQuantity(m, dr), formatQuantity(m, computed), renderFormula(ast!, valueText)),
        });
      }
      const useDirect = choice === 'direct';
      const value = useDirect ? dr : computed;
      values.set(key, withFormula(m, ast, { key, label: m.label, unit: m.unit, value, source: useDirect ? 'direct' : 'computed', computed, direct: dr }));
    } else if (computed !== undefined) {
      values.set(key, withFormula(m, ast, { key, label: m.label, unit: m.unit, value: computed, source: 'computed', computed }));
    } else if (d !== undefined) {
      const dr = roundDirect(d, m.decimals);
      values.set(key, { key, label: m.label, unit: m.unit, value: dr, source: 'direct', direct: dr });
    } else {
      // What to ask for: the facts still missing (through other metrics too).
      const wanted: string[] = [];
      for (const name of via) {
        if (framework.factByKey.has(name)) wanted.push(name);
        else for (const f of missing.get(name) ?? []) if (!wanted.includes(f)) wanted.push(f);
      }
      missing.set(key, wanted);
    }
  }

  for (const c of framework.checks) {
    const l = evaluateFormulaNumber(c.leftAst, lookup);
    const r = evaluateFormulaNumber(c.rightAst, lookup);
    if (typeof l !== 'number' || typeof r !== 'number') continue;
    let failed = Math.abs(l - r) > c.tolerance;
    // Near the tolerance, floating point decides nothing: compare in decimal.
    if (Math.abs(Math.abs(l - r) - c.tolerance) < 1e-9) {
      const lb = evaluateFormula(c.leftAst, lookupBig);
      const rb = evaluateFormula(c.rightAst, lookupBig);
      failed = lb instanceof Big && rb instanceof Big && lb.minus(rb).abs().gt(dec(c.tolerance));
    }
    if (failed) {
      const lb = evaluateFormula(c.leftAst, lookupBig) as Big;
      const rb = evaluateFormula(c.rightAst, lookupBig) as Big;
      // The figures' unit, from the first quantity the check names (万元 for the balance).
      const first = [...formulaRefs(c.rightAst), ...formulaRefs(c.leftAst)][0];
      const unit = (first && (framework.factByKey.get(first)?.unit ?? framework.metricByKey.get(first)?.unit)) || '';
      inconsistencies.push({
        kind: 'check_failed',
        key: c.key,
        // A person may confirm that the figures are right as they stand.
        resolved: (answers.confirmedChecks ?? []).includes(c.key),
        message: T.checkFailed(
          c.label,
          renderFormula(c.leftAst, labelOf),
          `${formatNumber(lb, 2)}${unit}`,
          renderFormula(c.rightAst, labelOf),
          `${formatNumber(rb, 2)}${unit}`,
          `${formatNumber(lb.minus(rb).abs(), 2)}${unit}`,
        ),
      });
    }
  }
  return { values, missing, inconsistencies };
}

/** A figure as typed: "5959.46", "860.29" (no exponent notation, at most 6 decimals). */
function plainNumber(v: number): string {
  const s = String(v);
  return /e/i.test(s) ? formatNumber(v, 6, true) : s;
}

/** Formulas in words depend only on the framework: rendered once per metric. */
const formulaTextCache = new WeakMap<LoadedMetric, string>();

/** A percentage formula "x / y * 100" reads as "x ÷ y" next to a "%" value. */
function displayAst(m: LoadedMetric) {
  const a = m.ast;
  if (a && m.unit === '%' && a.type === 'bin' && a.op === '*' && a.right.type === 'num' && a.right.value.eq(100)) return a.left;
  return a;
}

const NO_CHILDREN: string[] = [];

/** The grade for a total. */
export function gradeFor(grades: GradeBand[], total: number | Big): string {
  const t = dec(total);
  for (const g of grades) {
    if (g.gt !== undefined && !t.gt(dec(g.gt))) continue;
    if (g.gte !== undefined && !t.gte(dec(g.gte))) continue;
    if (g.lt !== undefined && !t.lt(dec(g.lt))) continue;
    if (g.lte !== undefined && !t.lte(dec(g.lte))) continue;
    return g.grade;
  }
  return grades[grades.length - 1]!.grade;
}

function scoreBonus(framework: Framework, answers: Answers): AdjustmentScore {
  const section = framework.bonus;
  if (!section) return { name: '', score: 0, reasons: [] };
  const awards = answers.bonus ?? [];
  const items = new Map(section.items.map((i) => [i.key, i]));
  // Same work: only the highest award counts (unless the table is cumulative).
  const best = new Map<string, { points: number; label: string; work?: string; others: string[] }>();
  const reasons: string[] = [];
  awards.forEach((a, i) => {
    const item = items.get(a.item) ?? section.items.find((x) => x.label === a.item);
    if (!item) return;
    const key = section.cumulative || !a.work ? `#${i}` : a.work;
    const prev = best.get(key);
    if (!prev) best.set(key, { points: item.points, label: item.label, ...(a.work ? { work: a.work } : {}), others: [] });
    else if (item.points > prev.points) best.set(key, { points: item.points, label: item.label, ...(a.work ? { work: a.work } : {}), others: [...prev.others, prev.label] });
    else prev.others.push(item.label);
  });
  for (const b of best.values()) {
    reasons.push(T.bonusAward(b.label, formatScore(b.points), b.work));
    for (const o of b.others) reasons.push(T.bonusSameWork(b.work!, o));
  }
  const raw = sum([...best.values()].map((b) => b.points));
  let score = raw;
  if (raw.gt(dec(section.cap))) {
    score = dec(section.cap);
    reasons.push(T.bonusCapped(formatScore(raw), formatScore(section.cap)));
  }
  return { name: section.name, score: toNumber(score), cap: section.cap, reasons };
}

function scorePenalty(framework: Framework, answers: Answers): AdjustmentScore {
  const section = framework.penalty;
  if (!section) return { name: '', score: 0, reasons: [] };
  const ps = answers.penalties ?? [];
  const reasons = ps.map((p) => T.penalty(p.reason, formatScore(p.points)));
  const raw = sum(ps.map((p) => p.points));
  let score = raw;
  if (section.cap !== undefined && raw.gt(dec(section.cap))) {
    score = dec(section.cap);
    reasons.push(T.penaltyCapped(formatScore(raw), formatScore(section.cap)));
  }
  return { name: section.name, score: toNumber(score), ...(section.cap !== undefined ? { cap: section.cap } : {}), reasons };
}

/**
 * What a leaf's entry was scored from: the indicator, its not-applicable reason (when that decided it),
 * its answer, and the quantities its rule asked for. Kept beside each leaf entry, so that a later
 * scoring can reuse the entry when none of that changed (compared part by part, no strings built).
 */
interface LeafInputs {
  ind: Indicator;
  /** The not-applicable reason that decided the entry, or undefined when the rule scored it. */
  na: string | undefined;
  /** The answer: as is when a boolean or number, else its JSON. */
  answer: unknown;
  /** The quantity keys the rule read, in order, and what each was (see `quantitySig`). */
  keys: string[];
  values: Array<number | string>;
  deduction?: Deduction;
}
/**
 * Where a result keeps the inputs of its leaves, by position in `indicators` (parents leave holes): a
 * non-enumerable symbol property, so JSON, structured clones and comparisons do not see it. (A WeakMap
 * entry per leaf, or even per result, cost more in garbage collection than the scoring itself.)
 */
const LEAF_INPUTS = Symbol('leafInputs');
type WithInputs = ScoreResult & { [LEAF_INPUTS]?: Array<LeafInputs | undefined> };
const NO_KEYS: string[] = [];
const NO_VALUES: Array<number | string> = [];

/** An indicator's entry before scoring: missing, with no reasons yet. */
function newEntry(ind: Indicator, children: string[]): IndicatorScore {
  return {
    code: ind.code,
    name: ind.name,
    level: ind.level,
    points: ind.points,
    score: null,
    status: 'missing',
    reasons: [],
    lost: null,
    missing: [],
    children,
    description: ind.description,
    criteria: ind.criteria,
    // Every field is set here, undefined or not, so all entries share one shape (object spreads and
    // late additions made this the slowest part of scoring). JSON leaves the undefined ones out.
    parent: ind.parent,
    rule: ind.rule,
    keyTask: ind.keyTask ? true : undefined,
    slot: ind.keyTasks ? true : undefined,
    note: ind.note,
  };
}

/**
 * What reasons say after a metric's figure: which of a reported and a computed figure was used and why
 * (when they differ), or that the figure is approximate.
 */
function figureNote(v: MetricValue, m: { unit: string; decimals: number }, answers: Answers): string | undefined {
  if (v.direct !== undefined && v.computed !== undefined && v.direct !== v.computed && answers.metricChoice?.[v.key]) {
    const reason = answers.choiceReasons?.[v.key];
    const other = v.source === 'direct' ? v.computed : v.direct;
    return T.figureChoice(v.source === 'direct', formatQuantity(m, other), reason);
  }
  if ((answers.approximate ?? []).includes(v.key)) return T.figureApproximate;
  return undefined;
}

/** A quantity a leaf's rule asks for: a key task measured against a target reads its own achieved value from its answer. */
function readQuantity(ind: Indicator, answer: NormalisedAnswer | undefined, quantity: (key: string) => Quantity | MissingInput[], key: string): Quantity | MissingInput[] {
  const measure = ind.measure;
  if (!measure || key !== ownMeasureKey(ind.code)) return quantity(key);
  if (answer?.actual === undefined) {
    // A conclusion in place of the achieved value ("完成率达到85%及以上").
    const c = quantity(key);
    return Array.isArray(c) ? [{ kind: 'judgement', code: ind.code }] : { ...c, label: measureLabel(ind.name, measure.label), unit: measure.unit };
  }
  return { value: answer.actual, label: measureLabel(ind.name, measure.label), unit: measure.unit, decimals: 2 };
}

/** A quantity as compared between scorings: its value, or (as JSON) what is missing for it. */
function quantitySig(q: Quantity | MissingInput[]): number | string {
  return Array.isArray(q) ? JSON.stringify(q) : q.bounds ? JSON.stringify([q.bounds, q.basis]) : q.note ? `${q.value}${q.note}` : q.value;
}

/** An answer as compared between scorings: booleans and numbers as they are, anything else as JSON. */
function answerSig(raw: unknown): unknown {
  return raw === undefined || typeof raw === 'boolean' || typeof raw === 'number' ? raw : JSON.stringify(raw);
}

/** True when a leaf's inputs are what they were when `was` was scored. */
function sameInputs(
  was: LeafInputs,
  ind: Indicator,
  na: string | undefined,
  answer: unknown,
  raw: JudgementAnswer | undefined,
  quantity: (key: string) => Quantity | MissingInput[],
): boolean {
  if (was.ind !== ind || was.na !== na || was.answer !== answer) return false;
  if (!was.keys.length) return true;
  // Only a key task measured against a target reads its answer as a quantity.
  const normalised = ind.measure ? normaliseAnswer(raw) : undefined;
  // The rule reads the same keys as long as it reads the same values.
  for (let i = 0; i < was.keys.length; i++) if (quantitySig(readQuantity(ind, normalised, quantity, was.keys[i]!)) !== was.values[i]) return false;
  return true;
}

/**
 * Scores an evaluation. Pure: the same framework and answers always give the same result.
 * Answers should have passed `validateAnswers`; unknown keys are ignored here.
 *
 * `previous` (a result of the same framework, e.g. before the last answer) only saves work: a leaf
 * whose answer, not-applicable reason and input quantities are unchanged keeps its entry from it, so
 * results may share entries and must be treated as read-only.
 */
export function scoreEvaluation(framework: Framework, answers: Answers, previous?: ScoreResult): ScoreResult {
  const { values, missing: metricMissing, inconsistencies } = resolveMetrics(framework, answers);
  const unresolved = new Set(inconsistencies.filter((i) => i.kind === 'metric_conflict' && !i.resolved).map((i) => i.key));
  const facts = answers.facts ?? {};
  const judgements = answers.judgements ?? {};
  const na = answers.notApplicable ?? {};
  const noFigure = new Set(answers.noFigure ?? []);

  const quantity = (key: string): Quantity | MissingInput[] => {
    const m = framework.metricByKey.get(key);
    if (m) {
      if (unresolved.has(key)) return [{ kind: 'confirm', key }];
      const v = values.get(key);
      if (v) {
        const note = figureNote(v, m, answers);
        return note ? { value: v.value, label: m.label, unit: m.unit, decimals: m.decimals, note } : { value: v.value, label: m.label, unit: m.unit, decimals: m.decimals };
      }
      const c = answers.conclusions?.[key];
      if (c) return { value: NaN, label: m.label, unit: m.unit, decimals: m.decimals, bounds: c.bounds, ...(c.basis ? { basis: c.basis } : {}) };
      const via = metricMissing.get(key) ?? [];
      // No figure will come: neither entered (or reported) nor computable from the facts.
      const noDirect = !m.directAllowed || noFigure.has(key);
      const noComputed = !m.ast || via.some((f) => noFigure.has(f));
      if (noFigure.size && noDirect && noComputed) return [{ kind: 'conclusion', key }];
      return [{ kind: 'metric', key, via }];
    }
    const f = framework.factByKey.get(key);
    const fv = facts[key];
    if (f && fv !== undefined) return { value: fv, label: f.label, unit: f.unit, decimals: 2 };
    const c = answers.conclusions?.[key];
    if (c) return { value: NaN, label: f?.label ?? key, unit: f?.unit ?? '', decimals: 2, bounds: c.bounds, ...(c.basis ? { basis: c.basis } : {}) };
    return [{ kind: 'fact', key }];
  };

  const out: IndicatorScore[] = [];
  const deductions: Deduction[] = [];
  let answered = 0;
  let missingCount = 0;
  let naCount = 0;
  let applicable = 0;

  const reusable = previous && previous.frameworkId === framework.id ? previous.indicators : undefined;
  const reusableInputs = reusable && (previous as WithInputs)[LEAF_INPUTS];
  const inputsAt: Array<LeafInputs | undefined> = [];
  // The quantities the rule of the leaf being scored reads are noted in its inputs (one closure and
  // one holder per scoring, not per leaf).
  const noting: { ind: Indicator | undefined; answer: NormalisedAnswer | undefined; inputs: LeafInputs | undefined } = { ind: undefined, answer: undefined, inputs: undefined };
  const noteQuantity = (key: string): Quantity | MissingInput[] => {
    const q = readQuantity(noting.ind!, noting.answer, quantity, key);
    const inputs = noting.inputs!;
    if (inputs.keys === NO_KEYS) {
      inputs.keys = [];
      inputs.values = [];
    }
    inputs.keys.push(key);
    inputs.values.push(quantitySig(q));
    return q;
  };

  /** Counts a leaf's outcome into the totals and returns [score, applicable points, status] in units. */
  const tally = (entry: IndicatorScore, points: number, units: number, deduction: Deduction | undefined): [number, number, IndicatorScore['status']] => {
    if (entry.status === 'not_applicable') {
      naCount++;
      return [0, 0, 'not_applicable'];
    }
    applicable += points;
    if (entry.status === 'missing') {
      missingCount++;
      return [0, points, 'missing'];
    }
    answered++;
    if (deduction) deductions.push(deduction);
    return [units, points, 'complete'];
  };

  // A leaf: reused from `previous` when everything its rule read is unchanged, else scored.
  const leaf = (ind: Indicator, naReason: string | undefined): [number, number, IndicatorScore['status']] => {
    const points = toUnits(ind.points);
    const skip = naReason !== undefined && !ind.required;
    const raw = skip ? undefined : judgements[ind.code];
    const shownAnswer = skip ? undefined : answerSig(raw);
    // The same tree is walked in the same order: the previous entry at this position, if it is this leaf.
    const at = reusable?.[out.length];
    const was = at && at.code === ind.code ? reusableInputs?.[out.length] : undefined;
    if (was && sameInputs(was, ind, skip ? naReason : undefined, shownAnswer, raw, quantity)) {
      inputsAt[out.length] = was;
      out.push(at!);
      return tally(at!, points, at!.score === null ? 0 : toUnits(at!.score), was.deduction);
    }

    const entry = newEntry(ind, NO_CHILDREN);
    const inputs: LeafInputs = { ind, na: skip ? naReason : undefined, answer: shownAnswer, keys: NO_KEYS, values: NO_VALUES, deduction: undefined };
    inputsAt[out.length] = inputs;
    out.push(entry);
    const answer = skip ? undefined : normaliseAnswer(raw);
    let units = 0;
    if (skip) {
      entry.status = 'not_applicable';
      entry.reasons = [T.notApplicable(naReason)];
    } else {
      noting.ind = ind;
      noting.answer = answer;
      noting.inputs = inputs;
      const outcome = scoreRule(ind.rule!, {
        code: ind.code,
        points,
        quantity: noteQuantity,
        answer,
      });
      noting.inputs = undefined;
      if (outcome.score === undefined) {
        entry.missing = outcome.missing;
        entry.reasons = outcome.reasons.length ? outcome.reasons : [T.missing(ind.name)];
      } else {
        units = outcome.score;
        entry.score = fromUnits(units);
        entry.status = 'complete';
        entry.reasons = outcome.reasons;
        const lost = points - units;
        entry.lost = fromUnits(lost);
        // The sentence that explains the loss, with the deduction named.
        if (lost > 0) inputs.deduction = { code: ind.code, name: ind.name, lost: entry.lost, reasons: outcome.reasons.slice(0, -1) };
      }
    }
    return tally(entry, points, units, inputs.deduction);
  };

  // Scores and points in integer units. Returns [score so far, applicable points, status].
  const walk = (ind: Indicator, parentNA: string | undefined): [number, number, IndicatorScore['status']] => {
    const naReason = na[ind.code] ?? parentNA;
    if (!ind.children.length && !ind.keyTasks) return leaf(ind, naReason);
    const entry = newEntry(ind, ind.children.length ? [] : NO_CHILDREN);
    out.push(entry);
    const points = toUnits(ind.points);
    if (!ind.children.length) {
      // An empty key-task slot.
      if (naReason !== undefined) {
        entry.status = 'not_applicable';
        entry.reasons = [T.notApplicable(naReason)];
        naCount++;
        return [0, 0, 'not_applicable'];
      }
      entry.missing = [{ kind: 'keyTasks', code: ind.code }];
      entry.reasons = [T.missing(ind.name)];
      missingCount++;
      applicable += points;
      return [0, points, 'missing'];
    }
    let s = 0;
    let ap = 0;
    let anyMissing = false;
    let allNA = true;
    for (const c of ind.children) {
      entry.children.push(c.code);
      const [cs, cap, st] = walk(c, naReason);
      s += cs;
      ap += cap;
      if (st === 'missing') anyMissing = true;
      if (st !== 'not_applicable') allNA = false;
    }
    entry.score = fromUnits(s);
    entry.status = allNA ? 'not_applicable' : anyMissing ? 'missing' : 'complete';
    if (allNA) entry.score = null;
    if (entry.status === 'complete') entry.lost = fromUnits(points - s);
    if (allNA && naReason !== undefined) entry.reasons = [T.notApplicable(naReason)];
    return [s, ap, entry.status];
  };

  const roots = instantiate(framework, answers);
  let baseRawUnits = 0;
  for (const r of roots) baseRawUnits += walk(r, undefined)[0];

  const baseRaw = new Big(fromUnits(baseRawUnits));
  const basePoints = dec(framework.basePoints);
  const rebased = naCount > 0 && applicable > 0 && applicable !== toUnits(framework.basePoints);
  const notes: string[] = [];
  let base = baseRaw;
  if (rebased) {
    base = baseRaw.div(fromUnits(applicable)).times(basePoints).round(2, Big.roundHalfUp);
    notes.push(T.rebased(formatScore(fromUnits(applicable)), formatScore(base)));
  }
  const bonus = scoreBonus(framework, answers);
  const penalty = scorePenalty(framework, answers);
  let total = base.plus(dec(bonus.score)).minus(dec(penalty.score));
  if (total.lt(0)) total = new Big(0);

  const metrics: Record<string, MetricValue> = {};
  for (const [k, v] of values) metrics[k] = v;

  const result: ScoreResult = {
    frameworkId: framework.id,
    indicators: out,
    roots: roots.map((r) => r.code),
    base: toNumber(base),
    baseRaw: toNumber(baseRaw),
    applicablePoints: fromUnits(applicable),
    basePoints: framework.basePoints,
    rebased,
    bonus,
    penalty,
    total: toNumber(total),
    grade: gradeFor(framework.grades, total),
    complete: missingCount === 0,
    counts: { answered, missing: missingCount, notApplicable: naCount, total: answered + missingCount + naCount },
    metrics,
    inconsistencies,
    deductions,
    notes,
  };
  Object.defineProperty(result, LEAF_INPUTS, { value: inputsAt });
  return result;
}
