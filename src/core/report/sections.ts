/**
 * The report's text, as a list of blocks (title, headings, paragraphs) built from one evaluation and
 * its one score result, so every number in it is the result's. Where an answer is missing the text
 * carries a 【待填写：…】 marker and the same words go into `missing`; nothing is made up.
 *
 * Layout (Nanjing, as in the 2024 南京市数据局 report): 一、部门概况 (基本情况, 收支情况, 绩效目标),
 * 二、评价结论, 三、部门履职成效, 四、存在问题及原因分析, 五、有关建议, 六、评价工作开展情况, annex.
 */
import { isFactOnlyForNotApplicable } from '../framework/usage';
import { formatNumber, formatScore } from '../decimal';
import type { Framework } from '../framework/load';
import type { Rule } from '../framework/schema';
import { reportText as T } from '../locale/zh-CN';

const P = T.punctuation;
import type { Answers, Evidence } from '../scoring/answers';
import { markDocumentTitle } from './text';
import type { IndicatorScore, MissingInput, ScoreResult } from '../scoring/types';

/** A piece of text; `pending` marks a 【待填写：…】 marker. */
export interface Span {
  text: string;
  pending?: boolean;
}

/** One block of the report body. */
export interface Block {
  kind: 'title' | 'heading1' | 'heading2' | 'heading3' | 'paragraph';
  spans: Span[];
}

/** Where a template leaves a hole for a marker. */
const HOLE = '\u0000';

/** The text of a block. */
export function blockText(b: Block): string {
  return b.spans.map((s) => s.text).join('');
}

/** What the report builder reads: one evaluation and its score result. */
export interface ReportInput {
  framework: Framework;
  answers: Answers;
  result: ScoreResult;
  unit: string;
  year: number;
  /** The date on the cover (default: now). */
  date?: Date;
}

/** The report's text and what is still missing. */
export interface ReportContent {
  title: string;
  blocks: Block[];
  /** Every 【待填写】 marker's words, in the order they appear, each once. */
  missing: string[];
}

/** Collects blocks and the missing list. */
function createWriter() {
  const blocks: Block[] = [];
  const missing: string[] = [];
  /** A marker; `listed` false for markers that only follow from others (a subtotal of missing scores). */
  const pending = (what: string, listed = true, marker: (w: string) => string = T.pending): Span => {
    if (listed && !missing.includes(what)) missing.push(what);
    return { text: marker(what), pending: true };
  };
  return {
    blocks,
    missing,
    pending,
    heading1: (n: number, text: string) => blocks.push({ kind: 'heading1', spans: [{ text: T.heading1(n, text) }] }),
    heading2: (n: number, text: string) => blocks.push({ kind: 'heading2', spans: [{ text: T.heading2(n, text) }] }),
    heading3: (n: number, text: string) => blocks.push({ kind: 'heading3', spans: [{ text: T.heading3(n, text) }] }),
    paragraph: (...spans: Span[]) => blocks.push({ kind: 'paragraph', spans: spans.filter((s) => s.text !== '') }),
    /** A block from a template whose holes (HOLE) each take the marker. */
    filled: (kind: Block['kind'], template: string, marker: Span) => {
      const spans: Span[] = [];
      template.split(HOLE).forEach((part, i) => {
        if (i) spans.push(marker);
        if (part) spans.push({ text: part });
      });
      blocks.push({ kind, spans });
    },
    /** A narrative: its paragraphs, or a marker when it has not been written. */
    narrative: (text: string | undefined, title: string) => {
      const paras = (text ?? '')
        .split(/\r?\n/)
        .map((p) => p.trim())
        .filter(Boolean);
      if (!paras.length) blocks.push({ kind: 'paragraph', spans: [pending(T.missing.narrative(title))] });
      for (const p of paras) blocks.push({ kind: 'paragraph', spans: [{ text: p }] });
    },
  };
}
type Writer = ReturnType<typeof createWriter>;

function narrativeTitle(framework: Framework, key: string): string {
  return framework.narratives?.find((n) => n.key === key)?.title ?? T.narrativeTitles[key] ?? key;
}

/**
 * Evidence as printed. A string is what someone wrote: kept as written, with title marks added only
 * when it names a document without them (see `markDocumentTitle`). The object form declares a title:
 * "《关于印发〈…〉的通知》（宁数党发〔2024〕1号）".
 */
