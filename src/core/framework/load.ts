/**
 * Loading a framework: zod validation, then the structural checks that make it scorable, then the
 * compiled form the scoring engine uses. Every error names the file and the field.
 *
 * @example const fw = loadFramework(JSON.parse(text), 'templates/frameworks/nanjing-2021.json')
 */
import { z } from 'zod';
import { dec, sum } from '../decimal';
import { FormulaSyntaxError, formulaRefs, parseFormula, type FormulaNode } from './formula';
import {
  frameworkSchema,
  partialRange,
  type Bounds,
  type FrameworkInput,
  type IndicatorInput,
  type KeyTaskSlot,
  type Metric,
  type Rule,
} from './schema';

/** An indicator of a loaded framework: the tree with levels and parents resolved. */
export interface Indicator {
  code: string;
  name: string;
  level: number;
  points: number;
  description: string;
  criteria: string;
  rule?: Rule;
  children: Indicator[];
  keyTasks?: KeyTaskSlot;
  parent?: string;
  required: boolean;
  note?: string;
  /** True for an item a unit filled into a key-task slot. */
  keyTask?: boolean;
  /** A key task measured against a target: what is measured, and in which unit (e.g. 完成率, %). */
  measure?: { label: string; unit: string; target: number };
}

/** A metric with its formula parsed. */
export interface LoadedMetric extends Metric {
  ast?: FormulaNode;
  /** May be entered directly. */
  directAllowed: boolean;
  decimals: number;
}

/** A framework ready for scoring. */
export interface Framework extends Omit<FrameworkInput, 'indicators' | 'metrics' | 'checks'> {
  basePoints: number;
  indicators: Indicator[];
  metrics: LoadedMetric[];
  checks: Array<NonNullable<FrameworkInput['checks']>[number] & { leftAst: FormulaNode; rightAst: FormulaNode }>;
  /** Every indicator by code (key-task items are added per evaluation, see `instantiate`). */
  byCode: Map<string, Indicator>;
  factByKey: Map<string, FrameworkInput['facts'][number]>;
  metricByKey: Map<string, LoadedMetric>;
  /** Metric keys in evaluation order (dependencies first). */
  metricOrder: string[];
}

/** A framework that failed validation; `problems` lists every problem as "file: field: message". */
export class FrameworkError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid framework\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'FrameworkError';
  }
}

function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') || '(root)';
}

/** Checks that bounds describe a non-empty range; returns a problem or undefined. */
export function boundsProblem(b: Bounds): string | undefined {
  const keys = Object.keys(b);
  if (keys.length === 0) return 'needs at least one of eq, gt, gte, lt, lte';
  if (b.eq !== undefined && keys.length > 1) return 'eq cannot be combined with other bounds';
  if (b.gt !== undefined && b.gte !== undefined) return 'gt and gte together';
  if (b.lt !== undefined && b.lte !== undefined) return 'lt and lte together';
  const lo = b.gt ?? b.gte;
  const hi = b.lt ?? b.lte;
  if (lo !== undefined && hi !== undefined && (lo > hi || (lo === hi && (b.gt !== undefined || b.lt !== undefined))))
    return `empty range (${lo} .. ${hi})`;
  return undefined;
}

type Edge = { at: number; closed: boolean }; // closed: the point itself belongs to the range
interface Interval {
  lo: Edge | null; // null: −∞
  hi: Edge | null; // null: +∞
}

/** The bounds as an interval. */
export function toInterval(b: Bounds): Interval {
  if (b.eq !== undefined) return { lo: { at: b.eq, closed: true }, hi: { at: b.eq, closed: true } };
  const lo = b.gte !== undefined ? { at: b.gte, closed: true } : b.gt !== undefined ? { at: b.gt, closed: false } : null;
  const hi = b.lte !== undefined ? { at: b.lte, closed: true } : b.lt !== undefined ? { at: b.lt, closed: false } : null;
  return { lo, hi };
}

/**
 * Finds overlaps and gaps among bands that should cover the line from `from` (inclusive) to +∞, or
 * the whole line when `from` is undefined. Returns sentences such as "gap between 20 and 30".
 */
