/**
 * The assistant's part in answering, as pure functions: what it is given when the reader could not
 * read a reply (the question, the reply and the evaluation's figures: no names of people), how its
 * answer is checked (the JSON the prompt asks for, in the question's own terms, then read by the same
 * reader as a typed reply), the proposal 「您的意思是：…？」 kept in the session until the person
 * confirms it, and the confirmation itself. Nothing is recorded without that confirmation, and what is
 * recorded is what the reader makes of the confirmed reply: no model output reaches a score directly.
 *
 * The bot service (app/interpret.ts) does the calling; the engine routes the confirmation here.
 */
import { z } from 'zod';
import { formatScore } from '../decimal';
import type { EvaluationRecord } from '../evaluation';
import { resolveFramework } from '../framework/resolve';
import type { InboundMessage, Reply } from '../messages';
import { assistantText as AT, dialogText as T } from '../locale/zh-CN';
import { scoreEvaluation } from '../scoring/engine';
import { answerCurrent, applyReply } from './answer';
import { ask, askNext, questionTitle, stampOf } from './ask';
import type { InterpretDraft } from './drafts';
import { foldText } from './parse';
import { buildPlan, type Question } from './plan';
import { closeTurn, openTurn, type DialogDeps, type DialogOutcome, type Turn, type Unread } from './turn';
import { text } from './replies';
import { readYesNo } from './yesno';

/** The answer types the assistant may propose a reading for (never a score, a list or a text). */
const READABLE_TYPES = new Set(['boolean', 'choice', 'number', 'percent', 'count']);

/** Whether the assistant may propose a reading of a reply to this question. */
export function mayInterpret(q: Question): boolean {
  return (q.kind === 'fact' || q.kind === 'metric' || q.kind === 'judgement') && READABLE_TYPES.has(q.meta.type);
}

/** The prompt variables of interpret-reply (prompts/interpret-reply.json). */
export interface InterpretVars {
  [name: string]: string;
  question: string;
  answerType: string;
  unit: string;
  options: string;
  figures: string;
  reply: string;
}

/** What the assistant is asked about a reply the reader could not read; undefined when it may not be asked. */
export function interpretationInput(rec: EvaluationRecord, unread: Unread): { vars: InterpretVars; question: Question } | undefined {
  const framework = resolveFramework(rec.frameworkId, rec.framework);
  const result = scoreEvaluation(framework, rec.answers);
  const q = buildPlan(framework, rec.answers, result).find((x) => x.key === unread.key);
  if (!q || q.answered || !mayInterpret(q)) return undefined;
  const figures: string[] = [];
  for (const [key, value] of Object.entries(rec.answers.facts ?? {})) {
    const f = framework.factByKey.get(key);
    if (f && typeof value === 'number') figures.push(`${f.label}：${formatScore(value)} ${f.unit}`.trim());
  }
  for (const m of Object.values(result.metrics)) figures.push(`${m.label}：${formatScore(m.value)}${m.unit}`);
  return {
    question: q,
    vars: {
      question: q.prompt,
      answerType: q.meta.type,
      unit: q.meta.unit ?? T.none,
      options: q.meta.type === 'boolean' ? [T.yes, T.no].join('、') : (q.meta.options ?? []).join('、') || T.none,
      figures: figures.join('\n') || T.none,
      reply: unread.reply,
    },
  };
}

/** The JSON interpret-reply asks for. */
const outputSchema = z.union([
  z.object({ understood: z.literal(false) }).passthrough(),
  z.object({ understood: z.literal(true), answer: z.string().trim().min(1).max(100), basis: z.string().trim().max(300).optional() }).passthrough(),
]);

/** A reading the assistant proposes, in the question's own terms. */
export interface Proposal {
  answer: string;
  basis?: string;
}

/** Text without spaces, quotes and punctuation, for comparing what was quoted with what was said. */
function bare(s: string): string {
  return foldText(s).replace(/[\s"'“”‘’「」『』《》〈〉（）()【】\[\],，。.、;；:：!！?？…—-]/g, '');
}

/**
 * The assistant's answer, checked: the JSON the prompt asks for, an answer of the question's type
 * (是/否, one of the options, a figure in digits), and a basis quoted from the reply (never made up).
 * Undefined for {"understood": false}; 'invalid' for anything else than the prompt asked for.
 */
export function readProposal(output: string, q: Question, reply: string): Proposal | undefined | 'invalid' {
  const body = output.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, '');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'invalid';
  }
  const parsed = outputSchema.safeParse(json);
  if (!parsed.success) return 'invalid';
  if (parsed.data.understood === false) return undefined;
  const { answer, basis } = parsed.data as { answer: string; basis?: string };
  switch (q.meta.type) {
    case 'boolean':
      if (answer !== T.yes && answer !== T.no) return 'invalid';
      break;
    case 'choice':
      if (!(q.meta.options ?? []).includes(answer)) return 'invalid';
      break;
    default:
      // A figure in digits with at most a unit after it: never words the reader would have to guess at.
      if (!/^-?\d+(?:\.\d+)?\s*[^\d\s,，;；]{0,6}$/.test(answer)) return 'invalid';
  }
  if (basis && !bare(reply).includes(bare(basis))) return 'invalid';
  return { answer, ...(basis ? { basis } : {}) };
}

