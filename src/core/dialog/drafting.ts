/**
 * Report drafting in the dialog (issue #16): 「起草 <部分名称>」 (or the 起草 button on a narrative
 * question) shows the assistant's draft of that section as 草稿 with 采用 / 修改 / 不用.
 *
 * The draft itself is made before the engine runs (it waits on a model): the bot service sees the
 * command, finds its section with `draftTarget`, drafts it (core/drafting, every figure checked) and
 * passes the outcome in `DialogState.sectionDraft`. Here the draft is kept in the asker's session
 * (never in the answers, so the report never prints it) until 采用 records it as the section's
 * narrative, as if the person had written it; 修改 gives the text back to edit and send; 不用 drops
 * it. No draft (assistant off, no valid draft after retries, timeout) → a clear line and the question
 * as before.
 */
import { z } from 'zod';
import { ownEntry, type EvaluationRecord } from '../evaluation';
import type { Framework } from '../framework/load';
import { draftingText as T } from '../locale/zh-CN';
import type { InboundMessage } from '../messages';
import { actorOf, may, mayReach } from '../roles';
import type { DraftOutcome } from '../drafting/draft';
import { narrativeTitleOf } from '../drafting/facts';
import { recogniseCommand } from './commands';
import { cleanText, foldText, quote } from './parse';
import type { Question } from './plan';
import { commandButton, text } from './replies';
import { DRAFT_SECTION_ALIASES } from './vocabulary';
import { allowed, type Turn } from './turn';
import { ask, setCurrent, stampOf } from './ask';
import { answerByKey } from './answer';

/** A draft waiting in a session for 采用 / 修改 / 不用. */
export const pendingSectionDraftSchema = z.object({
  /** Sent back by the draft card's buttons: a press on an older draft's card is refused. */
  id: z.string(),
  /** The narrative key. */
  key: z.string(),
  text: z.string(),
  at: z.string(),
  /** The section's answer when drafted (ask.ts `stampOf`): changed meanwhile, the draft is not taken. */
  stamp: z.string(),
});
export type PendingSectionDraft = z.infer<typeof pendingSectionDraftSchema>;

/** What the bot service drafted for a 起草 message, for the engine to show. */
export interface SectionDraftResult {
  /** The narrative key drafted. */
  key: string;
  outcome: DraftOutcome;
}

/** The session's pending draft, read back from storage (dropped when it does not parse). */
export function readPendingDraft(turn: Turn): PendingSectionDraft | undefined {
  const raw = turn.session.sectionDraft;
  if (raw === undefined) return undefined;
  const parsed = pendingSectionDraftSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  delete turn.session.sectionDraft;
  return undefined;
}

const bare = (s: string) => foldText(s).replace(/^([一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）])/, '').replace(/\s+/g, '');

/**
 * The narrative question a section name means: its key, its title, a usual name (vocabulary
 * DRAFT_SECTION_ALIASES), or the one title that contains it. Undefined when none or several.
 */
export function findDraftSection(framework: Framework, plan: readonly Question[], name: string): Question | undefined {
  const n = bare(name);
  if (!n) return undefined;
  const narratives = plan.filter((q) => q.kind === 'narrative');
  const byKey = (key: string | undefined) => narratives.find((q) => q.target === key);
  const exact =
    byKey(narratives.find((q) => q.target.toLowerCase() === n.toLowerCase())?.target) ??
    narratives.find((q) => bare(narrativeTitleOf(framework, q.target)) === n) ??
    narratives.find((q) => (DRAFT_SECTION_ALIASES[q.target] ?? []).includes(n));
  if (exact) return exact;
  const containing = narratives.filter((q) => {
    const t = bare(narrativeTitleOf(framework, q.target));
    return t.includes(n) || n.includes(t);
  });
  return containing.length === 1 ? containing[0] : undefined;
}

/** The section names 起草 takes, for usage lines. */
function sectionList(turn: Turn): string {
  return turn.plan
    .filter((q) => q.kind === 'narrative')
    .map((q) => narrativeTitleOf(turn.framework, q.target))
    .join('、');
}

/** The argument of a 起草 message (typed or pressed), or undefined when the message is not 起草. */
function draftArgument(msg: InboundMessage): string | undefined {
  if (msg.action) return msg.action.type === 'command' && msg.action.command === 'draftSection' ? (msg.action.arg ?? '') : undefined;
  const cmd = recogniseCommand(cleanText(msg.text ?? ''));
  return cmd?.name === 'draftSection' ? cmd.arg : undefined;
}

/**
 * For the bot service, before the engine: the section a 起草 message asks to draft, when the sender
 * reaches the evaluation and may answer that section (no model is asked otherwise). The named section,
 * or with no name the narrative question the sender is on.
 */
export function draftTarget(msg: InboundMessage, rec: EvaluationRecord, framework: Framework, plan: readonly Question[]): Question | undefined {
  const arg = draftArgument(msg);
  if (arg === undefined || !mayReach(rec, actorOf(msg)).ok) return undefined;
  const current = ownEntry(rec.sessions, msg.userId)?.current;
  const q = arg.trim() ? findDraftSection(framework, plan, arg) : plan.find((x) => x.key === current && x.kind === 'narrative');
  if (!q) return undefined;
  return may(rec, actorOf(msg), 'answer', { sections: q.sections, ...(q.organiserOnly ? { organiserOnly: true } : {}) }).ok ? q : undefined;
}

