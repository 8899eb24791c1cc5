/**
 * Checking answers against a framework: unknown keys, wrong types, out-of-range values, key tasks
 * that do not add up. Returns every problem, in Chinese, so nothing is scored as if it were complete.
 */
import { z } from 'zod';
import { dec, formatNumber, formatScore, sum } from '../decimal';
import type { Framework, Indicator } from '../framework/load';
import { ruleProblems } from '../framework/load';
import { inPartialRange, partialRange } from '../framework/schema';
import { answersText as T, partialCreditText as PT } from '../locale/zh-CN';
import { answersSchema, type Answers, type JudgementAnswer } from './answers';
import { instantiate } from './engine';
import { describePartialRange, normaliseAnswer } from './rules';

export type AnswersValidation = { ok: true; answers: Answers } | { ok: false; problems: string[]; answers?: Answers };

function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(根)';
}

/** Checks a bounded value; returns a problem sentence or undefined. */
export function rangeProblem(label: string, v: number, min?: number, max?: number, integer?: boolean): string | undefined {
  if (!Number.isFinite(v)) return T.outOfRange(label, String(v), min?.toString(), max?.toString());
  if (integer && !Number.isInteger(v)) return T.notInteger(label);
  if ((min !== undefined && v < min) || (max !== undefined && v > max))
    return T.outOfRange(label, formatNumber(v, 4, true), min?.toString(), max?.toString());
  return undefined;
}

/** The problems with one indicator's answer, or [] when it fits the indicator's rule. */
export function judgementProblems(ind: Indicator, raw: JudgementAnswer): string[] {
  const rule = ind.rule;
  const a = normaliseAnswer(raw)!;
  const code = ind.code;
  const points = ind.points;
  const out: string[] = [];
  const needReasonIfLost = (score: number) => {
    if (score < points && !a.reason) out.push(T.reasonRequired(code));
  };
  const scoreInRange = () => {
    if (a.score === undefined) return;
    if (a.score < 0 || a.score > points) out.push(T.scoreOutOfRange(code, formatScore(points)));
    else needReasonIfLost(a.score);
  };
  if (!rule) return [T.notJudged(code, ind.name)];
  if (a.partial && rule.kind !== 'judgement') out.push(PT.notAllowed(code));
  switch (rule.kind) {
    case 'judgement': {
      if (!a.partial) {
        if (a.value === undefined) out.push(T.wrongAnswer(code, ind.name, '是或否'));
        break;
      }
      // Partly done: only where the rule allows it, with a score inside its range and a reason.
      const range = partialRange(rule, points);
      if (!range) out.push(PT.notAllowed(code));
      if (a.value !== undefined) out.push(PT.withValue(code));
      if (a.score === undefined) out.push(PT.noScore(code, ind.name));
      else if (range && !inPartialRange(range, a.score)) out.push(PT.outOfRange(code, describePartialRange(range)));
      if (!a.reason?.trim()) out.push(PT.noReason(code));
      break;
    }
    case 'checklist': {
      if (!a.items) out.push(T.wrongAnswer(code, ind.name, '已满足的项目列表'));
      else
        for (const it of a.items)
          if (!rule.items.some((x) => x.key === it || x.label === it)) out.push(T.unknownChecklistItem(code, it));
      break;
    }
    case 'per_violation':
      if (a.count === undefined || !Number.isInteger(a.count) || a.count < 0)
        out.push(T.wrongAnswer(code, ind.name, '不小于0的整数（例数）'));
      break;
    case 'graded': {
      const level = rule.levels.find((l) => l.label === a.level);
      if (!a.level) out.push(T.wrongAnswer(code, ind.name, `档次（${rule.levels.map((l) => l.label).join('、')}）`));
      else if (!level) out.push(T.unknownLevel(code, a.level, rule.levels.map((l) => l.label).join('、')));
      else if (level.score === undefined && a.score !== undefined) {
        const min = dec(points).times(level.minShare!);
        const max = dec(points).times(level.maxShare!);
        if (dec(a.score).lt(min) || dec(a.score).gt(max))
          out.push(T.scoreOutsideLevel(code, level.label, formatScore(min), formatScore(max)));
        // A score picked inside a range is a person's decision: lost points need a reason.
        else needReasonIfLost(a.score);
      }
      break;
    }
    case 'discretionary':
      if (a.score === undefined) out.push(T.wrongAnswer(code, ind.name, '得分及理由'));
      scoreInRange();
      break;
    case 'proportional':
      if (!ind.measure) out.push(T.notJudged(code, ind.name));
      else if (a.actual === undefined || !(a.actual >= 0)) out.push(T.wrongAnswer(code, ind.name, `实际${ind.measure.label}（${ind.measure.unit}）`));
      break;
    case 'bands':
    case 'not_exceeding': {
      const discretionary = rule.kind === 'bands' ? rule.otherwise === 'discretionary' : rule.over === 'discretionary';
      if (!discretionary) out.push(T.notJudged(code, ind.name));
      else scoreInRange();
      break;
    }
    default:
      out.push(T.notJudged(code, ind.name));
  }
  return out;
}

/**
 * Validates answers (parsed JSON) against a framework. On success returns the typed answers; otherwise
 * every problem found, each naming the key or indicator.
 */