/** The reply the reader is given for a proposal: the answer, then its basis as a typed reply would have it. */
export function proposalReply(p: Proposal): string {
  return p.basis ? `${p.answer}，${p.basis}` : p.answer;
}

/** The key of the confirmation's buttons for a question. */
export const INTERPRET_KEY_PREFIX = 'interpret:';

/**
 * Offers the proposal to the sender: if their current question is still `unread.key`, unanswered and
 * unchanged, and the reader records the proposal's reply to it (tried on a copy), the proposal is kept
 * in their session and the confirmation card is the reply. Undefined when it cannot be offered (the
 * person is asked as without a model). Changes `rec` in place.
 */
export function offerInterpretation(rec: EvaluationRecord, msg: InboundMessage, deps: DialogDeps, unread: Unread, proposal: Proposal): DialogOutcome | undefined {
  const framework = resolveFramework(rec.frameworkId, rec.framework);
  const turn = openTurn(msg, { ...deps, inPlace: true }, rec, framework);
  const s = turn.session;
  const q = turn.plan.find((x) => x.key === unread.key);
  if (!q || q.answered || s.current !== q.key || s.draft || (s.currentStamp !== undefined && s.currentStamp !== stampOf(turn, q))) return undefined;
  const reply = proposalReply(proposal);
  // The reader has the last word: a reading it would not record as this reply is not offered.
  const probe = openTurn(msg, { ...deps, inPlace: true }, structuredClone(rec), framework);
  if (applyReply(probe, q, reply).ok !== true) return undefined;
  s.draft = { kind: 'interpret', key: q.key, reply, answer: proposal.answer, ...(proposal.basis ? { basis: proposal.basis } : {}) };
  turn.changed = true;
  turn.replies.push(proposalCard(turn, q, proposal));
  return closeTurn(turn);
}

function proposalCard(turn: Turn, q: Question, p: Proposal): Reply {
  const stamp = stampOf(turn, q);
  const key = `${INTERPRET_KEY_PREFIX}${q.key}`;
  const options = [AT.confirmButton, AT.rejectButton];
  return {
    kind: 'card',
    title: questionTitle(q),
    text: `${AT.proposal(p.answer, p.basis)}\n${AT.proposalHint}`,
    buttons: options.map((o) => ({ label: o, action: { type: 'answer' as const, key, value: o, stamp } })),
    question: { key, type: 'boolean', options, stamp },
  };
}

/**
 * A typed message while a proposal waits: a bare yes or no settles it; anything else is a new reply to
 * the question (the proposal is dropped and the reply read as usual).
 */
export function answerInterpretation(turn: Turn, draft: InterpretDraft, body: string): void {
  const yn = readYesNo(body);
  if (yn.ok && !yn.rest) {
    settleInterpretation(turn, draft, yn.value);
    return;
  }
  turn.session.draft = undefined;
  turn.changed = true;
  answerCurrent(turn, body);
}

/** A press on the confirmation's buttons (`interpret:<question key>`). */
export function pressInterpretation(turn: Turn, key: string, value: string): void {
  const draft = turn.session.draft;
  const qKey = key.slice(INTERPRET_KEY_PREFIX.length);
  if (draft?.kind !== 'interpret' || draft.key !== qKey || turn.session.current !== qKey) {
    turn.replies.push(text(AT.stale));
    turn.pressed = { ok: false, toast: AT.stale };
    return;
  }
  const yes = value === AT.confirmButton;
  settleInterpretation(turn, draft, yes);
  turn.pressed = yes ? { ok: true, toast: T.pressedRecorded } : { ok: true, toast: AT.rejected };
}

/**
 * Confirmed: the proposal's reply is read as if the person had typed it, with every check a typed
 * reply gets (who may answer, whether someone else answered meanwhile), and recorded as theirs. Declined: the question is asked again as
 * without a model.
 */
function settleInterpretation(turn: Turn, draft: InterpretDraft, yes: boolean): void {
  const s = turn.session;
  s.draft = undefined;
  turn.changed = true;
  const q = turn.plan.find((x) => x.key === draft.key);
  if (!q || s.current !== draft.key) {
    turn.replies.push(text(AT.stale));
    askNext(turn, false);
    return;
  }
  if (!yes) {
    ask(turn, q, AT.rejected);
    return;
  }
  answerCurrent(turn, draft.reply, { confirmed: true });
}
