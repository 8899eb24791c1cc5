/**
 * Applying replies: an answer typed or pressed is read, checked and recorded (with its audit entries),
 * scored at once, and the next question asked; long answers (narratives, key tasks, a choice waiting
 * for its reason) are collected over several messages in the session's draft.
 */
import { formatScore } from '../decimal';
import { ownEntry } from '../evaluation';
import type { Indicator } from '../framework/load';
import { inPartialRange, partialRange, type Bounds, type Rule } from '../framework/schema';
import { dialogText as T, partialCreditText as PT, readingText as R, roleText as RT } from '../locale/zh-CN';
import { cellHolding, metricCells, metricReaders, readersUnsettledWithin } from '../scoring/conclusions';
import { breakpointsOf, describeBounds, describePartialRange } from '../scoring/rules';
import { CONCLUSION_MET, CONCLUSION_NOT_MET, NEGATIONS, NONE_WORDS, PARTIAL_WORDS } from './vocabulary';
import { readQuantity } from './quantity';
import { longestCommon, readYesNo } from './yesno';
import type { Answers, BonusAward, KeyTask, Penalty } from '../scoring/answers';
import { instantiate, measureLabel, ownMeasureKey, scoreEvaluation } from '../scoring/engine';
import { gradeStatus } from '../scoring/summary';
import type { IndicatorScore, ScoreResult } from '../scoring/types';
import { rangeProblem } from '../scoring/validate';
import { cleanText, foldText, hasWords, parseChoice, parseChoices, parseCount, parseKeyTaskLines, parseScore, quote } from './parse';
import type { CollectDraft } from './drafts';
import { text } from './replies';
import { findQuestion, partialExampleScore, type Question } from './plan';
import { allowed, audit, MAX_NARRATIVE_CHARS, rescore, type Turn } from './turn';
import { ask, askNext, clearCurrent, currentValue, questionTitle, renderQuestion, setCurrent, stampOf } from './ask';
import { shortHelp } from './views';
import { mayInterpret } from './interpret';

export function answerByKey(turn: Turn, key: string, value: string, stamp: string | undefined): void {
  const q = turn.plan.find((x) => x.key === key) ?? findQuestion(turn.framework, turn.plan, turn.rec.answers, key);
  if (!q || Array.isArray(q)) {
    turn.replies.push(text(T.staleButton));
    turn.pressed = { ok: false, toast: T.staleButton };
    return;
  }
  // Anyone may answer a card they see, as themselves, when the policy lets them answer that question.
  if (!allowed(turn, 'answer', q)) return;
  // Someone answered (or changed) it since this card was shown: say so to the presser only.
  if (stamp !== undefined && stamp !== stampOf(turn, q)) {
    const cur = currentValue(turn, q);
    turn.pressed = { ok: false, toast: T.pressedStale(q.label, cur) };
    return;
  }
  setCurrent(turn, q);
  const outcome = answer(turn, q, cleanText(value));
  if (outcome.ok === true) {
    const by = turn.msg.userName?.trim() || ownEntry(turn.rec.members, turn.msg.userId)?.name || turn.msg.userId;
    turn.pressed = { ok: true, toast: T.pressedRecorded, card: { title: questionTitle(q), text: T.pressedCard(q.prompt, outcome.summary, by) } };
  } else if (outcome.ok === 'pending') {
    turn.pressed = { ok: true, toast: outcome.reply };
  } else {
    turn.pressed = { ok: false, toast: outcome.error };
  }
}

/**
 * A typed reply to the sender's current question. One the reader cannot read, to a question the
 * assistant may read (interpret.ts), is noted in `turn.unread`, unless it is a confirmed proposal itself.
 */
