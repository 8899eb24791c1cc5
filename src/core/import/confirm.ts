/**
 * Confirmation: the organiser completes what the compiler could not, and may override any rule.
 * A pure API over the plain-JSON draft, for the chat, the console and `POST /api/frameworks` alike:
 *
 * 1. `listOpenRows(draft)`: one question per open row, with the prose, the reason and a suggestion.
 * 2. `applyConfirmation(draft, code, answer)`: the answer is a rule object, or a short Chinese phrase
 *    compiled by the same compiler ("达到90%得2分，否则得1分"; "确认" accepts the suggestion). Returns a
 *    new draft, or a reason to ask again; never throws on a bad answer.
 * 3. `describeDraftStatus(draft)`: whether it is usable (nothing open and the loader accepts it).
 * 4. `updateDraftMeta(draft, { id, name, grades })`: what the sheet does not say;
 * 5. `finaliseDraft(draft)`: the Framework, through `loadFramework`, the same checks as built-ins.
 *
 * @example
 * for (const q of listOpenRows(draft)) ask(q.question)
 * const r = applyConfirmation(draft, 'B11', '预算执行率达到90%得1分，否则得0.5分')
 * if (r.ok) draft = r.draft; else reask(r.error)
 */
import { coverageProblems, FrameworkError, loadFramework, ruleProblems, type Framework } from '../framework/load';
import { bonusSectionSchema, frameworkSchema, ruleSchema, type BonusSection, type Fact, type FrameworkInput, type GradeBand, type IndicatorInput, type Metric, type Rule } from '../framework/schema';
import { importText as T } from '../locale/zh-CN';
import { compileCriteria, parseBonusTable, type RuleQuantities } from './compiler';
import { describeGaps, describeRule } from './describe';
import { compileBonus, describeBonus, type DraftFramework, type DraftNode, type DraftRow } from './importer';
import { findLibraryFact, LIBRARY_METRICS } from './metric-library';
import { normaliseText } from './numerals';

/** One question for an open row. */
export interface OpenQuestion {
  code: string;
  /** Sheet row number (1-based). */
  row: number;
  name: string;
  /** Level-1 and level-2 names above the row. */
  path: string[];
  points?: number;
  /** The 评价要点 as written. */
  criteria: string;
  /** Why it is open. */
  reason: string;
  /** The whole question to show, prose and reason included. */
  question: string;
  /** A rule the organiser can accept with "确认", in plain Chinese. */
  suggestion?: string;
}

/** The answer to an open row or an override: a rule object, a bonus table, or a short phrase. */
export type ConfirmationAnswer = Rule | BonusSection | string;

/** The result of applying an answer: a new draft, or why the answer was not taken (to ask again). */
export type ConfirmationResult = { ok: true; draft: DraftFramework; row: DraftRow } | { ok: false; error: string };

const ACCEPT = /^(确认|是|是的|对|同意|好|好的|可以|接受|采用建议|按建议|ok|yes)[。!！]?$/i;

/** The open rows, in sheet order, each with the question to ask. */
export function listOpenRows(draft: DraftFramework): OpenQuestion[] {
  return draft.rows
    .filter((r) => r.outcome.status === 'open')
    .map((r) => {
      const o = r.outcome as Extract<DraftRow['outcome'], { status: 'open' }>;
      const suggestion = o.suggestion?.text;
      return {
        code: r.code,
        row: r.row,
        name: r.name,
        path: r.path,
        ...(r.points !== undefined ? { points: r.points } : {}),
        criteria: r.criteria,
        reason: o.reason,
        question: T.confirm.question(r.row, r.code, [...r.path, r.name].join(' / '), r.points, r.criteria, o.reason, suggestion),
        ...(suggestion ? { suggestion } : {}),
      };
    });
}

/** Every fact and metric the draft knows: its own, the library's, and those its rows' rules read. */
function knownQuantities(draft: DraftFramework): { facts: Fact[]; metrics: Metric[] } {
  const facts = new Map<string, Fact>();
  const metrics = new Map<string, Metric>();
  for (const f of draft.facts) facts.set(f.key, f);
  for (const m of draft.metrics) metrics.set(m.key, m);
  for (const r of draft.rows) {
    for (const f of r.quantities.facts) if (!facts.has(f.key)) facts.set(f.key, f);
    for (const m of r.quantities.metrics) if (!metrics.has(m.key)) metrics.set(m.key, m);
  }
  return { facts: [...facts.values()], metrics: [...metrics.values()] };
}

