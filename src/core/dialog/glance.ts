/**
 * What leaders read: 得分, 扣分, 进度 and 对比 as short replies. 得分 and 对比 are cards whose text
 * stands alone and whose figures (`scoreSummary`, `comparison`) channels draw as a chart and a table.
 * Also the two uses of last year's evaluation of the same unit: 对比, and the key-task structure and
 * unit profile 新建自评 may carry over. Pure: other evaluations come in through `DialogState.others`.
 */
import { formatScore } from '../decimal';
import { ownEntry, type EvaluationRecord } from '../evaluation';
import type { Framework } from '../framework/load';
import { resolveFramework } from '../framework/resolve';
import { glanceText as G, dialogText as T } from '../locale/zh-CN';
import type { Reply, ScoreComparison, ScoreSummary } from '../messages';
import type { Answers, KeyTask } from '../scoring/answers';
import { scoreEvaluation } from '../scoring/engine';
import { applicablePointsOf, gradeStatus, itemCounts, missingItems } from '../scoring/summary';
import type { ScoreResult } from '../scoring/types';
import { foldText } from './parse';
import { commandButton } from './replies';
import { SECTION_ADJUSTMENTS, SECTION_REPORT, type Question } from './plan';

/** Narratives that describe the unit rather than the year (部门基本情况, 中长期规划): carried over by 新建自评. */
export const PROFILE_NARRATIVES: readonly string[] = ['basicInfo', 'longTermGoals'];

/** 得分's figures. */
export function scoreSummaryOf(r: ScoreResult): ScoreSummary {
  const items = itemCounts(r);
  const g = gradeStatus(r);
  return {
    total: r.total,
    base: r.base,
    bonus: r.bonus.score,
    penalty: r.penalty.score,
    grade: g.grade,
    final: g.final,
    items: { scored: items.scored, applicable: items.applicable, notApplicable: items.notApplicable },
    deductions: r.deductions.length,
    sections: r.roots.map((code) => {
      const i = r.indicators.find((x) => x.code === code)!;
      return { code, name: i.name, score: i.score, max: applicablePointsOf(r, code), complete: i.status !== 'missing' };
    }),
    notes: [...r.notes, ...(g.final ? [] : [T.scoreProvisional(r.counts.missing)]), ...(r.deductions.length ? [G.seeDeductions(r.deductions.length)] : [])],
  };
}

/** 得分: total, base, bonus, grade (or 「未填完」), completion and level-1 subtotals, as a card with its figures. */
export function scoreView(r: ScoreResult): Reply {
  const s = scoreSummaryOf(r);
  const lines = [
    T.scoreSummary(formatScore(s.base), formatScore(s.bonus), formatScore(s.penalty), formatScore(s.total), s.grade ?? undefined),
    T.answeredCount(s.items.scored, s.items.applicable, s.deductions),
    ...s.sections.map((x) => T.subtotalLine(x.name, x.score === null ? '—' : formatScore(x.score), formatScore(x.max), !x.complete)),
    ...s.notes,
  ];
  const buttons = [commandButton(G.deductionsButton, 'deductions'), commandButton(G.progressButton, 'progress'), commandButton(G.compareButton, 'compare')];
  return { kind: 'card', title: G.scoreTitle(s.grade ?? G.notFinal), text: lines.join('\n'), buttons, scoreSummary: s };
}

/** The level-1 indicator an indicator belongs to. */
function rootOf(r: ScoreResult, code: string): string {
  const byCode = new Map(r.indicators.map((i) => [i.code, i]));
  let i = byCode.get(code);
  while (i?.parent && byCode.get(i.parent)) i = byCode.get(i.parent);
  return i?.name ?? code;
}