export function answerCurrent(turn: Turn, body: string, opts: { confirmed?: boolean } = {}): void {
  const key = turn.session.current!;
  const q = turn.plan.find((x) => x.key === key) ?? findQuestion(turn.framework, turn.plan, turn.rec.answers, key);
  if (!q || Array.isArray(q)) {
    // The question no longer exists (e.g. a conflict that was settled meanwhile).
    clearCurrent(turn.session);
    turn.changed = true;
    askNext(turn, false);
    return;
  }
  // A role or an assignment changed since it was shown (设置 领导, 严格分配): the reply is not taken.
  if (!allowed(turn, 'answer', q)) {
    clearCurrent(turn.session);
    turn.session.draft = undefined;
    turn.changed = true;
    return;
  }
  // Someone else answered it meanwhile (pressing its card, or 修改): theirs stands, and this one moves on.
  const shown = turn.session.currentStamp;
  if (shown !== undefined && shown !== stampOf(turn, q)) {
    turn.replies.push(text(RT.takenMeanwhile(q.label, currentValue(turn, q))));
    clearCurrent(turn.session);
    turn.session.draft = undefined;
    turn.changed = true;
    askNext(turn, false);
    return;
  }
  const applied = answer(turn, q, body);
  if (applied.ok === false && !opts.confirmed && !turn.msg.action && mayInterpret(q)) turn.unread = { key: q.key, reply: body };
}

/** What applying a reply did; `followUp` names a question to ask next, before the plan's order (a conclusion after 「没有具体数字」). */
export type Applied = { ok: true; summary: string; followUp?: string[] } | { ok: false; error: string } | { ok: 'pending'; reply: string };

function answer(turn: Turn, q: Question, body: string): Applied {
  const applied = apply(turn, q, body);
  // Still at it: the question stays theirs for another idle period.
  if (applied.ok !== true && turn.session.current === q.key) turn.session.touchedAt = turn.deps.now.toISOString();
  if (applied.ok === 'pending') {
    turn.changed = true;
    turn.replies.push(text(applied.reply));
    return applied;
  }
  if (!applied.ok) {
    turn.session.failures++;
    turn.changed = true;
    turn.replies.push(renderQuestion(turn, q, applied.error));
    return applied;
  }
  const s = turn.session;
  s.failures = 0;
  s.draft = undefined;
  clearCurrent(s);
  s.skipped = s.skipped.filter((k) => k !== q.key);
  const prev = rescore(turn);
  const lines = [applied.summary, ...scoreChanges(prev, turn.result)];
  turn.replies.push(text(lines.join('\n')));
  const follow = applied.followUp ? turn.plan.find((x) => applied.followUp!.includes(x.key) && !x.answered) : undefined;
  if (follow) ask(turn, follow);
  else askNext(turn, false);
  return applied;
}

/** Reads a reply to a question and records it (the audit trail gets every change); nothing else (no re-scoring, no next question). */
export function applyReply(turn: Turn, q: Question, body: string): Applied {
  return apply(turn, q, body);
}

/** Records an answer to a question; the audit trail gets every change. */
function apply(turn: Turn, q: Question, body: string): Applied {
  const a = turn.rec.answers;
  switch (q.kind) {
    case 'fact':
    case 'metric':
      return applyFigure(turn, q, body);
    case 'conclusion':
      return applyConclusion(turn, q, body);
    case 'judgement':
      return applyJudgement(turn, q, body);
    case 'decision': {
      const p = parseScore(body, q.points!);
      if (!p.ok) return p;
      if (p.value < q.points! && !p.rest) return { ok: false, error: T.reasonNeeded };
      const judgements = (a.judgements ??= {});
      const old = judgements[q.target];
      const base = typeof old === 'object' && old !== null && !Array.isArray(old) ? old : {};
      // A graded level with a share range: the score stays inside its level.
      const level = q.rule?.kind === 'graded' && base.level ? q.rule.levels.find((l) => l.label === base.level) : undefined;
      if (level && level.score === undefined) {
        const [min, max] = [q.points! * level.minShare!, q.points! * level.maxShare!];
        if (p.value < min - 1e-9 || p.value > max + 1e-9) return { ok: false, error: T.scoreOutsideLevel(level.label, formatScore(min), formatScore(max)) };
      }
      const next = { ...base, score: p.value, ...(p.rest ? { reason: p.rest } : {}) };
      audit(turn, `judgements.${q.target}`, old, next);
      judgements[q.target] = next;
      return { ok: true, summary: T.recordedScore(q.label, formatScore(p.value), p.rest || undefined) };
    }
    case 'confirm': {
      // The choice stands with its reason: the report says which figure was used and why. A button
      // press brings the choice alone; the reason is the next message.
      const s = turn.session;
      const pending = s.draft?.kind === 'collect' && s.draft.key === q.key ? s.draft.choice : undefined;
      const parsed = parseChoice(body, q.meta.options!);
      let label: string;
      let reason: string;
      if (parsed.ok) [label, reason] = [parsed.value, parsed.rest];
      else if (pending && hasWords(body)) [label, reason] = [pending, body.trim()];
      else return parsed;
      if (!reason) {
        s.draft = { kind: 'collect', key: q.key, choice: label };
        return { ok: 'pending', reply: R.choiceReasonAsk(label) };
      }
      const p = { value: label, rest: reason };
      const choice = p.value === T.useDirect ? 'direct' : 'computed';
      const choices = (a.metricChoice ??= {});
      audit(turn, `metricChoice.${q.target}`, choices[q.target], choice);
      choices[q.target] = choice;
      const reasons = (a.choiceReasons ??= {});
      audit(turn, `choiceReasons.${q.target}`, reasons[q.target], p.rest);
      reasons[q.target] = p.rest;
      return { ok: true, summary: T.recordedChoice(q.label, R.choiceReason(p.value, p.rest)) };
    }
    case 'check': {
      const yes = readYesNo(body);
      const p = yes.ok && yes.value ? { ok: true as const } : parseChoice(body, q.meta.options!);
      if (!p.ok) return { ok: false, error: T.checkHowToFix };
      const confirmed = (a.confirmedChecks ??= []);
      if (!confirmed.includes(q.target)) {
        audit(turn, 'confirmedChecks', [...confirmed], [...confirmed, q.target]);
        confirmed.push(q.target);
      }
      return { ok: true, summary: T.checkConfirmedText(q.label) };
    }
    case 'keyTasks':
      return applyKeyTasks(turn, q, body);
    case 'bonus':
      return applyBonus(turn, body);
    case 'penalty':
      return applyPenalty(turn, body);
    case 'narrative':
      return applyNarrative(turn, q, body);
  }
}

