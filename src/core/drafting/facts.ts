/**
 * What a narrative section of the report may be drafted from: the recorded answers, the figures, the
 * scores and the deductions of one scored state, and nothing else. `sectionFacts` gathers them as
 * lines for the prompt (prompts/draft-section.json) together with the figures a draft may state
 * (`allowed`, see figures.ts): every number anywhere in that state, so a draft is checked against the
 * state, not only against what the prompt happened to show.
 *
 * Pure: no I/O. Names of people are never among the facts.
 *
 * @example const facts = sectionFacts({ framework, answers, result, unit, year }, 'problems')
 */
import { formatNumber, formatScore } from '../decimal';
import type { Framework } from '../framework/load';
import { draftingText as T, reportText } from '../locale/zh-CN';
import type { Answers, Evidence } from '../scoring/answers';
import { formatEvidence } from '../report/sections';
import type { ScoreResult } from '../scoring/types';
import { allowedFigures, type AllowedFigures } from './figures';

/** The scored state a section is drafted from (what the report builder reads). */
export interface DraftSource {
  framework: Framework;
  answers: Answers;
  result: ScoreResult;
  unit: string;
  year: number;
}

/** The facts one section may be drafted from. */
export interface DraftFacts {
  /** The narrative's key and its title as the framework names it. */
  key: string;
  title: string;
  /** The framework's question for the section: what it should cover. */
  question: string;
  unit: string;
  year: number;
  /** Facts and metrics with their units (and a computed metric's workings). */
  figures: string[];
  /** The total and grade (or that they are not final yet), then each level-1 and level-2 score. */
  scores: string[];
  /** Every deduction with its reasons, then the bonus and penalty. */
  deductions: string[];
  /** Every scored item with its reasons and evidence; items not applicable with their reasons. */
  answers: string[];
  /** The other sections as written (each shortened to NARRATIVE_CHARS_IN_PROMPT). */
  narratives: string[];
  /** This section's text as it stands, when there is one. */
  current?: string;
  /** The figures a draft may state. */
  allowed: AllowedFigures;
}

/** How much of each other section the prompt shows (the figure check reads all of it). */
export const NARRATIVE_CHARS_IN_PROMPT = 1500;

const cut = (s: string, n: number) => ([...s].length > n ? `${[...s].slice(0, n).join('')}…` : s);

function evidenceText(answers: Answers, key: string): string {
  const e = answers.evidence?.[key];
  if (e === undefined) return '';
  const list: Evidence[] = Array.isArray(e) ? e : [e];
  return list.length ? T.evidence(list.map(formatEvidence).join('、')) : '';
}

/** The narrative's title as the report prints it. */
export function narrativeTitleOf(framework: Framework, key: string): string {
  return framework.narratives?.find((n) => n.key === key)?.title ?? reportText.narrativeTitles[key] ?? key;
}

/**
 * The facts the section `key` (a narrative of the framework) may be drafted from. Undefined when the
 * framework has no such narrative.
 */