/** 起草 [部分名称]: shows the draft the bot service made, or says why there is none and asks the question. */
export function requestDraft(turn: Turn, arg: string): void {
  if (!turn.deps.drafting) {
    turn.replies.push(text(T.off));
    return;
  }
  const current = turn.plan.find((x) => x.key === turn.session.current && x.kind === 'narrative');
  const q = arg.trim() ? findDraftSection(turn.framework, turn.plan, arg) : current;
  if (!q) {
    turn.replies.push(text(arg.trim() ? T.unknownSection(quote(arg.trim()), sectionList(turn)) : T.usage(sectionList(turn))));
    return;
  }
  if (!allowed(turn, 'answer', q)) return;
  const title = narrativeTitleOf(turn.framework, q.target);
  const drafted = turn.sectionDraft?.key === q.target ? turn.sectionDraft.outcome : undefined;
  if (!drafted || !drafted.ok) {
    turn.replies.push(text(drafted?.reason === 'rejected' ? T.failed(title) : T.unavailable(title)));
    ask(turn, q);
    return;
  }
  const s = turn.session;
  const id = turn.deps.newId();
  s.sectionDraft = { id, key: q.target, text: drafted.text, at: turn.deps.now.toISOString(), stamp: stampOf(turn, q) };
  // The section's question becomes theirs: what they type next is their own text for it.
  if (s.current !== q.key) {
    s.failures = 0;
    s.draft = undefined;
  }
  setCurrent(turn, q);
  turn.changed = true;
  turn.replies.push({
    kind: 'card',
    title: T.draftTitle(title),
    text: T.draftCard(drafted.text),
    buttons: [commandButton(T.acceptButton, 'draftAccept', id), commandButton(T.editButton, 'draftEdit', id), commandButton(T.rejectButton, 'draftReject', id)],
  });
}

/**
 * The pending draft a 采用 / 修改 / 不用 is about, with its question; says why not (and drops a draft
 * whose section is gone) when there is none. `arg` is the draft's id from a button, or empty when typed.
 */
function pendingFor(turn: Turn, arg: string): { draft: PendingSectionDraft; q: Question; title: string } | undefined {
  const draft = readPendingDraft(turn);
  const refuse = (line: string) => {
    turn.replies.push(text(line));
    if (turn.msg.action) turn.pressed = { ok: false, toast: line };
    return undefined;
  };
  if (!draft) return refuse(arg.trim() ? T.staleDraft : T.noDraft);
  if (arg.trim() && arg.trim() !== draft.id) return refuse(T.staleDraft);
  const q = turn.plan.find((x) => x.kind === 'narrative' && x.target === draft.key);
  if (!q) {
    delete turn.session.sectionDraft;
    turn.changed = true;
    return refuse(T.staleDraft);
  }
  if (!allowed(turn, 'answer', q)) return undefined;
  return { draft, q, title: narrativeTitleOf(turn.framework, q.target) };
}

function drop(turn: Turn): void {
  delete turn.session.sectionDraft;
  turn.changed = true;
}

/** 采用: the draft becomes the section's narrative, recorded and audited as the person's own answer. */
export function acceptDraft(turn: Turn, arg: string): void {
  const p = pendingFor(turn, arg);
  if (!p) return;
  drop(turn);
  // Written meanwhile (by someone else, or by them): that text stands.
  if (stampOf(turn, p.q) !== p.draft.stamp) {
    turn.replies.push(text(T.changedMeanwhile(p.title)));
    if (turn.msg.action) turn.pressed = { ok: false, toast: T.changedMeanwhile(p.title) };
    return;
  }
  // As if typed in one message and closed with 完成 (parts collected before are replaced).
  turn.session.draft = undefined;
  answerByKey(turn, p.q.key, `${p.draft.text}\n完成`, undefined);
  const recorded = turn.rec.answers.narratives?.[p.q.target] === p.draft.text;
  if (!turn.msg.action) delete turn.pressed;
  else if (recorded) {
    const by = turn.msg.userName?.trim() || ownEntry(turn.rec.members, turn.msg.userId)?.name || turn.msg.userId;
    turn.pressed = { ok: true, toast: T.acceptedToast, card: { title: T.draftTitle(p.title), text: T.accepted(p.title, by) } };
  }
}

/** 修改: the draft's text to copy, edit and send as the section (the draft itself is dropped). */
export function editDraft(turn: Turn, arg: string): void {
  const p = pendingFor(turn, arg);
  if (!p) return;
  drop(turn);
  turn.session.draft = undefined;
  turn.replies.push(text(T.editHint(p.title)), text(p.draft.text));
  ask(turn, p.q);
  if (turn.msg.action) turn.pressed = { ok: true, toast: T.editHint(p.title) };
}

/** 不用: the draft is dropped and the section stays as it was; its question is asked as before. */
export function rejectDraft(turn: Turn, arg: string): void {
  const p = pendingFor(turn, arg);
  if (!p) return;
  drop(turn);
  turn.replies.push(text(T.rejected(p.title)));
  ask(turn, p.q);
  if (turn.msg.action) turn.pressed = { ok: true, toast: T.rejected(p.title) };
}

/**
 * A bare 采用 / 修改 / 不用 typed while a draft of the question they are on waits: the draft's command
 * (as a narrative text those words would mean nothing). Undefined otherwise (「采用」 may answer a
 * yes/no question elsewhere).
 */
export function draftReplyWord(turn: Turn, body: string): 'draftAccept' | 'draftEdit' | 'draftReject' | undefined {
  const draft = turn.session.sectionDraft;
  if (!draft || turn.session.current !== `narrative:${draft.key}`) return undefined;
  const word = body.trim();
  if (word === T.acceptButton) return 'draftAccept';
  if (word === T.editButton) return 'draftEdit';
  if (word === T.rejectButton) return 'draftReject';
  return undefined;
}