/** 扣分: every deduction with its reason, grouped by level-1 indicator, with the total lost. */
export function deductionsView(r: ScoreResult): Reply {
  if (!r.deductions.length && !r.penalty.score) return { kind: 'text', text: T.noDeductions };
  const lost = r.deductions.reduce((s, d) => s + Math.round(d.lost * 10000), 0) / 10000;
  const lines = [G.deductionsTotal(r.deductions.length, formatScore(lost))];
  let section: string | undefined;
  for (const d of r.deductions) {
    const root = rootOf(r, d.code);
    if (root !== section) lines.push(G.deductionSection(root));
    section = root;
    lines.push(T.deductionLine(d.name, formatScore(d.lost), d.reasons.join('，')));
  }
  if (r.penalty.score) {
    lines.push(G.penaltySection(formatScore(r.penalty.score)));
    for (const p of r.penalty.reasons) lines.push(`· ${p}`);
  }
  return { kind: 'text', text: lines.join('\n') };
}

/** What 进度 reads besides the scores. */
export interface ProgressInput {
  rec: EvaluationRecord;
  framework: Framework;
  result: ScoreResult;
  plan: Question[];
  /** Whether the asker organises the evaluation (organiser notes are added). */
  organiser: boolean;
  organiserNotes?: string[];
}

/** A person's name in the evaluation (`name:…` for people assigned before they spoke). */
export function memberName(rec: EvaluationRecord, id: string): string {
  if (id.startsWith('name:')) return id.slice(5);
  return ownEntry(rec.members, id)?.name ?? id;
}

/**
 * 进度: items (scored leaf indicators, see scoring/summary) and questions (their inputs), each counted
 * and labelled as such, per section and per assignee; then the items still to be scored and the
 * questions outside the indicators (adjustments, report sections) still to be answered.
 */
export function progressView(p: ProgressInput): Reply {
  const { rec, framework, result: r, plan } = p;
  const items = itemCounts(r);
  const firstRoot = r.roots[0];
  // Facts filed under no indicator are asked in the first section.
  const sectionOf = (q: Question) => q.sections[0] ?? (q.kind === 'fact' || q.kind === 'metric' ? firstRoot : undefined);
  const lines = [T.progressSummary(items.scored, items.applicable, items.notApplicable, plan.filter((q) => q.answered).length, plan.length)];
  const whoOf = (code: string) => (rec.assignments[code] ?? []).map((id) => memberName(rec, id)).join('、') || undefined;
  for (const i of framework.indicators) {
    const qs = plan.filter((q) => sectionOf(q) === i.code);
    const c = itemCounts(r, i.code);
    if (!c.applicable && !qs.length) continue;
    lines.push(T.sectionProgress(i.name, c.scored, c.applicable, qs.filter((q) => q.answered).length, qs.length, whoOf(i.code)));
  }
  const others = [
    ...(framework.bonus || framework.penalty ? [{ code: SECTION_ADJUSTMENTS, name: framework.adjustmentsName ?? T.adjustments }] : []),
    ...((framework.narratives ?? []).length ? [{ code: SECTION_REPORT, name: T.reportSection }] : []),
  ];
  for (const s of others) {
    const qs = plan.filter((q) => q.sections[0] === s.code);
    if (qs.length) lines.push(T.sectionQuestions(s.name, qs.filter((q) => q.answered).length, qs.length, whoOf(s.code)));
  }
  lines.push(...assigneeLines(p, sectionOf));
  const missing = missingItems(r);
  if (missing.length) lines.push(T.itemsOpen(missing.slice(0, 8).map((i) => `${i.code} ${i.name}`), missing.length));
  const otherOpen = plan.filter((q) => !q.answered && others.some((s) => s.code === q.sections[0]));
  if (otherOpen.length) lines.push(T.otherQuestionsOpen(otherOpen.slice(0, 8).map((q) => q.label), otherOpen.length));
  if (rec.deadline) lines.push(T.deadlineIs(rec.deadline));
  if (p.organiser) lines.push(...(p.organiserNotes ?? []));
  return { kind: 'text', text: lines.join('\n') };
}