/** The quantities a rule object reads, resolved from the draft or the library; undefined when unknown. */
function quantitiesForRule(draft: DraftFramework, rule: Rule): RuleQuantities | { unknown: string } {
  const keys: string[] = [];
  if ('metric' in rule) keys.push(rule.metric);
  if (rule.kind === 'not_exceeding') keys.push(rule.actual, rule.limit);
  const known = knownQuantities(draft);
  const out: RuleQuantities = { metrics: [], facts: [] };
  for (const key of keys) {
    const m = known.metrics.find((x) => x.key === key);
    const f = known.facts.find((x) => x.key === key);
    if (m) {
      out.metrics.push(m);
      continue;
    }
    if (f) {
      out.facts.push(f);
      continue;
    }
    const lib = LIBRARY_METRICS.find((x) => x.metric.key === key);
    if (lib) {
      out.metrics.push({ ...lib.metric });
      for (const fk of lib.facts) out.facts.push({ ...findLibraryFact(fk)! });
      continue;
    }
    const lf = findLibraryFact(key);
    if (lf) {
      out.facts.push({ ...lf });
      continue;
    }
    return { unknown: key };
  }
  // Facts that the metrics' formulas read.
  for (const m of out.metrics) {
    const lib = LIBRARY_METRICS.find((x) => x.metric.key === m.key);
    for (const fk of lib?.facts ?? []) if (!out.facts.some((f) => f.key === fk)) out.facts.push(known.facts.find((f) => f.key === fk) ?? { ...findLibraryFact(fk)! });
  }
  return out;
}

function labelsOf(q: RuleQuantities, draft: DraftFramework) {
  const known = knownQuantities(draft);
  const all = [...q.metrics, ...q.facts, ...known.metrics, ...known.facts];
  return {
    label: (k: string) => all.find((x) => x.key === k)?.label ?? k,
    unit: (k: string) => all.find((x) => x.key === k)?.unit ?? '%',
  };
}

function replaceRow(draft: DraftFramework, index: number, row: DraftRow): DraftFramework {
  const rows = draft.rows.slice();
  rows[index] = row;
  return { ...draft, rows };
}

/**
 * Applies an organiser's answer to the row with `code` (an open row, or any compiled row as an
 * override). `answer` may be a rule object (checked like a framework file's rule), a bonus table for
 * the bonus row, or a short Chinese phrase: "确认" accepts the suggestion; otherwise the phrase is
 * compiled with the row's points, and must compile. Returns the new draft, or the reason to ask again.
 */
export function applyConfirmation(draft: DraftFramework, code: string, answer: ConfirmationAnswer): ConfirmationResult {
  const index = draft.rows.findIndex((r) => r.code === code);
  if (index < 0) return { ok: false, error: T.confirm.unknownRow(code) };
  const row = draft.rows[index]!;
  const previous = row.outcome.status === 'open' ? undefined : 'text' in row.outcome ? row.outcome.text : undefined;

  if (row.kind === 'bonus') return confirmBonus(draft, index, row, answer);
  if (row.kind === 'penalty') return { ok: false, error: T.confirm.penaltyFixed };
  if (row.kind === 'slot') return { ok: false, error: T.confirm.slotFixed };
  const points = row.points!;

  let rule: Rule;
  let quantities: RuleQuantities;
  if (typeof answer === 'string') {
    const phrase = answer.trim();
    if (ACCEPT.test(phrase)) {
      if (row.outcome.status !== 'open' || !row.outcome.suggestion) return { ok: false, error: T.confirm.noSuggestion };
      rule = row.outcome.suggestion.rule;
      quantities = row.outcome.suggestion.quantities;
    } else {
      const result = compileCriteria(phrase, { code: row.code, name: row.name, points, description: row.description });
      if (!result.ok) return { ok: false, error: T.confirm.notUnderstood(result.reason) };
      rule = result.rule;
      quantities = result.quantities;
    }
  } else {
    const parsed = ruleSchema.safeParse(answer);
    if (!parsed.success) return { ok: false, error: T.confirm.badRule(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('；')) };
    rule = parsed.data;
    const q = quantitiesForRule(draft, rule);
    if ('unknown' in q) return { ok: false, error: T.confirm.unknownQuantity(q.unknown) };
    quantities = q;
  }
  const names = new Map<string, string>();
  for (const f of [...quantities.facts, ...knownQuantities(draft).facts]) names.set(f.key, 'fact');
  for (const m of [...quantities.metrics, ...knownQuantities(draft).metrics]) names.set(m.key, 'metric');
  const problems = ruleProblems(rule, points, names);
  if (problems.length) return { ok: false, error: T.confirm.badRule(problems.map((p) => p.message).join('；')) };
  const { label, unit } = labelsOf(quantities, draft);
  const text = describeRule(rule, points, label, [], unit);
  const { note: _note, ...rest } = row;
  const next: DraftRow = {
    ...rest,
    outcome: { status: 'confirmed', rule, text, ...(previous ? { previous } : {}) },
    quantities,
  };
  return { ok: true, draft: replaceRow(draft, index, next), row: next };
}