/** Adds or removes a key in one of the answers' key lists (noFigure, approximate), with its audit entry. */
function markKey(turn: Turn, list: 'noFigure' | 'approximate', key: string, on: boolean): void {
  const a = turn.rec.answers;
  const old = a[list] ?? [];
  if (old.includes(key) === on) return;
  const next = on ? [...old, key] : old.filter((k) => k !== key);
  audit(turn, list, old, next);
  if (next.length) a[list] = next;
  else delete a[list];
}

/** Removes a stored value (fact, metric, conclusion) with its audit entry. */
function clearSlot(turn: Turn, bucket: 'facts' | 'metrics' | 'conclusions', key: string): void {
  const b = turn.rec.answers[bucket] as Record<string, unknown> | undefined;
  if (!b || b[key] === undefined) return;
  audit(turn, `${bucket}.${key}`, b[key], undefined);
  delete b[key];
}

/** Records a conclusion in place of a metric's figure. */
function recordConclusion(turn: Turn, key: string, bounds: Bounds, basis: string): Applied {
  const a = turn.rec.answers;
  const m = turn.framework.metricByKey.get(key)!;
  const value = { bounds, ...(basis ? { basis } : {}) };
  const conclusions = (a.conclusions ??= {});
  audit(turn, `conclusions.${key}`, conclusions[key], value);
  conclusions[key] = value;
  clearSlot(turn, 'metrics', key);
  markKey(turn, 'noFigure', key, true);
  markKey(turn, 'approximate', key, false);
  // Where the rule leaves the range to judgement, the evaluator's score is asked next.
  const decisions = metricReaders(turn.framework, a, key).map((r) => `decision:${r.code}`);
  return { ok: true, summary: R.conclusionRecorded(m.label, describeBounds(bounds, m.unit), basis || undefined), followUp: decisions };
}

/** A conclusion in words ("满意度达标", "未达标") as the range it means, when only one range fits. */
function conclusionFromWords(turn: Turn, key: string, text: string): Bounds | undefined {
  const cells = metricCells(turn.framework, turn.rec.answers, key);
  const t = text.replace(/\s+/g, '');
  if (CONCLUSION_NOT_MET.some((w) => t.includes(w))) {
    const below = cells.filter((c) => !c.full);
    return below.length === 1 ? below[0]!.bounds : undefined;
  }
  if (CONCLUSION_MET.some((w) => t.includes(w))) {
    const full = cells.filter((c) => c.full);
    return full.length === 1 ? full[0]!.bounds : undefined;
  }
  return undefined;
}

