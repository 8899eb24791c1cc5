/**
 * The question plan: every question an evaluation can ask, in order, derived from the framework,
 * the answers so far and their scores. Facts are asked once and feed every indicator that needs them;
 * follow-up questions (a discretionary score, a conflict to settle, a failed balance check) appear
 * when the scores call for them.
 */
import type { QuestionMeta } from '../messages';
import { formatScore } from '../decimal';
import type { Framework, Indicator } from '../framework/load';
import { inPartialRange, partialRange, type PartialRange, type Rule } from '../framework/schema';
import { dialogText as T, partialCreditText as PT, readingText, scoringText } from '../locale/zh-CN';
import { metricCells } from '../scoring/conclusions';
import { describePartialRange } from '../scoring/rules';
import type { Answers } from '../scoring/answers';
import { formulaRefs } from '../framework/formula';
import { isFactOnlyForNotApplicable, quantitiesOf } from '../framework/usage';
import { instantiate, ownMeasureKey } from '../scoring/engine';
import type { IndicatorScore, ScoreResult } from '../scoring/types';

export type QuestionKind =
  | 'fact'
  | 'metric'
  | 'judgement'
  | 'decision'
  | 'confirm'
  | 'check'
  | 'keyTasks'
  | 'bonus'
  | 'penalty'
  | 'narrative'
  /** Where a metric lies when the unit has no figure for it, with the basis. */
  | 'conclusion';

/** Sections outside the indicator tree. */
export const SECTION_ADJUSTMENTS = 'adjustments';
export const SECTION_REPORT = 'report';

/** One question of the plan. */
export interface Question {
  /** Stable key: "fact:spending", "judgement:A11", "narrative:problems"… */
  key: string;
  kind: QuestionKind;
  /** The fact/metric key, indicator code, narrative key or check key the question is about. */
  target: string;
  /** What is being asked for, in a word or two ("本年实际支出数", "决策制度的规范性"). */
  label: string;
  /** Breadcrumb shown before the question: [部门管理, 预算执行]. */
  path: string[];
  /** Codes (indicator and its ancestors, or the section) an assignment can match. */
  sections: string[];
  prompt: string;
  meta: QuestionMeta;
  answered: boolean;
  /** Only organisers answer it (key tasks). */
  organiserOnly?: boolean;
  /** The indicator's rule, for judgement and decision questions. */
  rule?: Rule;
  points?: number;
}

function ancestorsOf(byCode: Map<string, Indicator>, code: string | undefined): Indicator[] {
  const out: Indicator[] = [];
  let c = code ? byCode.get(code) : undefined;
  while (c) {
    out.unshift(c);
    c = c.parent ? byCode.get(c.parent) : undefined;
  }
  return out;
}

/** A partial score to show in an example: the middle of the range, in hundredths. */
export function partialExampleScore(r: PartialRange): number {
  const mid = Math.round(((r.min + r.max) / 2) * 100) / 100;
  return inPartialRange(r, mid) ? mid : r.minIncluded ? r.min : r.max;
}

/** Options of a judgement question, as the buttons show them (部分做到 where the rule allows partial credit). */
export function optionsFor(rule: Rule): string[] | undefined {
  switch (rule.kind) {
    case 'judgement':
      return rule.partial !== undefined ? [T.yes, PT.option, T.no] : [T.yes, T.no];
    case 'graded':
      return rule.levels.map((l) => l.label);
    case 'checklist':
      return rule.items.map((i) => i.label);
    default:
      return undefined;
  }
}

function judgementMeta(key: string, rule: Rule, points: number, ind?: Indicator): QuestionMeta {
  if (ind?.measure) return { key, type: ind.measure.unit === '%' ? 'percent' : 'number', unit: ind.measure.unit };
  switch (rule.kind) {
    case 'judgement':
      return { key, type: 'boolean', options: optionsFor(rule)! };
    case 'graded':
      return { key, type: 'choice', options: rule.levels.map((l) => l.label) };
    case 'checklist':
      return { key, type: 'multi', options: rule.items.map((i) => i.label) };
    case 'per_violation':
      return { key, type: 'count', unit: '例' };
    default:
      return { key, type: 'score', unit: `分（0–${formatScore(points)}）` };
  }
}