export function coverageProblems(bands: Bounds[], from?: number): { overlaps: string[]; gaps: string[] } {
  const overlaps: string[] = [];
  const gaps: string[] = [];
  const sorted = bands.map(toInterval).sort((a, b) => {
    if (!a.lo || !b.lo) return a.lo ? 1 : b.lo ? -1 : 0;
    if (a.lo.at !== b.lo.at) return a.lo.at - b.lo.at;
    return a.lo.closed === b.lo.closed ? 0 : a.lo.closed ? -1 : 1;
  });
  // Covered so far: everything below `edge` (and `edge.at` itself when closed); `virtual` marks the
  // starting edge, which no band owns, so nothing can overlap it.
  let edge: Edge | null = from === undefined ? null : { at: from, closed: false };
  let virtual = true;
  let infinite = false;
  for (const iv of sorted) {
    if (infinite) {
      overlaps.push(`a band starting at ${iv.lo ? iv.lo.at : '−∞'} overlaps one that reaches +∞`);
      continue;
    }
    const lo = iv.lo;
    if (edge === null) {
      if (lo) gaps.push(`nothing covers values below ${lo.at}`);
    } else if (!lo || lo.at < edge.at || (lo.at === edge.at && lo.closed && edge.closed)) {
      if (!virtual) overlaps.push(`bands overlap at ${lo && lo.at > edge.at ? lo.at : edge.at}`);
    } else if (lo.at > edge.at) {
      gaps.push(`gap between ${edge.at} and ${lo.at}`);
    } else if (!lo.closed && !edge.closed) {
      gaps.push(`nothing covers exactly ${lo.at}`);
    }
    if (!iv.hi) infinite = true;
    else if (edge === null || iv.hi.at > edge.at || (iv.hi.at === edge.at && iv.hi.closed && !edge.closed)) {
      edge = iv.hi;
      virtual = false;
    }
  }
  if (!infinite) gaps.push(`nothing covers values above ${edge ? edge.at : '−∞'}`);
  return { overlaps, gaps };
}

function isIdentifier(s: string) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);
}

/**
 * Validates and compiles a framework. Throws FrameworkError listing every problem found.
 * `file` names the source in messages.
 */