/** A fact, a metric, or the figure a unit reports for a metric that is also computed. */
function applyFigure(turn: Turn, q: Question, body: string): Applied {
  const a = turn.rec.answers;
  const isFact = q.kind === 'fact';
  const def = isFact ? turn.framework.factByKey.get(q.target)! : turn.framework.metricByKey.get(q.target)!;
  const reported = !isFact && !!(def as { ast?: unknown }).ast;
  const bucketName = isFact ? 'facts' : 'metrics';
  const example = R.example(def.unit);
  // "没有": no separately reported figure; the computed one is used.
  if (reported && NONE_WORDS.includes(body.replace(/[。.！!\s]+$/, '') as (typeof NONE_WORDS)[number])) {
    clearSlot(turn, 'metrics', q.target);
    markKey(turn, 'noFigure', q.target, true);
    return { ok: true, summary: R.reportedNone(def.label) };
  }
  const p = readQuantity(body, def.unit);
  if (!p.ok) {
    const words = isFact ? undefined : conclusionFromWords(turn, q.target, body);
    return words ? recordConclusion(turn, q.target, words, body) : p;
  }
  if (p.noFigure && !p.bounds) {
    const words = isFact || !p.rest ? undefined : conclusionFromWords(turn, q.target, p.rest);
    if (words) return recordConclusion(turn, q.target, words, p.rest);
    clearSlot(turn, bucketName, q.target);
    // Said again, 「没有具体数字」 asks for the range again too.
    if (!isFact) clearSlot(turn, 'conclusions', q.target);
    markKey(turn, 'noFigure', q.target, true);
    markKey(turn, 'approximate', q.target, false);
    return { ok: true, summary: R.noFigureRecorded(def.label), followUp: isFact ? undefined : [`conclusion:${q.target}`] };
  }
  if (p.bounds) {
    if (isFact) return { ok: false, error: R.boundOnFact(quote(body), example) };
    const unsettled = readersUnsettledWithin(turn.framework, a, q.target, p.bounds);
    if (unsettled.length) return { ok: false, error: R.rangeChangesScore(quote(body), unsettled[0]!.name, lineOf(unsettled[0]!.rule, def.unit, p.bounds)) };
    return recordConclusion(turn, q.target, p.bounds, p.rest || (p.noFigure ? '' : body));
  }
  const value = p.value!;
  const problem = rangeProblem(def.label, value, def.min, def.max, 'integer' in def ? def.integer : undefined);
  if (problem) return { ok: false, error: problem };
  if (p.approximate) {
    if (isFact) return { ok: false, error: R.approximateFact(quote(body), example) };
    const spread = Math.max(Math.abs(value) * 0.01, 0.5);
    const around = { gte: value - spread, lte: value + spread };
    const unsettled = readersUnsettledWithin(turn.framework, a, q.target, around);
    if (unsettled.length) return { ok: false, error: R.rangeChangesScore(quote(body), unsettled[0]!.name, lineOf(unsettled[0]!.rule, def.unit, around)) };
  }
  const bucket = (a[bucketName] ??= {});
  audit(turn, `${bucketName}.${q.target}`, bucket[q.target], value);
  bucket[q.target] = value;
  // A new figure reopens the choice between it and the computed one (audited, like every change).
  if (!isFact && a.metricChoice?.[q.target]) {
    audit(turn, `metricChoice.${q.target}`, a.metricChoice[q.target], undefined);
    delete a.metricChoice[q.target];
  }
  markKey(turn, 'noFigure', q.target, false);
  markKey(turn, 'approximate', q.target, !!p.approximate);
  if (!isFact) clearSlot(turn, 'conclusions', q.target);
  if (p.rest) setEvidence(turn, q.target, p.rest);
  if (p.approximate) return { ok: true, summary: R.approximateRecorded(def.label, formatScore(value), def.unit) };
  return { ok: true, summary: T.recordedQuantity(def.label, formatScore(value), def.unit, p.rest || undefined) };
}

/** The line a rule draws inside a range ("90%"), for messages. */
function lineOf(rule: Rule, unit: string, bounds: Bounds): string {
  const lo = bounds.gte ?? bounds.gt ?? -Infinity;
  const hi = bounds.lte ?? bounds.lt ?? Infinity;
  const inside = breakpointsOf(rule).filter((b) => b >= lo && b <= hi);
  return `${String(inside[0] ?? breakpointsOf(rule)[0] ?? '')}${unit}`;
}