function judgementPrompt(rule: Rule, points: number, ind?: Indicator): string {
  if (ind?.measure) return T.askMeasure(ind.name, ind.measure.label, `${ind.measure.target}${ind.measure.unit}`, ind.measure.unit);
  switch (rule.kind) {
    case 'judgement': {
      const range = partialRange(rule, points);
      if (!range) return T.askJudgement(rule.question);
      return PT.ask(rule.question, describePartialRange(range), PT.example(formatScore(partialExampleScore(range))));
    }
    case 'graded':
      return T.askGraded(rule.question, rule.levels.map((l) => l.label));
    case 'checklist':
      return T.askChecklist(rule.question, rule.items.map((i) => `${i.label}（${formatScore(i.points)}分）`));
    case 'per_violation':
      return T.askCount(rule.question);
    case 'discretionary':
      return T.askScore(rule.question, formatScore(points));
    default:
      return '';
  }
}

/** Whether an indicator's own question has an answer (judgement, level, items, count or score). */
function judged(answers: Answers, code: string): boolean {
  return answers.judgements?.[code] !== undefined || answers.conclusions?.[ownMeasureKey(code)] !== undefined;
}

/** What a plan of a framework (with given key tasks) shares with the next one: the tree's index and the questions' texts. */
interface PlanCache {
  tree: Indicator[];
  byCode: Map<string, Indicator>;
  chains: Map<string, Indicator[]>;
  /** Each question twice (unanswered, answered), by kind and by what it asks about. */
  questions: Record<'fact' | 'metric' | 'judgement' | 'keyTasks' | 'narrative' | 'adjustment', Map<object, [Question, Question]>>;
}

/** Plan caches per framework, by key tasks (most recently used last). */
const planCaches = new WeakMap<Framework, Map<string, PlanCache>>();
const PLAN_CACHES_PER_FRAMEWORK = 64;

/**
 * The plan cache of a framework and key tasks. A plan is rebuilt after every answer; only whether each
 * question is answered (and the follow-ups) changes, so prompts, paths and metadata are built once.
 */
function planCacheFor(framework: Framework, answers: Answers): PlanCache {
  const tasksKey = answers.keyTasks === undefined ? '' : JSON.stringify(answers.keyTasks);
  let perFramework = planCaches.get(framework);
  if (!perFramework) planCaches.set(framework, (perFramework = new Map()));
  let cache = perFramework.get(tasksKey);
  if (cache) {
    perFramework.delete(tasksKey);
    perFramework.set(tasksKey, cache);
    return cache;
  }
  const tree = instantiate(framework, answers);
  const byCode = new Map<string, Indicator>();
  const index = (i: Indicator) => {
    byCode.set(i.code, i);
    i.children.forEach(index);
  };
  tree.forEach(index);
  cache = {
    tree,
    byCode,
    chains: new Map(),
    questions: { fact: new Map(), metric: new Map(), judgement: new Map(), keyTasks: new Map(), narrative: new Map(), adjustment: new Map() },
  };
  perFramework.set(tasksKey, cache);
  if (perFramework.size > PLAN_CACHES_PER_FRAMEWORK) perFramework.delete(perFramework.keys().next().value as string);
  return cache;
}

/**
 * Shares a question about `source` (a fact, metric, indicator or narrative of a cached tree) with the
 * plans after this one, answered and not: plans are read, never changed. Only called when the cache
 * has no such question yet, so a plan's questions are not rebuilt (nor closures made) per answer.
 */
function share(byObject: Map<object, [Question, Question]>, source: object, q: Omit<Question, 'answered'>): [Question, Question] {
  // Frozen, so a caller changing a shared question fails loudly instead of changing later plans.
  for (const part of [q.meta, q.path, q.sections, q.meta.options]) if (part) Object.freeze(part);
  const pair: [Question, Question] = [Object.freeze({ ...q, answered: false }), Object.freeze({ ...q, answered: true })];
  byObject.set(source, pair);
  return pair;
}

/** The answered or unanswered form of a shared question. */
function pick(pair: [Question, Question], answered: boolean): Question {
  return pair[answered ? 1 : 0];
}

/**
 * Builds the full plan. `result` must be the scoring of `answers`; follow-up questions come from it.
 */