export function loadFramework(data: unknown, file = '(framework)'): Framework {
  const parsed = frameworkSchema.safeParse(data);
  if (!parsed.success) {
    throw new FrameworkError(
      file,
      parsed.error.issues.map((iss: z.core.$ZodIssue) => `${file}: ${pathText(iss.path)}: ${iss.message}`),
    );
  }
  const input = parsed.data;
  const problems: string[] = [];
  const err = (field: string, msg: string) => problems.push(`${file}: ${field}: ${msg}`);

  // Facts and metrics: unique keys, formulas parse and name known quantities, no cycles.
  const names = new Map<string, string>();
  input.facts.forEach((f, i) => {
    if (names.has(f.key)) err(`facts[${i}].key`, `duplicate key "${f.key}"`);
    names.set(f.key, 'fact');
    if (f.min !== undefined && f.max !== undefined && f.min > f.max) err(`facts[${i}]`, 'min is greater than max');
  });
  input.metrics.forEach((m, i) => {
    if (names.has(m.key)) err(`metrics[${i}].key`, `duplicate key "${m.key}"`);
    names.set(m.key, 'metric');
  });
  const metrics: LoadedMetric[] = input.metrics.map((m, i) => {
    const lm: LoadedMetric = { ...m, directAllowed: m.formula ? m.direct === true : true, decimals: m.decimals ?? 2 };
    if (m.formula) {
      try {
        lm.ast = parseFormula(m.formula);
        for (const ref of formulaRefs(lm.ast)) {
          if (!names.has(ref)) err(`metrics[${i}].formula`, `unknown fact or metric "${ref}" in "${m.formula}"`);
          if (ref === m.key) err(`metrics[${i}].formula`, `"${m.key}" refers to itself`);
        }
      } catch (e) {
        if (e instanceof FormulaSyntaxError) err(`metrics[${i}].formula`, `${e.message} in "${m.formula}"`);
        else throw e;
      }
    }
    if (lm.directAllowed && !m.question) err(`metrics[${i}].question`, `metric "${m.key}" may be entered directly, so it needs a question`);
    return lm;
  });
  const metricByKey = new Map(metrics.map((m) => [m.key, m]));
  // Topological order of metrics.
  const metricOrder: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, trail: string[]) => {
    const s = state.get(key);
    if (s === 'done') return;
    if (s === 'visiting') {
      err('metrics', `formulas form a cycle: ${[...trail, key].join(' → ')}`);
      return;
    }
    state.set(key, 'visiting');
    const m = metricByKey.get(key)!;
    if (m.ast) for (const ref of formulaRefs(m.ast)) if (metricByKey.has(ref)) visit(ref, [...trail, key]);
    state.set(key, 'done');
    metricOrder.push(key);
  };
  for (const m of metrics) visit(m.key, []);

  const checks: Framework['checks'] = [];
  (input.checks ?? []).forEach((c, i) => {
    try {
      const leftAst = parseFormula(c.left);
      const rightAst = parseFormula(c.right);
      for (const ref of [...formulaRefs(leftAst), ...formulaRefs(rightAst)])
        if (!names.has(ref)) err(`checks[${i}]`, `unknown fact or metric "${ref}"`);
      checks.push({ ...c, leftAst, rightAst });
    } catch (e) {
      if (e instanceof FormulaSyntaxError) err(`checks[${i}]`, e.message);
      else throw e;
    }
  });

  // Indicators: unique codes, depth ≤ 3, children points add up, leaves have rules, rules are sound.
  const byCode = new Map<string, Indicator>();
  const build = (ind: IndicatorInput, level: number, field: string, parent?: string): Indicator => {
    if (byCode.has(ind.code)) err(`${field}.code`, `duplicate code "${ind.code}"`);
    if (level > 3) err(field, `indicator "${ind.code}" is deeper than level 3`);
    const node: Indicator = {
      code: ind.code,
      name: ind.name,
      level,
      points: ind.points,
      description: ind.description ?? '',
      criteria: ind.criteria ?? '',
      children: [],
      required: ind.required ?? false,
      ...(ind.rule ? { rule: ind.rule } : {}),
      ...(ind.keyTasks ? { keyTasks: ind.keyTasks } : {}),
      ...(parent ? { parent } : {}),
      ...(ind.note ? { note: ind.note } : {}),
    };
    byCode.set(ind.code, node);
    const kids = ind.children ?? [];
    if (kids.length) {
      if (ind.rule) err(`${field}.rule`, `"${ind.code}" has children, so it cannot have a rule (only leaves are scored)`);
      if (ind.keyTasks) err(`${field}.keyTasks`, `"${ind.code}" has children, so it cannot be a key-task slot`);
      node.children = kids.map((k, i) => build(k, level + 1, `${field}.children[${i}]`, ind.code));
      const total = sum(kids.map((k) => k.points));
      if (!total.eq(dec(ind.points)))
        err(`${field}.points`, `children of "${ind.code} ${ind.name}" add up to ${total.toString()}, not ${ind.points}`);
    } else if (ind.keyTasks) {
      if (ind.rule) err(`${field}.rule`, `key-task slot "${ind.code}" takes its rules from its items`);
      if (level >= 3) err(field, `key-task slot "${ind.code}" must be above level 3 (its items are one level down)`);
    } else if (!ind.rule) {
      err(`${field}.rule`, `leaf "${ind.code} ${ind.name}" needs a rule`);
    } else {
      for (const p of ruleProblems(ind.rule, ind.points, names)) err(`${field}.rule${p.field}`, p.message);
    }
    return node;
  };
  const indicators = input.indicators.map((ind, i) => build(ind, 1, `indicators[${i}]`));
  const basePoints = input.basePoints ?? 100;
  const rootTotal = sum(input.indicators.map((i) => i.points));
  if (!rootTotal.eq(dec(basePoints)))
    err('indicators', `level-1 points add up to ${rootTotal.toString()}, not ${basePoints}`);

  input.facts.forEach((f, i) => {
    if (f.section && !byCode.has(f.section)) err(`facts[${i}].section`, `unknown indicator "${f.section}"`);
  });
  input.metrics.forEach((m, i) => {
    if (m.section && !byCode.has(m.section)) err(`metrics[${i}].section`, `unknown indicator "${m.section}"`);
  });

  // Bonus section.
  if (input.bonus) {
    const seen = new Set<string>();
    input.bonus.items.forEach((it, i) => {
      if (seen.has(it.key)) err(`bonus.items[${i}].key`, `duplicate key "${it.key}"`);
      seen.add(it.key);
      if (it.points > input.bonus!.cap) err(`bonus.items[${i}].points`, `${it.points} is above the cap ${input.bonus!.cap}`);
    });
  }

  // Grade bands over [0, ∞).
  input.grades.forEach((g, i) => {
    const p = boundsProblem(g);
    if (p) err(`grades[${i}]`, p);
  });
  const cov = coverageProblems(input.grades, 0);
  for (const o of cov.overlaps) err('grades', `grade bands overlap: ${o}`);
  for (const g of cov.gaps) err('grades', `grade bands leave a gap: ${g}`);
  const gradeNames = new Set<string>();
  input.grades.forEach((g, i) => {
    if (gradeNames.has(g.grade)) err(`grades[${i}].grade`, `duplicate grade "${g.grade}"`);
    gradeNames.add(g.grade);
  });

  const narrativeKeys = new Set<string>();
  (input.narratives ?? []).forEach((n, i) => {
    if (narrativeKeys.has(n.key)) err(`narratives[${i}].key`, `duplicate key "${n.key}"`);
    narrativeKeys.add(n.key);
  });

  if (problems.length) throw new FrameworkError(file, problems);
  return {
    ...input,
    basePoints,
    indicators,
    metrics,
    checks,
    byCode,
    factByKey: new Map(input.facts.map((f) => [f.key, f])),
    metricByKey,
    metricOrder,
  };
}