/** Where a metric lies, for a unit without its figure: a range by number or label, a range typed out, or words. */
function applyConclusion(turn: Turn, q: Question, body: string): Applied {
  const options = q.meta.options ?? [];
  const cells = metricCells(turn.framework, turn.rec.answers, q.target);
  const c = parseChoice(body, options);
  if (c.ok) {
    const cell = cells.find((x) => x.label === c.value);
    if (cell) return recordConclusion(turn, q.target, cell.bounds, c.rest);
  }
  const m = turn.framework.metricByKey.get(q.target)!;
  const p = readQuantity(body, m.unit);
  if (p.ok && p.bounds) {
    const cell = cellHolding(cells, p.bounds);
    if (cell) return recordConclusion(turn, q.target, p.bounds, p.rest);
  }
  if (p.ok && p.value !== undefined && !p.approximate) return applyFigure(turn, { ...q, kind: 'metric' }, body);
  const words = conclusionFromWords(turn, q.target, body);
  if (words) return recordConclusion(turn, q.target, words, body);
  return { ok: false, error: R.notAConclusion(quote(body), options) };
}

function setEvidence(turn: Turn, target: string, evidence: string): void {
  const ev = (turn.rec.answers.evidence ??= {});
  audit(turn, `evidence.${target}`, ev[target], evidence);
  ev[target] = evidence;
}