export function formatEvidence(e: Evidence): string {
  if (typeof e === 'string') return markDocumentTitle(e);
  const title = e.title;
  const quoted = /^《[^《》]*》$/.test(title) ? title : `《${title.replace(/《/g, '〈').replace(/》/g, '〉')}》`;
  return e.docNo ? `${quoted}（${e.docNo}）` : quoted;
}

function evidenceFor(answers: Answers, key: string): string | undefined {
  const e = answers.evidence?.[key];
  if (e === undefined) return undefined;
  const list = Array.isArray(e) ? e : [e];
  return list.length ? list.map(formatEvidence).join(P.enumeration) : undefined;
}

/** Words for what an indicator still needs. */
function describeMissing(framework: Framework, m: MissingInput, rule: Rule | undefined): string {
  const label = (key: string) => framework.factByKey.get(key)?.label ?? framework.metricByKey.get(key)?.label ?? key;
  switch (m.kind) {
    case 'fact':
      return T.missing.fact(label(m.key));
    case 'metric':
      return m.via.length ? T.missing.metricVia(label(m.key), m.via.map(label).join(P.enumeration)) : label(m.key);
    case 'judgement':
      return rule && 'question' in rule ? T.missing.judgementQuestion(rule.question) : T.missing.judgement;
    case 'decision':
      return T.missing.decision;
    case 'confirm':
      return T.missing.confirm(label(m.key));
    case 'keyTasks':
      return T.missing.keyTasks;
    case 'conclusion':
      return T.missing.conclusion(label(m.key));
  }
}

function missingText(framework: Framework, e: IndicatorScore): string {
  const what = e.missing.map((m) => describeMissing(framework, m, e.rule));
  return T.missing.indicator(e.name, what.length ? [...new Set(what)].join(P.semicolon) : T.missing.judgement);
}

/** The sentence of one scored leaf: evidence, the rule's reasons (the final "得N分" left to the item), the deduction. */
function leafSpans(w: Writer, input: ReportInput, e: IndicatorScore): Span[] {
  if (e.status === 'missing') return [w.pending(missingText(input.framework, e))];
  // The rule's last reason is "得N分（满分M分）"; the item's closing sentence says the score instead.
  const reasons = e.status === 'complete' ? e.reasons.slice(0, -1) : e.reasons;
  let text = reasons.join(P.comma);
  if (e.status === 'complete' && e.lost !== null && e.lost > 0) text += `${text ? P.comma : ''}${T.deduction(formatScore(e.lost))}`;
  const ev = evidenceFor(input.answers, e.code);
  if (ev) text += T.evidenceSource(ev);
  return text ? [{ text }] : [];
}

/** Joins spans of several leaves with "；" and closes with "。". */
function joinSentences(parts: Span[][]): Span[] {
  const out: Span[] = [];
  parts
    .filter((p) => p.length)
    .forEach((p, i) => {
      if (i) out.push({ text: P.semicolon });
      out.push(...p);
    });
  if (out.length) out.push({ text: P.period });
  return out;
}

function scoreText(e: IndicatorScore): string | null {
  return e.status === 'complete' && e.score !== null ? formatScore(e.score) : null;
}