export function buildPlan(framework: Framework, answers: Answers, result: ScoreResult): Question[] {
  const cache = planCacheFor(framework, answers);
  const { tree, byCode, chains } = cache;
  // Every question looks up its ancestors several times: once per code is enough.
  const ancestors = (_: Map<string, Indicator>, code: string | undefined): Indicator[] => {
    if (!code) return [];
    let chain = chains.get(code);
    if (!chain) chains.set(code, (chain = ancestorsOf(byCode, code)));
    return chain;
  };
  // Scores that still wait for a decision (the follow-up question quotes their reasons).
  const waiting = new Map<string, IndicatorScore>();
  for (const i of result.indicators) if (i.missing.length && i.missing.some((m) => m.kind === 'decision')) waiting.set(i.code, i);
  const na = answers.notApplicable ?? {};
  const noFigure = new Set(answers.noFigure ?? []);
  const isNA = (code: string) => ancestors(byCode, code).some((a) => na[a.code] !== undefined);

  // Questions grouped by level-1 section, in tree order.
  const bySection = new Map<string, Question[]>(tree.map((r) => [r.code, []]));
  const add = (section: string, q: Question) => {
    if (!bySection.has(section)) bySection.set(section, []);
    bySection.get(section)!.push(q);
  };
  const pathOf = (code: string | undefined) => ancestors(byCode, code).slice(0, 2).map((a) => a.name);
  const sectionsOf = (code: string | undefined) => ancestors(byCode, code).map((a) => a.code);
  const firstRoot = tree[0]!.code;

  // Conflicts and failed checks come first: they block scores.
  const urgent: Question[] = [];
  for (const inc of result.inconsistencies) {
    if (inc.kind === 'metric_conflict' && !inc.resolved) {
      const m = framework.metricByKey.get(inc.key)!;
      urgent.push({
        key: `confirm:${inc.key}`,
        kind: 'confirm',
        target: inc.key,
        label: m.label,
        path: pathOf(m.section),
        sections: sectionsOf(m.section),
        prompt: T.askConfirm(inc.message),
        meta: { key: `confirm:${inc.key}`, type: 'choice', options: [T.useDirect, T.useComputed] },
        answered: false,
      });
    }
    if (inc.kind === 'check_failed' && !(answers.confirmedChecks ?? []).includes(inc.key)) {
      const c = framework.checks.find((x) => x.key === inc.key)!;
      urgent.push({
        key: `check:${inc.key}`,
        kind: 'check',
        target: inc.key,
        label: c.label,
        path: [],
        sections: [],
        prompt: T.askCheck(inc.message),
        meta: { key: `check:${inc.key}`, type: 'choice', options: [T.checkConfirmed] },
        answered: false,
      });
    }
  }

  for (const f of framework.facts) {
    const section = ancestors(byCode, f.section)[0]?.code ?? firstRoot;
    // Not asked when only indicators that do not apply would use it (unless it was given anyway).
    const given = answers.facts?.[f.key] !== undefined || noFigure.has(f.key);
    if (!given && ((f.section && isNA(f.section)) || isFactOnlyForNotApplicable(framework, f.key, isNA))) continue;
    add(
      section,
      pick(
        cache.questions.fact.get(f) ??
          share(cache.questions.fact, f, {
            key: `fact:${f.key}`,
            kind: 'fact',
            target: f.key,
            label: f.label,
            path: pathOf(f.section),
            sections: sectionsOf(f.section),
            prompt: T.askQuantity(f.question, f.unit),
            meta: { key: `fact:${f.key}`, type: f.unit === '%' ? 'percent' : 'number', ...(f.unit ? { unit: f.unit } : {}) },
          }),
        given,
      ),
    );
  }
  // Metrics that no figure will come for: where they lie is asked instead (a conclusion with its basis).
  const needConclusion = new Set<string>();
  for (const i of result.indicators) for (const m of i.missing) if (m.kind === 'conclusion') needConclusion.add(m.key);
  for (const m of framework.metrics) {
    const section = ancestors(byCode, m.section)[0]?.code ?? firstRoot;
    if (m.section && isNA(m.section)) continue;
    const given = answers.metrics?.[m.key] !== undefined || noFigure.has(m.key);
    // A metric also computed from facts: the figure the unit reports (决算), compared with the computed one.
    if (!m.ast || m.directAllowed) {
      add(
        section,
        pick(
          cache.questions.metric.get(m) ?? share(cache.questions.metric, m, metricQuestion(framework, m.key, pathOf(m.section), sectionsOf(m.section), answers)),
          given,
        ),
      );
    }
    const concluded = answers.conclusions?.[m.key] !== undefined;
    if (needConclusion.has(m.key) || concluded) {
      const options = metricCells(framework, answers, m.key).map((c) => c.label);
      if (options.length) {
        add(section, {
          key: `conclusion:${m.key}`,
          kind: 'conclusion',
          target: m.key,
          label: readingText.conclusionLabel(m.label),
          path: pathOf(m.section),
          sections: sectionsOf(m.section),
          prompt: readingText.askConclusion(m.label, options),
          meta: { key: `conclusion:${m.key}`, type: 'choice', options },
          answered: concluded,
        });
      }
    }
  }

  const walk = (ind: Indicator) => {
    const section = ancestors(byCode, ind.code)[0]!.code;
    if (na[ind.code] !== undefined) return;
    if (ind.keyTasks) {
      const keyTasks = ind.keyTasks;
      add(
        section,
        pick(
          cache.questions.keyTasks.get(ind) ??
            share(cache.questions.keyTasks, ind, {
              key: `keyTasks:${ind.code}`,
              kind: 'keyTasks',
              target: ind.code,
              label: ind.name,
              path: pathOf(ind.code),
              sections: sectionsOf(ind.code),
              prompt: T.askKeyTasks(keyTasks.question, formatScore(ind.points)),
              meta: { key: `keyTasks:${ind.code}`, type: 'list', unit: '分' },
              organiserOnly: true,
              points: ind.points,
            }),
          (answers.keyTasks?.[ind.code] ?? []).length > 0,
        ),
      );
    }
    if (ind.rule) {
      const rule = ind.rule;
      const own = optionsFor(rule) !== undefined || rule.kind === 'per_violation' || rule.kind === 'discretionary' || !!ind.measure;
      const key = `judgement:${ind.code}`;
      if (own) {
        add(
          section,
          pick(
            cache.questions.judgement.get(ind) ??
              share(cache.questions.judgement, ind, {
                key,
                kind: 'judgement',
                target: ind.code,
                label: ind.name,
                path: pathOf(ind.parent),
                sections: sectionsOf(ind.code),
                prompt: judgementPrompt(rule, ind.points, ind),
                meta: judgementMeta(key, rule, ind.points, ind),
                rule,
                points: ind.points,
              }),
            judged(answers, ind.code),
          ),
        );
      }
      const s = waiting.get(ind.code);
      const needsDecision = s !== undefined;
      const hasDecision = (answers.judgements?.[ind.code] as { score?: number } | undefined)?.score !== undefined;
      if (needsDecision || (hasDecision && !own)) {
        add(section, {
          key: `decision:${ind.code}`,
          kind: 'decision',
          target: ind.code,
          label: ind.name,
          path: pathOf(ind.parent),
          sections: sectionsOf(ind.code),
          prompt: T.askDecision(ind.name, s?.reasons.filter((r) => r !== scoringText.missingDecision).join('，') ?? '', formatScore(ind.points), ind.criteria),
          meta: { key: `decision:${ind.code}`, type: 'score', unit: `分（0–${formatScore(ind.points)}）` },
          answered: !needsDecision,
          rule,
          points: ind.points,
        });
      }
    }
    ind.children.forEach(walk);
  };
  tree.forEach(walk);

  const adjustments: Question[] = [];
  const { bonus, penalty } = framework;
  if (bonus) {
    adjustments.push(
      pick(
        cache.questions.adjustment.get(bonus) ??
          share(cache.questions.adjustment, bonus, {
            key: 'bonus',
            kind: 'bonus',
            target: 'bonus',
            label: bonus.name,
            path: [framework.adjustmentsName ?? T.adjustments],
            sections: [SECTION_ADJUSTMENTS],
            prompt: T.askBonus(bonus.items.map((i) => `${i.label}（加${formatScore(i.points)}分）`), formatScore(bonus.cap)),
            meta: { key: 'bonus', type: 'multi', options: bonus.items.map((i) => i.label) },
          }),
        answers.bonus !== undefined,
      ),
    );
  }
  if (penalty) {
    adjustments.push(
      pick(
        cache.questions.adjustment.get(penalty) ??
          share(cache.questions.adjustment, penalty, {
            key: 'penalty',
            kind: 'penalty',
            target: 'penalty',
            label: penalty.name,
            path: [framework.adjustmentsName ?? T.adjustments],
            sections: [SECTION_ADJUSTMENTS],
            prompt: T.askPenalty(penalty.description ?? penalty.name),
            meta: { key: 'penalty', type: 'list', unit: '分' },
          }),
        answers.penalties !== undefined,
      ),
    );
  }
  const report: Question[] = (framework.narratives ?? []).map((n) =>
    pick(
      cache.questions.narrative.get(n) ??
        share(cache.questions.narrative, n, {
          key: `narrative:${n.key}`,
          kind: 'narrative' as const,
          target: n.key,
          label: n.title,
          path: [T.reportSection],
          sections: [SECTION_REPORT],
          prompt: T.askNarrative(n.question),
          meta: { key: `narrative:${n.key}`, type: 'text' as const },
        }),
      (answers.narratives?.[n.key] ?? '').trim() !== '',
    ),
  );

  return [...urgent, ...[...bySection.values()].flat(), ...adjustments, ...report];
}