function confirmBonus(draft: DraftFramework, index: number, row: DraftRow, answer: ConfirmationAnswer): ConfirmationResult {
  let outcome: DraftRow['outcome'];
  if (typeof answer === 'string') {
    const phrase = normaliseText(answer);
    const current = row.outcome.status === 'bonus' ? row.outcome.section : undefined;
    const capMatch = /(?:最多|上限|不超过|最高|封顶)(?:为)?(\d+(?:\.\d+)?)分/.exec(phrase);
    const cumulative = /不累计|不可累计|不累加|取最高/.test(phrase) ? false : /累计|累加/.test(phrase) ? true : undefined;
    const cap = capMatch ? Number(capMatch[1]) : (current?.cap ?? row.cap);
    if (parseBonusTable(phrase)) {
      outcome = compileBonus(row.name, row.description, answer, cap);
    } else {
      // "不累计" / "最多5分": complete the table the row's prose gives.
      const table = parseBonusTable(row.criteria);
      const items = current?.items ?? table?.items;
      const cum = cumulative ?? current?.cumulative ?? table?.cumulative;
      if (!items) return { ok: false, error: T.open.bonusNoItems };
      if (cum === undefined) return { ok: false, error: T.open.bonusCumulative };
      if (cap === undefined) return { ok: false, error: T.open.bonusCap };
      const section: BonusSection = {
        name: row.name,
        ...(row.description ? { description: row.description } : {}),
        ...(row.criteria ? { criteria: row.criteria } : {}),
        cap,
        cumulative: cum,
        items,
      };
      outcome = { status: 'bonus', section, text: describeBonus(section) };
    }
  } else {
    const parsed = bonusSectionSchema.safeParse(answer);
    if (!parsed.success) return { ok: false, error: T.confirm.badRule(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('；')) };
    outcome = { status: 'bonus', section: parsed.data, text: describeBonus(parsed.data) };
  }
  if (outcome.status === 'open') return { ok: false, error: outcome.reason };
  const next: DraftRow = { ...row, outcome };
  return { ok: true, draft: replaceRow(draft, index, next), row: next };
}

/** What an organiser may set on a draft besides its rules. */
export interface DraftMeta {
  id?: string;
  name?: string;
  description?: string;
  grades?: GradeBand[];
}

/**
 * Sets the draft's id, name, description or grade bands (checked as a framework file checks them).
 * Returns the new draft, or the reason the value was not taken.
 */
export function updateDraftMeta(draft: DraftFramework, meta: DraftMeta): { ok: true; draft: DraftFramework } | { ok: false; error: string } {
  const shape = frameworkSchema.pick({ id: true, name: true, description: true, grades: true }).partial();
  const parsed = shape.safeParse(meta);
  if (!parsed.success) return { ok: false, error: T.confirm.badMeta(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('；')) };
  if (parsed.data.grades) {
    const cov = coverageProblems(parsed.data.grades, 0);
    if (cov.gaps.length || cov.overlaps.length) return { ok: false, error: T.confirm.badGrades(describeGaps([...cov.gaps, ...cov.overlaps])) };
  }
  const { grades, ...rest } = parsed.data;
  return {
    ok: true,
    draft: { ...draft, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)), ...(grades ? { grades, gradesFrom: 'options' as const } : {}) },
  };
}