function applyJudgement(turn: Turn, q: Question, body: string): Applied {
  const rule = q.rule!;
  const judgements = (turn.rec.answers.judgements ??= {});
  const old = judgements[q.target];
  const record = (value: Answers['judgements'] extends Record<string, infer V> | undefined ? V : never, summary: string): Applied => {
    audit(turn, `judgements.${q.target}`, old, value);
    judgements[q.target] = value;
    return { ok: true, summary };
  };
  switch (rule.kind) {
    case 'judgement': {
      // "部分，0.5 理由": partly done, before the yes/no reading ("部分" is neither yes nor no).
      const partly = partialReply(body);
      if (partly !== undefined) {
        const range = partialRange(rule, q.points!);
        // Without a partial clause, "部分…" goes to the yes/no reading ("部分未完成" to "是否都完成" is no).
        if (range) {
        const rangeText = describePartialRange(range);
        const example = PT.example(formatScore(partialExampleScore(range)));
        const s = parseScore(partly, q.points!);
        if (!s.ok) {
          const n = /^(?:得|给|打)?\s*(\d+(?:\.\d+)?)/.exec(partly);
          return { ok: false, error: n ? PT.chatOutOfRange(n[1]!, rangeText, example) : PT.chatNeedsScore(rangeText, example) };
        }
        if (!inPartialRange(range, s.value)) return { ok: false, error: PT.chatOutOfRange(formatScore(s.value), rangeText, example) };
        if (!s.rest) return { ok: false, error: PT.chatNeedsReason(example) };
        return record({ partial: true, score: s.value, reason: s.rest }, PT.recorded(q.label, formatScore(s.value), s.rest));
        }
      }
      const p = readYesNo(body, rule.question);
      if (!p.ok) return { ok: false, error: p.error };
      if (p.value) {
        if (p.rest) setEvidence(turn, q.target, p.rest);
        return record(true, T.recordedJudgement(q.label, T.yes, p.rest || undefined));
      }
      return record(p.rest ? { value: false, reason: p.rest } : false, T.recordedJudgement(q.label, T.no, p.rest || undefined));
    }
    case 'graded': {
      const labels = rule.levels.map((l) => l.label);
      let p = parseChoice(body, labels);
      // "没开展" for the level "未开展": negations are one word here.
      if (!p.ok) {
        const neg = NEGATIONS.find((n) => body.startsWith(n));
        if (neg && neg !== '未') {
          const again = parseChoice(`未${body.slice(neg.length)}`, labels);
          if (again.ok) p = { ...again, rest: again.rest };
        }
      }
      if (!p.ok) return p;
      const level = rule.levels.find((l) => l.label === p.value)!;
      let rest = p.rest;
      let score: number | undefined;
      if (level.score === undefined && rest) {
        const s = parseScore(rest, q.points!);
        if (s.ok) {
          const min = q.points! * level.minShare!;
          const max = q.points! * level.maxShare!;
          if (s.value < min - 1e-9 || s.value > max + 1e-9) return { ok: false, error: T.scoreOutsideLevel(level.label, formatScore(min), formatScore(max)) };
          score = s.value;
          rest = s.rest;
        }
      }
      const value = { level: level.label, ...(score !== undefined ? { score } : {}), ...(rest ? { reason: rest } : {}) };
      return record(value, T.recordedJudgement(q.label, level.label, rest || undefined));
    }
    case 'checklist': {
      const p = parseChoices(body, rule.items.map((i) => i.label));
      if (!p.ok) return p;
      const keys = rule.items.filter((i) => p.value.includes(i.label)).map((i) => i.key);
      return record(keys, T.recordedJudgement(q.label, p.value.length ? p.value.join('、') : T.none));
    }
    case 'per_violation': {
      let p = parseCount(body);
      // "无超预算、超范围、超标准支出…": a denial that restates what is counted is none.
      if (!p.ok) {
        const none = /^(无|没有|未发生|未出现|不存在)/.exec(foldText(body));
        const said = none ? foldText(body).slice(none[0].length) : '';
        if (none && said && longestCommon(said, rule.question + rule.counted) >= 3 && !/\d|[一二两三四五六七八九十]+(笔|例|次|件|起|项)/.test(said)) p = { ok: true, value: 0, rest: '' };
      }
      if (!p.ok) return p;
      return record(p.rest ? { count: p.value, reason: p.rest } : p.value, T.recordedCount(q.label, p.value, p.rest || undefined));
    }
    case 'discretionary': {
      const p = parseScore(body, q.points!);
      if (!p.ok) return p;
      if (p.value < q.points! && !p.rest) return { ok: false, error: T.reasonNeeded };
      return record({ score: p.value, ...(p.rest ? { reason: p.rest } : {}) }, T.recordedScore(q.label, formatScore(p.value), p.rest || undefined));
    }
    case 'proportional': {
      // A key task measured against its target: the achieved value.
      const measure = turn.framework.byCode.get(q.target)?.measure ?? keyTaskMeasure(turn, q.target);
      if (!measure) return { ok: false, error: T.notAskable };
      const read = readQuantity(body, measure.unit);
      if (!read.ok) return read;
      // "达到85%及以上": a range, taken when it settles the score (at or above the target).
      if (read.bounds) {
        const key = ownMeasureKey(q.target);
        const unsettled = readersUnsettledWithin(turn.framework, turn.rec.answers, key, read.bounds);
        if (unsettled.length) return { ok: false, error: R.rangeChangesScore(quote(body), q.label, lineOf(unsettled[0]!.rule, measure.unit, read.bounds)) };
        const value = { bounds: read.bounds, ...(read.rest ? { basis: read.rest } : {}) };
        const conclusions = (turn.rec.answers.conclusions ??= {});
        audit(turn, `conclusions.${key}`, conclusions[key], value);
        conclusions[key] = value;
        if (judgements[q.target] !== undefined) {
          audit(turn, `judgements.${q.target}`, judgements[q.target], undefined);
          delete judgements[q.target];
        }
        return { ok: true, summary: R.rangeRecorded(measureLabel(q.label, measure.label), describeBounds(read.bounds, measure.unit)) };
      }
      if (read.value === undefined || read.approximate) return { ok: false, error: R.boundOnFact(quote(body), R.example(measure.unit)) };
      const p = { value: read.value, rest: read.rest };
      if (p.value < 0) return { ok: false, error: T.negativeMeasure };
      return record({ actual: p.value, ...(p.rest ? { reason: p.rest } : {}) }, T.recordedQuantity(measureLabel(q.label, measure.label), formatScore(p.value), measure.unit, p.rest || undefined));
    }
    default:
      return { ok: false, error: T.notAskable };
  }
}

/**
 * The rest of a "partly done" reply ("部分做到，0.5分，理由" → "0.5分，理由"), or undefined when the reply
 * does not start with a word of PARTIAL_WORDS.
 */
function partialReply(body: string): string | undefined {
  const t = body.trim();
  const word = PARTIAL_WORDS.find((w) => t.startsWith(w));
  return word === undefined ? undefined : t.slice(word.length).replace(/^(?:了|的)?[\s,，;；。.、:：]*/, '');
}