/** Per assignee: their sections, the questions answered of those, and what nobody is assigned. */
function assigneeLines(p: ProgressInput, sectionOf: (q: Question) => string | undefined): string[] {
  const { rec, plan } = p;
  const sectionsOf = new Map<string, string[]>();
  for (const [code, ids] of Object.entries(rec.assignments)) for (const id of ids) sectionsOf.set(id, [...(sectionsOf.get(id) ?? []), code]);
  if (!sectionsOf.size) return [];
  const nameOfSection = (code: string) =>
    code === SECTION_ADJUSTMENTS ? (p.framework.adjustmentsName ?? T.adjustments) : code === SECTION_REPORT ? T.reportSection : (p.framework.byCode.get(code)?.name ?? code);
  const inAny = (q: Question, codes: string[]) => codes.some((c) => q.sections.includes(c) || sectionOf(q) === c);
  const lines: string[] = [G.byAssignee];
  for (const [id, codes] of sectionsOf) {
    const qs = plan.filter((q) => inAny(q, codes));
    const open = qs.filter((q) => !q.answered).length;
    lines.push(G.assigneeLine(memberName(rec, id), codes.map(nameOfSection), qs.length - open, qs.length));
  }
  const assigned = [...new Set([...sectionsOf.values()].flat())];
  const rest = plan.filter((q) => !inAny(q, assigned));
  if (rest.length) lines.push(G.unassignedLine(rest.filter((q) => q.answered).length, rest.length));
  return lines;
}

/** Two unit names are the same unit when they read the same (full-width forms, spaces aside). */
function sameUnit(a: string, b: string): boolean {
  const f = (s: string) => foldText(s).replace(/\s+/g, '');
  return f(a) === f(b);
}

/** Whether a person took part in an evaluation (organiser, assignee or someone who spoke in it). */
function takesPart(rec: EvaluationRecord, userId: string): boolean {
  return ownEntry(rec.members, userId) !== undefined || rec.organisers.includes(userId) || Object.values(rec.assignments).some((ids) => ids.includes(userId));
}

/**
 * Last year's evaluation of the same unit among `others`: the same unit name, year − 1, and one of
 * `organisers` (this year's, or the person creating it) took part in it, so a chat cannot read another
 * unit's figures just by giving itself that unit's name. The most recently changed one when there are several.
 */
export function lastYearOf(others: readonly EvaluationRecord[], unit: string, year: number, organisers: readonly string[], exceptId?: string): EvaluationRecord | undefined {
  return others
    .filter((o) => o.id !== exceptId && o.year === year - 1 && sameUnit(o.unit, unit) && organisers.some((u) => takesPart(o, u)))
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
}

/** 对比's figures: level-1 indicators matched by name, else by code, in this year's order then last year's. */
export function comparisonOf(rec: EvaluationRecord, r: ScoreResult, prev: EvaluationRecord, pr: ScoreResult): ScoreComparison {
  const roots = (x: ScoreResult) => x.roots.map((code) => x.indicators.find((i) => i.code === code)!);
  const mine = roots(r);
  const theirs = roots(pr);
  const used = new Set<string>();
  const sections: ScoreComparison['sections'] = [];
  for (const i of mine) {
    const match = theirs.find((t) => !used.has(t.code) && foldText(t.name) === foldText(i.name)) ?? theirs.find((t) => !used.has(t.code) && t.code === i.code && !mine.some((m) => foldText(m.name) === foldText(t.name)));
    if (match) used.add(match.code);
    sections.push({
      name: i.name,
      current: i.score,
      currentMax: applicablePointsOf(r, i.code),
      previous: match ? match.score : null,
      previousMax: match ? applicablePointsOf(pr, match.code) : null,
    });
  }
  for (const t of theirs) if (!used.has(t.code)) sections.push({ name: t.name, current: null, currentMax: null, previous: t.score, previousMax: applicablePointsOf(pr, t.code) });
  const g = gradeStatus(r);
  const pg = gradeStatus(pr);
  return {
    unit: rec.unit,
    year: rec.year,
    previousYear: prev.year,
    current: { total: r.total, grade: g.grade, final: g.final },
    previous: { total: pr.total, grade: pg.grade, final: pg.final },
    sections,
  };
}