/** The framework file a finished draft becomes (JSON-ready; open rows are left without a rule). */
export function buildFrameworkInput(draft: DraftFramework): FrameworkInput {
  const byCode = new Map(draft.rows.map((r) => [r.code, r]));
  const facts = new Map<string, Fact>();
  const metrics = new Map<string, Metric>();
  const codes = new Set<string>();
  const sectionOf = new Map<string, string>();
  const walkCodes = (nodes: DraftNode[]) => nodes.forEach((n) => (codes.add(n.code), walkCodes(n.children)));
  walkCodes(draft.tree);
  for (const f of draft.facts) facts.set(f.key, f);
  for (const m of draft.metrics) metrics.set(m.key, m);
  const toInput = (n: DraftNode, parent?: DraftNode): IndicatorInput => {
    const row = byCode.get(n.code);
    const out: IndicatorInput = { code: n.code, name: n.name, points: n.points };
    if (n.description) out.description = n.description;
    if (n.criteria) out.criteria = n.criteria;
    if (n.children.length) out.children = n.children.map((c) => toInput(c, n));
    if (n.keyTasks) out.keyTasks = n.keyTasks;
    if (n.note) out.note = n.note;
    if (n.required) out.required = true;
    if (row && row.kind === 'indicator' && !n.children.length) {
      const o = row.outcome;
      if ('rule' in o) out.rule = o.rule;
      if (row.note) out.note = row.note;
      if (row.required) out.required = true;
      // Facts and metrics are asked in the section of the first row that reads them.
      for (const q of [...row.quantities.facts, ...row.quantities.metrics]) if (parent && !sectionOf.has(q.key)) sectionOf.set(q.key, parent.code);
      for (const f of row.quantities.facts) if (!facts.has(f.key)) facts.set(f.key, f);
      for (const m of row.quantities.metrics) if (!metrics.has(m.key)) metrics.set(m.key, m);
    }
    return out;
  };
  const indicators = draft.tree.map((n) => toInput(n));
  const withSection = <X extends { key: string; section?: string }>(x: X): X => {
    const { section, ...rest } = x;
    const s = section && codes.has(section) ? section : sectionOf.get(x.key);
    return (s ? { ...rest, section: s } : rest) as X;
  };
  const bonusRow = draft.rows.find((r) => r.kind === 'bonus' && r.outcome.status === 'bonus');
  const penaltyRow = draft.rows.find((r) => r.kind === 'penalty' && r.outcome.status === 'penalty');
  return {
    id: draft.id,
    name: draft.name,
    ...(draft.description ? { description: draft.description } : {}),
    source: draft.source,
    basePoints: draft.basePoints,
    facts: [...facts.values()].map(withSection),
    metrics: [...metrics.values()].map(withSection),
    ...(draft.checks ? { checks: draft.checks.filter((c) => [c.left, c.right].every((f) => refsKnown(f, facts, metrics))) } : {}),
    indicators,
    ...(bonusRow && bonusRow.outcome.status === 'bonus' ? { bonus: bonusRow.outcome.section } : {}),
    ...(penaltyRow && penaltyRow.outcome.status === 'penalty' ? { penalty: penaltyRow.outcome.section } : {}),
    ...(draft.adjustmentsName ? { adjustmentsName: draft.adjustmentsName } : {}),
    grades: draft.grades,
    ...(draft.narratives ? { narratives: draft.narratives } : {}),
  };
}

function refsKnown(formula: string, facts: Map<string, Fact>, metrics: Map<string, Metric>): boolean {
  return (formula.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []).every((id) => ['min', 'max', 'abs'].includes(id) || facts.has(id) || metrics.has(id));
}

/** Where a draft stands: usable only when nothing is open and the loader accepts the result. */
export interface DraftStatus {
  usable: boolean;
  /** Rows still open. */
  open: number;
  compiled: number;
  kept: number;
  confirmed: number;
  /** Loader problems (only checked once nothing is open). */
  problems: string[];
}

/** Counts the rows by outcome and, when nothing is open, runs the loader's checks. */
export function describeDraftStatus(draft: DraftFramework): DraftStatus {
  const count = (s: string) => draft.rows.filter((r) => r.outcome.status === s).length;
  const open = count('open');
  let problems: string[] = [];
  if (open === 0) {
    try {
      loadFramework(buildFrameworkInput(draft), draft.sheetName);
    } catch (e) {
      if (e instanceof FrameworkError) problems = e.problems;
      else throw e;
    }
  }
  return { usable: open === 0 && problems.length === 0, open, compiled: count('compiled'), kept: count('kept'), confirmed: count('confirmed'), problems };
}

/** Whether the draft can be used (nothing open, loader checks pass). */
export function isDraftUsable(draft: DraftFramework): boolean {
  return describeDraftStatus(draft).usable;
}

/** A draft with open rows cannot become a framework. */
export class DraftNotReadyError extends Error {
  constructor(readonly open: OpenQuestion[]) {
    super(T.confirm.notReady(open.length, open.map((q) => T.confirm.rowRef(q.code, q.row)).join('、')));
    this.name = 'DraftNotReadyError';
  }
}

/**
 * The finished framework, checked by `loadFramework` like a built-in one. Throws DraftNotReadyError
 * while rows are open, FrameworkError if the loader refuses it.
 */
export function finaliseDraft(draft: DraftFramework): Framework {
  const open = listOpenRows(draft);
  if (open.length) throw new DraftNotReadyError(open);
  return loadFramework(buildFrameworkInput(draft), draft.sheetName);
}