function writeOverview(w: Writer, input: ReportInput): void {
  const { framework, answers, result, unit, year } = input;
  const narratives = answers.narratives ?? {};
  w.heading1(1, T.sections.overview);
  w.heading2(1, T.sections.basicInfo);
  w.narrative(narratives.basicInfo, narrativeTitle(framework, 'basicInfo'));

  w.heading2(2, T.sections.finances);
  // The money figures, in the framework's order, then the metrics computed from them.
  // A figure only indicators that do not apply would use is left out when it was not given.
  const status = new Map(result.indicators.map((e) => [e.code, e.status]));
  const moneyFacts = framework.facts.filter(
    (f) =>
      f.unit.includes('元') &&
      !(answers.facts?.[f.key] === undefined && isFactOnlyForNotApplicable(framework, f.key, (code) => status.get(code) === 'not_applicable')),
  );
  if (moneyFacts.length) {
    const spans: Span[] = [{ text: T.financesLead(unit, year) }];
    moneyFacts.forEach((f, i) => {
      if (i) spans.push({ text: P.comma });
      const v = answers.facts?.[f.key];
      if (v === undefined) spans.push(w.pending(T.missing.fact(f.label)));
      else spans.push({ text: T.figure(f.label, `${formatNumber(v, 2, true)}${f.unit}`) });
      const ev = evidenceFor(answers, f.key);
      if (ev) spans.push({ text: T.evidenceSource(ev) });
    });
    const keys = new Set(moneyFacts.map((f) => f.key));
    for (const m of framework.metrics) {
      const mv = result.metrics[m.key];
      if (!mv || mv.source !== 'computed' || !mv.formulaText || !mv.workings) continue;
      if (!framework.metricByKey.get(m.key)?.ast) continue;
      // Only metrics over the money figures belong here (预算执行率).
      if (!framework.facts.some((f) => keys.has(f.key) && mv.formulaText!.includes(f.label))) continue;
      spans.push({ text: P.semicolon }, { text: T.metricWorked(mv.label, `${formatNumber(mv.value, m.decimals)}${mv.unit}`, mv.formulaText, mv.workings) });
    }
    spans.push({ text: P.period });
    w.paragraph(...spans);
  }
  // Figures that do not reconcile (预算 + 年初结转 − 支出 ≠ 年末结转) are flagged, not printed as if they did.
  const failed = result.inconsistencies.filter((i) => i.kind === 'check_failed' && !i.resolved);
  if (failed.length) w.paragraph(...failed.map((i) => w.pending(i.message, true, T.toCheck)));
  const finances = narratives.finances?.trim();
  if (finances) w.narrative(finances, narrativeTitle(framework, 'finances'));
  else if (!moneyFacts.length) w.narrative(undefined, narrativeTitle(framework, 'finances'));

  w.heading2(3, T.sections.goals);
  // The goal narratives the framework asks for (all of them when it names none), numbered 1., 2. …
  const declared = GOAL_KEYS.filter((k) => !framework.narratives || framework.narratives.some((n) => n.key === k));
  const goals = declared.length ? declared : GOAL_KEYS.filter((k) => k === 'annualGoals');
  goals.forEach((key, i) => {
    if (goals.length > 1) w.heading3(i + 1, narrativeTitle(framework, key));
    w.narrative(narratives[key], narrativeTitle(framework, key));
  });
}

/** Narratives of 部门绩效目标, in order; only those the framework declares are shown. */
const GOAL_KEYS = ['longTermGoals', 'annualGoals', 'overallGoals'] as const;