/**
 * Problems with one rule for an indicator worth `points`: unknown quantities, bands that overlap or
 * leave gaps without `otherwise`, scores above the points, checklists that do not add up.
 * Used for framework indicators and for key tasks alike.
 */
export function ruleProblems(rule: Rule, points: number, names: Map<string, string>): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const add = (field: string, message: string) => out.push({ field, message });
  const quantity = (field: string, key: string) => {
    if (!isIdentifier(key) || !names.has(key)) add(field, `unknown fact or metric "${key}"`);
  };
  switch (rule.kind) {
    case 'judgement':
      if (rule.noScore !== undefined && rule.noScore > points) add('.noScore', `${rule.noScore} is above the points ${points}`);
      if (rule.partial !== undefined) {
        const r = partialRange(rule, points)!;
        if (r.max > points) add('.partial.max', `${r.max} is above the points ${points}`);
        if (r.min < (rule.noScore ?? 0)) add('.partial.min', `${r.min} is below the score for no ${rule.noScore ?? 0}`);
        if (r.min > r.max || (r.min === r.max && !(r.minIncluded && r.maxIncluded)))
          add('.partial', `no score lies between ${r.min} and ${r.max}`);
      }
      break;
    case 'bands': {
      quantity('.metric', rule.metric);
      rule.bands.forEach((b, i) => {
        const { score, ...bounds } = b;
        const p = boundsProblem(bounds);
        if (p) add(`.bands[${i}]`, p);
        if (score > points) add(`.bands[${i}].score`, `${score} is above the points ${points}`);
      });
      const cov = coverageProblems(rule.bands.map(({ score: _s, ...b }) => b));
      for (const o of cov.overlaps) add('.bands', `bands overlap: ${o}`);
      if (rule.otherwise === undefined) for (const g of cov.gaps) add('.bands', `bands leave a gap (${g}); add "otherwise"`);
      if (typeof rule.otherwise === 'number' && rule.otherwise > points)
        add('.otherwise', `${rule.otherwise} is above the points ${points}`);
      break;
    }
    case 'steps': {
      quantity('.metric', rule.metric);
      const p = boundsProblem(rule.full);
      if (p) add('.full', p);
      if (rule.full.eq !== undefined) add('.full', 'use gte/lte (the full-score side), not eq');
      if (rule.direction === 'higher' && rule.full.gt === undefined && rule.full.gte === undefined)
        add('.full', 'a higher-is-better rule needs gt or gte');
      if (rule.direction === 'lower' && rule.full.lt === undefined && rule.full.lte === undefined)
        add('.full', 'a lower-is-better rule needs lt or lte');
      if (rule.cutoff) {
        const c = boundsProblem(rule.cutoff);
        if (c) add('.cutoff', c);
      }
      break;
    }
    case 'proportional':
      quantity('.metric', rule.metric);
      break;
    case 'checklist': {
      const total = sum(rule.items.map((i) => i.points));
      if (!total.eq(dec(points))) add('.items', `items add up to ${total.toString()}, not ${points}`);
      const keys = new Set<string>();
      rule.items.forEach((it, i) => {
        if (keys.has(it.key)) add(`.items[${i}].key`, `duplicate key "${it.key}"`);
        keys.add(it.key);
      });
      break;
    }
    case 'per_violation':
      break;
    case 'graded': {
      const labels = new Set<string>();
      rule.levels.forEach((l, i) => {
        if (labels.has(l.label)) add(`.levels[${i}].label`, `duplicate level "${l.label}"`);
        labels.add(l.label);
        const fixed = l.score !== undefined;
        const range = l.minShare !== undefined || l.maxShare !== undefined;
        if (fixed === range) add(`.levels[${i}]`, 'give either score, or minShare and maxShare');
        if (range && (l.minShare === undefined || l.maxShare === undefined || l.minShare > l.maxShare))
          add(`.levels[${i}]`, 'minShare and maxShare must both be given, min ≤ max');
        if (fixed && l.score! > points) add(`.levels[${i}].score`, `${l.score} is above the points ${points}`);
      });
      break;
    }
    case 'not_exceeding':
      quantity('.actual', rule.actual);
      quantity('.limit', rule.limit);
      if (typeof rule.over === 'number' && rule.over > points) add('.over', `${rule.over} is above the points ${points}`);
      break;
    case 'discretionary':
      break;
  }
  return out;
}