export function validateAnswers(framework: Framework, data: unknown): AnswersValidation {
  const parsed = answersSchema.safeParse(data);
  if (!parsed.success) {
    // List the shape problems, then check the rest too: every problem at once, not one round at a time.
    const shape = parsed.error.issues.map((i: z.core.$ZodIssue) => `${pathText(i.path)}：${i.message}`);
    const repaired = withoutPaths(data, parsed.error.issues.map((i: z.core.$ZodIssue) => i.path));
    const again = repaired === undefined ? undefined : answersSchema.safeParse(repaired);
    const rest = again?.success ? semanticProblems(framework, again.data) : [];
    return { ok: false, problems: [...shape, ...rest] };
  }
  const answers = parsed.data;
  const problems = semanticProblems(framework, answers);
  return problems.length ? { ok: false, problems, answers } : { ok: true, answers };
}

/** A deep copy of `data` without the values at `paths` (the parts that failed the shape check). */
function withoutPaths(data: unknown, paths: ReadonlyArray<ReadonlyArray<PropertyKey>>): unknown {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const copy = structuredClone(data) as Record<string, unknown>;
  for (const path of paths) {
    if (!path.length) return undefined;
    let node: unknown = copy;
    for (let i = 0; i < path.length - 1 && node && typeof node === 'object'; i++) node = (node as Record<PropertyKey, unknown>)[path[i] as string];
    const last = path[path.length - 1]!;
    if (Array.isArray(node) && typeof last === 'number') node.splice(last, 1, undefined);
    else if (node && typeof node === 'object') delete (node as Record<PropertyKey, unknown>)[last as string];
  }
  return copy;
}

/** Problems beyond the shape: unknown keys, ranges, rules, key tasks. */
function semanticProblems(framework: Framework, answers: Answers): string[] {
  const problems: string[] = [];

  for (const [key, v] of Object.entries(answers.facts ?? {})) {
    const f = framework.factByKey.get(key);
    if (!f) problems.push(T.unknownFact(key));
    else {
      const p = rangeProblem(f.label, v, f.min, f.max, f.integer);
      if (p) problems.push(p);
    }
  }
  for (const [key, v] of Object.entries(answers.metrics ?? {})) {
    const m = framework.metricByKey.get(key);
    if (!m) problems.push(T.unknownMetric(key));
    else if (!m.directAllowed) problems.push(T.notDirect(m.label));
    else {
      const p = rangeProblem(m.label, v, m.min, m.max);
      if (p) problems.push(p);
    }
  }
  for (const key of Object.keys(answers.metricChoice ?? {}))
    if (!framework.metricByKey.has(key)) problems.push(T.unknownChoice(key));

  // Key tasks, then the tree they make.
  const names = new Map<string, string>([
    ...framework.facts.map((f) => [f.key, 'fact'] as [string, string]),
    ...framework.metrics.map((m) => [m.key, 'metric'] as [string, string]),
  ]);
  for (const [code, tasks] of Object.entries(answers.keyTasks ?? {})) {
    const slot = framework.byCode.get(code);
    if (!slot?.keyTasks) {
      problems.push(slot ? T.notSlot(code) : T.unknownIndicator(code));
      continue;
    }
    const min = slot.keyTasks.minItems ?? 1;
    const max = slot.keyTasks.maxItems ?? 50;
    if (tasks.length < min || tasks.length > max) problems.push(T.keyTaskCount(code, min, max));
    const total = sum(tasks.map((t) => t.points));
    if (!total.eq(dec(slot.points))) problems.push(T.keyTaskPoints(code, formatScore(total), formatScore(slot.points)));
    const kinds = slot.keyTasks.kinds ?? ['judgement'];
    tasks.forEach((t) => {
      if (t.rule) {
        if (!(kinds as string[]).includes(t.rule.kind)) problems.push(T.keyTaskKind(t.code ?? t.name, t.rule.kind));
        for (const p of ruleProblems(t.rule, t.points, names)) problems.push(`${t.code ?? t.name}${p.field}：${p.message}`);
      }
    });
  }
  const tree = instantiate(framework, answers);
  const byCode = new Map<string, Indicator>();
  const index = (ind: Indicator) => {
    if (byCode.has(ind.code)) problems.push(T.duplicateCode(ind.code));
    byCode.set(ind.code, ind);
    ind.children.forEach(index);
  };
  tree.forEach(index);

  for (const [code, a] of Object.entries(answers.judgements ?? {})) {
    const ind = byCode.get(code);
    if (!ind) problems.push(T.unknownIndicator(code));
    else problems.push(...judgementProblems(ind, a));
  }
  for (const code of Object.keys(answers.notApplicable ?? {})) {
    const ind = byCode.get(code);
    if (!ind) problems.push(T.unknownIndicator(code));
    else if (ind.required) problems.push(T.notApplicableRequired(code));
  }
  if ((answers.bonus ?? []).length) {
    const section = framework.bonus;
    if (!section) problems.push(T.noBonusSection);
    else
      for (const b of answers.bonus!)
        if (!section.items.some((i) => i.key === b.item || i.label === b.item))
          problems.push(T.unknownBonusItem(b.item, section.items.map((i) => `${i.key}（${i.label}）`).join('、')));
  }
  if ((answers.penalties ?? []).length && !framework.penalty) problems.push(T.noPenaltySection);
  for (const key of answers.confirmedChecks ?? [])
    if (!framework.checks.some((c) => c.key === key)) problems.push(T.unknownCheck(key));
  const narrativeKeys = new Set((framework.narratives ?? []).map((n) => n.key));
  for (const key of Object.keys(answers.narratives ?? {})) if (!narrativeKeys.has(key)) problems.push(T.unknownNarrative(key));
  for (const key of Object.keys(answers.evidence ?? {}))
    if (!byCode.has(key) && !names.has(key)) problems.push(T.unknownIndicator(key));

  return problems;
}