/** The question for entering a metric directly. */
export function metricQuestion(framework: Framework, key: string, path: string[], sections: string[], answers: Answers): Question {
  const m = framework.metricByKey.get(key)!;
  return {
    key: `metric:${m.key}`,
    kind: 'metric',
    target: m.key,
    label: m.label,
    path,
    sections,
    prompt: m.ast ? T.askQuantity(readingText.reportedFigureQuestion(m.label), m.unit) : T.askQuantity(m.question ?? m.label, m.unit),
    meta: { key: `metric:${m.key}`, type: m.unit === '%' ? 'percent' : 'number', ...(m.unit ? { unit: m.unit } : {}) },
    answered: answers.metrics?.[m.key] !== undefined || (answers.noFigure ?? []).includes(m.key),
  };
}

/**
 * A name as people type it, for comparing: full-width forms folded (NFKC), quotes of every kind and
 * spaces removed, letters in lower case. “三公”经费, "三公"经费 and 三公经费 compare equal.
 */
export function canonicalName(name: string): string {
  return name
    .normalize('NFKC')
    .replace(/["'“”‘’「」『』〝〞〟＂＇`]/g, '')
    .replace(/\s+/g, '')
    .toLowerCase();
}

/**
 * The indicator a person means by a code or a name, at any level, key-task items included (once
 * entered): the code (any case), else the one indicator whose name is the same (quotes and
 * full-width forms aside). Indicators marked not applicable are found too.
 */
export function findIndicator(framework: Framework, answers: Answers, name: string): Indicator | undefined {
  const n = name.trim();
  if (!n) return undefined;
  const { byCode } = planCacheFor(framework, answers);
  const upper = n.toUpperCase();
  for (const [code, ind] of byCode) if (code.toUpperCase() === upper) return ind;
  const c = canonicalName(n);
  if (!c) return undefined;
  const named = [...byCode.values()].filter((i) => canonicalName(i.name) === c);
  return named.length === 1 ? named[0] : undefined;
}

/** The indicator's ancestors, from level 1 down to the indicator itself. */
export function indicatorChain(framework: Framework, answers: Answers, code: string): Indicator[] {
  return ancestorsOf(planCacheFor(framework, answers).byCode, code);
}

/**
 * Every question that feeds an indicator, in plan order: its own question (judgement, decision, key
 * tasks) and the facts and metrics its rule reads (a computed metric through the facts of its
 * formula, and its direct entry where allowed); for a parent, the questions of every indicator below
 * it and of the facts filed under it. Questions of indicators marked not applicable are not in the plan.
 */
export function indicatorQuestions(framework: Framework, plan: Question[], answers: Answers, ind: Indicator): Question[] {
  const keys = new Set<string>();
  const extra: Question[] = [];
  const addQuantity = (key: string, seen: Set<string>) => {
    if (seen.has(key)) return;
    seen.add(key);
    if (framework.factByKey.has(key)) keys.add(`fact:${key}`);
    const m = framework.metricByKey.get(key);
    if (!m) return;
    keys.add(`confirm:${key}`);
    if (m.ast) for (const ref of formulaRefs(m.ast)) addQuantity(ref, seen);
    if (m.directAllowed) {
      keys.add(`metric:${key}`);
      if (!plan.some((q) => q.key === `metric:${key}`)) extra.push(metricQuestion(framework, key, [], [], answers));
    }
  };
  const visit = (i: Indicator) => {
    keys.add(`judgement:${i.code}`);
    keys.add(`decision:${i.code}`);
    keys.add(`keyTasks:${i.code}`);
    if (i.rule) for (const q of quantitiesOf(i.rule)) addQuantity(q, new Set());
    i.children.forEach(visit);
  };
  visit(ind);
  const inPlan = plan.filter((q) => keys.has(q.key) || (ind.children.length > 0 && q.sections.includes(ind.code) && q.kind !== 'check'));
  return [...inPlan, ...extra.filter((q) => !inPlan.some((p) => p.key === q.key))];
}

/**
 * Finds the question a person means by a name or code (修改 <name or code>): a question key, an
 * indicator code or name at any level (a leaf's own question or the inputs its score is computed
 * from; a parent's questions), a fact/metric label, a narrative title, 重点工作, 加分, 减分 — exact
 * first (quotes and full-width forms aside), then a unique partial match. Several matches come back
 * as a list to choose from. Metrics computed from facts can be named to enter them directly.
 */
export function findQuestion(framework: Framework, plan: Question[], answers: Answers, name: string): Question | Question[] | undefined {
  const n = name.trim();
  if (!n) return undefined;
  const byKey = plan.find((q) => q.key === n);
  if (byKey) return byKey;
  if (n.startsWith('metric:') && framework.metricByKey.get(n.slice(7))?.directAllowed) return metricQuestion(framework, n.slice(7), [], [], answers);
  const one = (qs: Question[]): Question | Question[] | undefined => (qs.length === 1 ? qs[0] : qs.length ? qs : undefined);
  const upper = n.toUpperCase();
  const codeHit = findIndicator(framework, answers, n);
  if (codeHit && codeHit.code.toUpperCase() === upper) {
    const own = plan.find((q) => q.kind === 'judgement' && q.target === codeHit.code);
    return own ?? one(indicatorQuestions(framework, plan, answers, codeHit));
  }
  if (/^(重点工作|关键任务)$/.test(n)) return plan.find((q) => q.kind === 'keyTasks');
  if (/^(加分|加分项)$/.test(n)) return plan.find((q) => q.kind === 'bonus');
  if (/^(减分|减分项|扣分项)$/.test(n)) return plan.find((q) => q.kind === 'penalty');
  const c = canonicalName(n);
  // Follow-ups (a conflict to settle, a check to confirm) share their figure's name: names mean the figure.
  const named = plan.filter((q) => q.kind !== 'check' && q.kind !== 'confirm');
  const exact = named.filter((q) => canonicalName(q.label) === c && q.kind !== 'decision');
  const metric = framework.metrics.find((m) => canonicalName(m.label) === c || (m.synonyms ?? []).some((s) => canonicalName(s) === c));
  if (metric?.directAllowed && !exact.some((q) => q.key === `metric:${metric.key}`)) {
    exact.push(plan.find((q) => q.key === `metric:${metric.key}`) ?? metricQuestion(framework, metric.key, [], [], answers));
  }
  // An indicator named exactly: its own question, else what its score is computed from.
  if (codeHit) {
    const own = plan.find((q) => q.kind === 'judgement' && q.target === codeHit.code);
    const qs = own && !codeHit.children.length ? [own] : indicatorQuestions(framework, plan, answers, codeHit);
    // A figure or section of the same name (满意度, 中长期规划) is offered beside the indicator's questions.
    const all = [...qs, ...exact.filter((q) => !qs.some((x) => x.key === q.key))];
    // The indicator's questions include the figure of the same name: that figure is what is meant.
    if (exact.length === 1 && qs.some((x) => x.key === exact[0]!.key) && !codeHit.children.length) return exact[0];
    return one(all);
  }
  if (exact.length) return one(exact);
  const partial = named.filter((q) => canonicalName(q.label).includes(c) && q.kind !== 'decision');
  if (partial.length) return one(partial);
  return undefined;
}