export function sectionFacts(src: DraftSource, key: string): DraftFacts | undefined {
  const { framework, answers, result, unit, year } = src;
  const narrative = framework.narratives?.find((n) => n.key === key);
  if (!narrative) return undefined;

  const figures: string[] = [];
  const numbers: number[] = [];
  for (const f of framework.facts) {
    const v = answers.facts?.[f.key];
    if (v === undefined) continue;
    numbers.push(v);
    figures.push(T.figure(f.label, `${formatNumber(v, 2, true)}${f.unit}`) + evidenceText(answers, f.key));
  }
  for (const m of framework.metrics) {
    const mv = result.metrics[m.key];
    if (!mv) continue;
    numbers.push(mv.value, ...(mv.computed !== undefined ? [mv.computed] : []), ...(mv.direct !== undefined ? [mv.direct] : []));
    const value = `${formatNumber(mv.value, m.decimals ?? 2)}${mv.unit}`;
    figures.push((mv.workings ? T.figureWorked(mv.label, value, mv.workings) : T.figure(mv.label, value)) + evidenceText(answers, m.key));
  }

  const scores: string[] = [];
  scores.push(
    result.complete
      ? T.totalFinal(formatScore(result.total), formatScore(result.base), formatScore(result.bonus.score), formatScore(result.penalty.score), result.grade)
      : T.totalPending(result.counts.missing),
  );
  // A total, base and grade not final yet are no figures to state (the report does not state them either).
  if (result.complete) numbers.push(result.total, result.base, result.baseRaw);
  numbers.push(result.basePoints, result.applicablePoints, result.bonus.score, result.penalty.score);
  numbers.push(result.counts.answered, result.counts.missing, result.counts.notApplicable, result.counts.total);
  for (const level of [1, 2, 3]) numbers.push(result.indicators.filter((i) => i.level === level).length);
  const answerLines: string[] = [];
  for (const i of result.indicators) {
    // A subtotal still waiting for items is provisional: not a figure to state.
    numbers.push(i.points, ...(i.status === 'complete' && i.score !== null ? [i.score] : []), ...(i.lost !== null ? [i.lost] : []));
    if (i.level <= 2) {
      if (i.status === 'not_applicable') scores.push(T.notApplicable(i.name, answers.notApplicable?.[i.code] ?? ''));
      else if (i.status === 'complete' && i.score !== null) scores.push(T.score(i.name, formatScore(i.points), formatScore(i.score)));
      else scores.push(T.scorePending(i.name, formatScore(i.points)));
    }
    if (i.children.length) continue;
    if (i.status === 'complete') answerLines.push(T.answer(i.name, i.reasons.join('，')) + evidenceText(answers, i.code));
    else if (i.status === 'not_applicable' && i.level > 2) answerLines.push(T.notApplicable(i.name, answers.notApplicable?.[i.code] ?? ''));
  }
  for (const j of Object.values(answers.judgements ?? {})) {
    if (typeof j === 'number') numbers.push(j);
    else if (j && typeof j === 'object' && !Array.isArray(j)) for (const n of [j.score, j.count, j.actual]) if (n !== undefined) numbers.push(n);
  }
  for (const tasks of Object.values(answers.keyTasks ?? {})) for (const t of tasks) numbers.push(t.points, ...(t.target !== undefined ? [t.target] : []));
  for (const p of answers.penalties ?? []) numbers.push(p.points);

  const deductions = result.deductions.map((d) => T.deduction(d.name, formatScore(d.lost), d.reasons.join('，')));
  if (framework.bonus) deductions.push(T.adjustment(result.bonus.name, formatScore(result.bonus.score), result.bonus.reasons.join('；') || T.none));
  if (framework.penalty) deductions.push(T.adjustment(result.penalty.name, formatScore(result.penalty.score), result.penalty.reasons.join('；') || T.none));

  const written = answers.narratives ?? {};
  const narratives: string[] = [];
  for (const n of framework.narratives ?? []) {
    const text = written[n.key]?.trim();
    if (text && n.key !== key) narratives.push(T.narrative(n.title, cut(text, NARRATIVE_CHARS_IN_PROMPT)));
  }
  const current = written[key]?.trim() || undefined;

  // Every text of the state, in full: what the prompt shows and what it shortens.
  const texts = [
    ...figures,
    ...scores,
    ...deductions,
    ...answerLines,
    ...Object.values(written),
    ...result.notes,
    ...result.inconsistencies.map((x) => x.message),
    ...Object.values(answers.evidence ?? {}).flatMap((e) => (Array.isArray(e) ? e : [e]).map(formatEvidence)),
    ...Object.values(answers.choiceReasons ?? {}),
    ...Object.values(answers.conclusions ?? {}).map((c) => c.basis ?? ''),
  ];
  const allowed = allowedFigures(texts, numbers, [year - 1, year, year + 1]);
  return {
    key,
    title: narrative.title,
    question: narrative.question,
    unit,
    year,
    figures,
    scores,
    deductions,
    answers: answerLines,
    narratives,
    ...(current ? { current } : {}),
    allowed,
  };
}

/** The variables of prompts/draft-section.json for these facts; `feedback` says what was wrong with the last draft ('' at first). */
export function draftPromptVariables(facts: DraftFacts, feedback = ''): Record<string, string> {
  const lines = (xs: string[]) => (xs.length ? xs.join('\n') : T.none);
  return {
    section: facts.title,
    question: facts.question,
    unit: facts.unit,
    year: String(facts.year),
    figures: lines(facts.figures),
    scores: lines(facts.scores),
    deductions: lines(facts.deductions),
    answers: lines(facts.answers),
    narratives: lines([...(facts.current ? [T.current(cut(facts.current, NARRATIVE_CHARS_IN_PROMPT))] : []), ...facts.narratives]),
    feedback,
  };
}