/** Key tasks may arrive over several messages; they are saved once their points add up to the slot's. */
function applyKeyTasks(turn: Turn, q: Question, body: string): Applied {
  const s = turn.session;
  const prior = s.draft?.kind === 'keyTasks' && s.draft.slot === q.target ? s.draft.items : [];
  if (/^(重新|重来|清空)$/.test(body)) {
    s.draft = undefined;
    return { ok: 'pending', reply: T.keyTasksCleared };
  }
  if (/^完成$/.test(body)) return { ok: false, error: T.keyTasksShort(formatScore(sumPoints(prior)), formatScore(q.points!)) };
  const p = parseKeyTaskLines(body);
  if (!p.ok) return p;
  const items: KeyTask[] = [...prior, ...p.value.map((l) => ({ name: l.name, points: l.points, ...(l.target !== undefined ? { target: l.target } : {}) }))];
  const total = sumPoints(items);
  const max = turn.framework.byCode.get(q.target)?.keyTasks?.maxItems ?? 50;
  if (items.length > max) return { ok: false, error: T.keyTasksTooMany(max) };
  if (total > q.points! + 1e-9) return { ok: false, error: T.keyTasksOver(formatScore(total), formatScore(q.points!)) };
  if (total < q.points! - 1e-9) {
    s.draft = { kind: 'keyTasks', slot: q.target, items };
    return { ok: 'pending', reply: T.keyTasksSoFar(items.length, formatScore(total), formatScore(q.points! - total)) };
  }
  // Complete: replace the slot's tasks; answers to tasks whose name changed no longer apply.
  const a = turn.rec.answers;
  const old = a.keyTasks?.[q.target] ?? [];
  const slot = turn.framework.byCode.get(q.target)!;
  const judgements = a.judgements ?? {};
  old.forEach((t, i) => {
    const code = t.code ?? `${slot.code}${i + 1}`;
    if (items[i]?.name !== t.name && judgements[code] !== undefined) {
      audit(turn, `judgements.${code}`, judgements[code], undefined);
      delete judgements[code];
    }
  });
  (a.keyTasks ??= {})[q.target] = items;
  audit(turn, `keyTasks.${q.target}`, old.length ? old : undefined, items);
  return {
    ok: true,
    summary: T.keyTasksSaved(slot.name, items.map((t) => `${t.name}（${formatScore(t.points)}分${t.target !== undefined ? `，目标${t.target}%` : ''}）`)),
  };
}

/** The measure of a key task (key tasks are not in the framework's index). */
function keyTaskMeasure(turn: Turn, code: string): Indicator['measure'] {
  const find = (list: Indicator[]): Indicator | undefined => {
    for (const i of list) {
      if (i.code === code) return i;
      const hit = find(i.children);
      if (hit) return hit;
    }
    return undefined;
  };
  return find(instantiate(turn.framework, turn.rec.answers))?.measure;
}

function sumPoints(items: Array<{ points: number }>): number {
  return Math.round(items.reduce((s, t) => s + t.points * 10000, 0)) / 10000;
}

function applyBonus(turn: Turn, body: string): Applied {
  const section = turn.framework.bonus!;
  const a = turn.rec.answers;
  let awards: BonusAward[];
  if (/^(无|没有|否|都没有|未获得)$/.test(body)) awards = [];
  else {
    awards = [];
    for (const line of body.split(/\n|[;；]/).map((l) => l.trim()).filter(Boolean)) {
      const c = parseChoice(line, section.items.map((i) => i.label));
      if (!c.ok) return c;
      const item = section.items.find((i) => i.label === c.value)!;
      awards.push({ item: item.key, ...(c.rest ? { work: c.rest } : {}) });
    }
  }
  audit(turn, 'bonus', a.bonus, awards);
  a.bonus = awards;
  const score = scoreEvaluation(turn.framework, a).bonus;
  return { ok: true, summary: awards.length ? T.bonusRecorded(score.reasons, formatScore(score.score)) : T.bonusNone };
}