/** 对比's lines: the totals of both years, a header, a line per level-1 indicator (as in `c.sections`), notes. */
export function comparisonLines(c: ScoreComparison): { totals: string; header: string; sections: string[]; notes: string[] } {
  const fmt = (x: number | null) => (x === null ? '—' : formatScore(x));
  const delta = (a: number | null, b: number | null) => (a === null || b === null ? '' : G.delta(formatScore(Math.round((a - b) * 10000) / 10000), a - b));
  return {
    totals:
      G.compareTotals(c.previousYear, formatScore(c.previous.total), c.previous.grade ?? G.notFinal, c.year, formatScore(c.current.total), c.current.grade ?? G.notFinal) +
      delta(c.current.total, c.previous.total),
    header: G.compareHeader(c.previousYear, c.year),
    sections: c.sections.map((s) =>
      G.compareLine(
        s.name,
        s.previousMax === null ? G.absent : `${fmt(s.previous)}/${formatScore(s.previousMax)}`,
        s.currentMax === null ? G.absent : `${fmt(s.current)}/${formatScore(s.currentMax)}`,
        delta(s.current, s.previous),
      ),
    ),
    notes: !c.current.final || !c.previous.final ? [G.compareProvisional] : [],
  };
}

/** 对比: this year against last year's evaluation of the same unit, or why there is nothing to compare. */
export function compareView(rec: EvaluationRecord, r: ScoreResult, prev: EvaluationRecord | undefined): Reply {
  if (!prev) return { kind: 'text', text: G.noPreviousYear(rec.unit, rec.year - 1) };
  let pr: ScoreResult;
  try {
    pr = scoreEvaluation(resolveFramework(prev.frameworkId, prev.framework), prev.answers);
  } catch {
    return { kind: 'text', text: G.previousUnreadable(prev.year) };
  }
  const c = comparisonOf(rec, r, prev, pr);
  const lines = comparisonLines(c);
  const all = [lines.totals, lines.header, ...lines.sections, ...lines.notes];
  return { kind: 'card', title: G.compareTitle(c.previousYear, c.year), text: all.join('\n'), comparison: c };
}

/** What 新建自评 may carry over from last year's evaluation into a new one with `framework`. */
export interface CarryOver {
  keyTasks: Record<string, KeyTask[]>;
  narratives: Record<string, string>;
}

/**
 * Last year's key-task structure (the tasks of each slot the new framework also has: names, points,
 * criteria, targets; not how each was done) and its unit profile narratives (PROFILE_NARRATIVES the new
 * framework asks). Undefined when there is nothing to carry.
 */
export function carryOverOf(prev: Pick<EvaluationRecord, 'answers'>, framework: Framework): CarryOver | undefined {
  const keyTasks: Record<string, KeyTask[]> = {};
  for (const [slot, tasks] of Object.entries(prev.answers.keyTasks ?? {})) {
    if (framework.byCode.get(slot)?.keyTasks && tasks.length) keyTasks[slot] = structuredClone(tasks);
  }
  const narratives: Record<string, string> = {};
  const asked = new Set((framework.narratives ?? []).map((n) => n.key));
  for (const key of PROFILE_NARRATIVES) {
    const t = prev.answers.narratives?.[key];
    if (t && asked.has(key)) narratives[key] = t;
  }
  if (!Object.keys(keyTasks).length && !Object.keys(narratives).length) return undefined;
  return { keyTasks, narratives };
}

/** New answers with a carry-over applied. */
export function applyCarryOver(answers: Answers, carry: CarryOver): Answers {
  const out: Answers = { ...answers };
  if (Object.keys(carry.keyTasks).length) out.keyTasks = { ...(answers.keyTasks ?? {}), ...carry.keyTasks };
  if (Object.keys(carry.narratives).length) out.narratives = { ...(answers.narratives ?? {}), ...carry.narratives };
  return out;
}

/** What a carry-over holds, in words (for the question and the confirmation). */
export function describeCarryOver(carry: CarryOver, framework: Framework): string[] {
  const parts: string[] = [];
  for (const [slot, tasks] of Object.entries(carry.keyTasks)) parts.push(G.carryKeyTasks(framework.byCode.get(slot)?.name ?? slot, tasks.map((t) => t.name)));
  const titles = (framework.narratives ?? []).filter((n) => n.key in carry.narratives).map((n) => n.title);
  if (titles.length) parts.push(G.carryNarratives(titles));
  return parts;
}