function writeConclusion(w: Writer, input: ReportInput): void {
  const { framework, result, unit } = input;
  const byCode = new Map(result.indicators.map((e) => [e.code, e]));
  const roots = result.roots.map((c) => byCode.get(c)!).filter(Boolean);
  w.heading1(2, T.sections.conclusion);

  const adjName = framework.adjustmentsName ?? T.adjustmentsName;
  const hasAdjustments = framework.bonus !== undefined || framework.penalty !== undefined;
  const adjustments = hasAdjustments
    ? T.adjustmentsPhrase(adjName, formatScore(result.bonus.score), formatScore(result.penalty.score))
    : '';
  if (result.complete) {
    w.paragraph({
      text: T.conclusionIntro(
        unit,
        roots.map((r) => r.name),
        formatScore(result.basePoints),
        formatScore(result.base),
        adjustments,
        formatScore(result.total),
        result.grade,
      ),
    });
  } else {
    // Without every score there is no base, total or grade to state: mark them instead of guessing.
    w.paragraph(
      { text: T.conclusionIntroIncomplete(unit, roots.map((r) => r.name), formatScore(result.basePoints)) },
      w.pending(T.conclusionIncomplete(result.counts.missing), false),
      { text: T.conclusionFollows },
    );
  }
  for (const note of result.notes) w.paragraph({ text: T.rebasedNote(note) });

  roots.forEach((l1, i) => {
    const s = scoreText(l1);
    const heading = T.heading2(i + 1, T.level1Heading(l1.name, formatScore(l1.points), s ?? HOLE));
    if (l1.status === 'not_applicable') w.heading2(i + 1, T.level1HeadingNotApplicable(l1.name, formatScore(l1.points)));
    else if (s !== null) w.blocks.push({ kind: 'heading2', spans: [{ text: heading }] });
    else w.filled('heading2', heading, w.pending(l1.name, false, T.pendingSubtotal));

    const items = l1.children.length ? l1.children.map((c) => byCode.get(c)!) : [l1];
    items.forEach((l2, j) => {
      const leaves = l2.children.length ? l2.children.map((c) => byCode.get(c)!) : [l2];
      const lead = items.length === 1 && l2 === l1 ? [] : [{ text: T.level2Lead(j + 1, l2.name, formatScore(l2.points)) }];
      let body: Span[];
      if (l2.slot && !l2.children.length) body = [w.pending(missingText(framework, l2)), { text: P.period }];
      else body = joinSentences(leaves.map((leaf) => leafSpans(w, input, leaf)));
      w.paragraph(...lead, ...body);
      const s2 = scoreText(l2);
      if (l2.status === 'not_applicable') w.paragraph({ text: T.itemNotApplicable });
      else if (s2 !== null) w.paragraph({ text: T.itemScore(s2) });
      else w.filled('paragraph', T.itemScore(HOLE), w.pending(l2.name, false, T.pendingSubtotal));
    });
  });

  if (hasAdjustments) {
    const net = formatScore(result.bonus.score - result.penalty.score);
    const cap = framework.bonus?.cap ?? framework.penalty?.cap;
    const heading = cap !== undefined ? T.adjustmentsHeading(adjName, formatScore(cap), net) : T.adjustmentsHeadingNoCap(adjName, net);
    w.heading2(roots.length + 1, heading);
    const sentences: string[] = [];
    if (framework.bonus) sentences.push(...(result.bonus.reasons.length ? result.bonus.reasons : [T.noBonus]));
    // The documents behind the awards (嘉奖文件, 考核通报).
    const awardEvidence = (input.answers.bonus ?? []).flatMap((a) => (a.evidence ? [formatEvidence(a.evidence)] : []));
    if (awardEvidence.length && result.bonus.reasons.length) sentences[sentences.length - 1] += T.evidenceSource(awardEvidence.join(P.enumeration));
    if (framework.penalty) sentences.push(...(result.penalty.reasons.length ? result.penalty.reasons : [T.noPenalty]));
    w.paragraph({ text: `${sentences.join(P.semicolon)}${P.period}` });
    w.paragraph({ text: T.adjustmentsScore(formatScore(result.bonus.score), formatScore(result.penalty.score)) });
  }
}

function writeClosing(w: Writer, input: ReportInput, annexTitle: string): void {
  const { framework, answers, result } = input;
  const narratives = answers.narratives ?? {};
  w.heading1(3, T.sections.achievements);
  w.narrative(narratives.achievements, narrativeTitle(framework, 'achievements'));
  w.heading1(4, T.sections.problems);
  w.narrative(narratives.problems, narrativeTitle(framework, 'problems'));
  w.heading1(5, T.sections.suggestions);
  w.narrative(narratives.suggestions, narrativeTitle(framework, 'suggestions'));
  w.heading1(6, T.sections.process);
  w.heading2(1, T.sections.processBasics);
  const levels = [1, 2, 3].map((l) => result.indicators.filter((e) => e.level === l).length);
  const adjustments = framework.bonus || framework.penalty ? (framework.adjustmentsName ?? T.adjustmentsName) : undefined;
  w.paragraph({ text: T.processBasics(framework.name, levels[0]!, levels[1]!, levels[2]!, adjustments) });
  w.heading2(2, T.sections.processOrganisation);
  w.narrative(narratives.process, narrativeTitle(framework, 'process'));
  // Narratives the framework asks for that the layout above does not place.
  const placed = new Set<string>([...Object.keys(T.narrativeTitles), ...GOAL_KEYS]);
  const extra = (framework.narratives ?? []).filter((n) => !placed.has(n.key));
  extra.forEach((n, i) => {
    w.heading2(3 + i, n.title);
    w.narrative(narratives[n.key], n.title);
  });
  w.paragraph({ text: T.annexReference(annexTitle) });
}

/** Builds the report's text from one evaluation and its result. */
export function buildReportContent(input: ReportInput): ReportContent {
  const w = createWriter();
  const title = T.title(input.unit, input.year);
  w.blocks.push({ kind: 'title', spans: [{ text: input.unit }] }, { kind: 'title', spans: [{ text: T.titleYearLine(input.year) }] });
  writeOverview(w, input);
  writeConclusion(w, input);
  writeClosing(w, input, T.annexTitle(input.unit, input.year));
  return { title, blocks: w.blocks, missing: w.missing };
}