function applyPenalty(turn: Turn, body: string): Applied {
  const a = turn.rec.answers;
  let penalties: Penalty[];
  if (/^(无|没有|否|都没有)$/.test(body)) penalties = [];
  else {
    penalties = [];
    for (const line of body.split(/\n|[;；]/).map((l) => l.trim()).filter(Boolean)) {
      const p = parseScore(line.replace(/^扣/, ''), turn.framework.penalty?.cap ?? 100);
      if (!p.ok) return { ok: false, error: T.penaltyLine(quote(line, 30)) };
      if (!p.rest) return { ok: false, error: T.reasonNeeded };
      if (p.value > 0) penalties.push({ points: p.value, reason: p.rest });
    }
  }
  audit(turn, 'penalties', a.penalties, penalties);
  a.penalties = penalties;
  const score = scoreEvaluation(turn.framework, a).penalty;
  return { ok: true, summary: penalties.length ? T.penaltyRecorded(score.reasons, formatScore(score.score)) : T.penaltyNone };
}

/**
 * Narratives span several messages; 完成 (alone, or as the last line) ends them. Each part is kept as
 * written (punctuation, line breaks, emoji inside text); a part without any letter or digit (an emoji,
 * "……") is refused, so a section is never made of emoji alone, and a part that would take the section
 * past MAX_NARRATIVE_CHARS is not taken (the parts so far stay).
 */
function applyNarrative(turn: Turn, q: Question, body: string): Applied {
  const s = turn.session;
  const done = /(^|\n)\s*完成\s*$/.test(body);
  const part = body.replace(/(^|\n)\s*完成\s*$/, '').trim();
  if (part && !hasWords(part)) return { ok: false, error: T.narrativeNoWords };
  const parts = s.draft?.kind === 'collect' && s.draft.key === q.key ? [...(s.draft.parts ?? [])] : [];
  // A cap per section (the draft stays as it was): a record must not grow without bound.
  const sofar = parts.reduce((n, x) => n + [...x].length, 0);
  if (part && sofar + [...part].length > MAX_NARRATIVE_CHARS) return { ok: 'pending', reply: T.narrativeTooLong(MAX_NARRATIVE_CHARS, sofar) };
  if (part) parts.push(part);
  if (!done) {
    s.draft = { kind: 'collect', key: q.key, parts };
    return { ok: 'pending', reply: T.narrativeCollecting(parts.length, [...parts.join('')].length) };
  }
  if (!parts.length) return { ok: false, error: T.narrativeEmpty };
  const value = parts.join('\n');
  const narratives = (turn.rec.answers.narratives ??= {});
  audit(turn, `narratives.${q.target}`, narratives[q.target], value);
  narratives[q.target] = value;
  return { ok: true, summary: T.narrativeSaved(q.label, [...value].length) };
}

export function continueCollecting(turn: Turn, draft: CollectDraft, body: string): void {
  const q = turn.plan.find((x) => x.key === draft.key);
  if (!q) {
    turn.session.draft = undefined;
    turn.replies.push(shortHelp());
    return;
  }
  answer(turn, q, body);
}

/** Lines for what changed between two scorings: new metric values, indicator scores, new inconsistencies. */
export function scoreChanges(prev: ScoreResult, next: ScoreResult): string[] {
  const lines: string[] = [];
  for (const m of Object.values(next.metrics)) {
    const before = prev.metrics[m.key];
    if (m.source === 'computed' && m.workings && (!before || before.value !== m.value))
      lines.push(T.metricLine(m.label, m.workings, `${formatScore(m.value)}${m.unit}`));
  }
  // Scorings of the same tree list indicators in the same order; the map is for when the tree changed.
  let prevByCode: Map<string, IndicatorScore> | undefined;
  for (let k = 0; k < next.indicators.length; k++) {
    const i = next.indicators[k]!;
    if (i.children.length || i.status !== 'complete' || i.score === null) continue;
    const at = prev.indicators[k];
    if (at === i) continue; // reused by the scoring: unchanged
    const before = at && at.code === i.code ? at : (prevByCode ??= new Map(prev.indicators.map((x) => [x.code, x]))).get(i.code);
    if (before && before.status === 'complete' && before.score === i.score) continue;
    lines.push(T.indicatorLine(i.name, formatScore(i.score), formatScore(i.points), i.reasons.slice(0, -1).join('，')));
  }
  const known = new Set(prev.inconsistencies.map((x) => x.message));
  for (const inc of next.inconsistencies) if (!known.has(inc.message) && !inc.resolved) lines.push(T.warning(inc.message));
  const grade = gradeStatus(next);
  if (grade.final && !gradeStatus(prev).final) lines.push(T.nowComplete(formatScore(next.total), grade.grade!));
  return lines;
}
