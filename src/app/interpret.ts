/**
 * The assistant as a fallback of the reader (issue #16): after the engine asked a question again
 * because it could not read a reply, and only when an organiser enabled the assistant for the
 * evaluation, the assistant is asked for a reading (exactly the question, the reply and the
 * evaluation's figures). A valid reading the reader accepts replaces the question asked again by
 * 「您的意思是：…？」 (kept in the person's session until they confirm); anything else (a failure, a
 * timeout, an answer of the wrong shape, the month's cap reached) leaves the replies as they were,
 * as if there were no model.
 */
import type { HandledMessage } from '../core/evaluation';
import type { InboundMessage, Reply } from '../core/messages';
import { interpretationInput, offerInterpretation, readProposal, type Proposal } from '../core/dialog/interpret';
import type { DialogDeps, DialogOutcome } from '../core/dialog/engine';
import type { Unread } from '../core/dialog/turn';
import { assistantText as AT } from '../core/locale/zh-CN';
import { ownEntry } from '../core/evaluation';
import type { EvaluationRecord, Store } from '../store/port';
import { runAssistantTask, usageMonth, type AssistantSetup } from './assistant';

/** The replies of a message whose reply could not be read, with the assistant's proposal when there is one. */
export async function interpretUnread(
  setup: AssistantSetup,
  store: Store,
  saved: EvaluationRecord,
  msg: InboundMessage,
  unread: Unread,
  replies: Reply[],
  deps: DialogDeps,
): Promise<Reply[]> {
  if (!saved.assistant?.enabled) return replies;
  const input = interpretationInput(saved, unread);
  if (!input) return replies;
  const out = await runAssistantTask(setup, store, { name: 'interpret', promptId: 'interpret-reply', vars: input.vars, maxTokens: 300, at: deps.now });
  if (!out.ok) return out.reason === 'overCap' ? await capNotice(store, saved, deps.now, replies) : replies;
  const proposal = readProposal(out.text, input.question, unread.reply);
  if (proposal === 'invalid') {
    setup.logger.info('assistant output discarded', { task: 'interpret', reason: 'not what the prompt asked for', question: unread.key });
    return replies;
  }
  if (!proposal) return replies;
  return (await offer(store, saved.id, msg, unread, proposal, replies, deps)) ?? replies;
}

/**
 * Keeps the proposal in the sender's session (inside the store's serialised update: the record may have
 * changed since it was saved) and swaps the question asked again for the confirmation. Undefined when
 * it cannot be offered any more.
 */
async function offer(store: Store, id: string, msg: InboundMessage, unread: Unread, proposal: Proposal, replies: Reply[], deps: DialogDeps): Promise<Reply[] | undefined> {
  let out: DialogOutcome | undefined;
  let merged: Reply[] | undefined;
  await store.updateEvaluation(id, (current, audit) => {
    out = offerInterpretation(current, msg, deps, unread, proposal);
    if (!out) return undefined;
    if (out.audit) audit.push(...out.audit);
    merged = swapQuestion(replies, unread.key, out.replies);
    // A replay of this message gives the confirmation, as the first handling did.
    if (msg.messageId) {
      const handled = current.handled?.find((h) => h.id === msg.messageId);
      if (handled) handled.replies = merged.filter((r): r is HandledMessage['replies'][number] => r.kind !== 'file');
    }
    return current;
  });
  return merged;
}

/** The replies with the question asked again (the last reply asking `key`) replaced by `instead`. */
function swapQuestion(replies: Reply[], key: string, instead: Reply[]): Reply[] {
  let at = -1;
  replies.forEach((r, i) => {
    if (r.kind !== 'file' && r.question?.key === key) at = i;
  });
  if (at < 0) return [...replies, ...instead];
  return [...replies.slice(0, at), ...instead, ...replies.slice(at + 1)];
}

/** Over the monthly cap: the organisers of this evaluation are told, once a month, after the usual replies. */
async function capNotice(store: Store, saved: EvaluationRecord, now: Date, replies: Reply[]): Promise<Reply[]> {
  const month = usageMonth(now);
  if (saved.assistant?.capNotice === month) return replies;
  let told = false;
  let notice: Reply | undefined;
  await store.updateEvaluation(saved.id, (current, audit) => {
    if (current.assistant?.capNotice === month) return undefined;
    const next = { enabled: !!current.assistant?.enabled, capNotice: month };
    audit.push({ at: now.toISOString(), userId: 'system', path: 'assistant', old: current.assistant, new: next });
    current.assistant = next;
    told = true;
    notice = { kind: 'text', text: AT.overCap(month), mentions: mentionsOfOrganisers(current) };
    return current;
  });
  return told && notice ? [...replies, notice] : replies;
}

/** Mentions of an evaluation's organisers known by id. */
function mentionsOfOrganisers(rec: EvaluationRecord): Array<{ userId: string; name?: string }> {
  return rec.organisers.filter((id) => !id.startsWith('name:')).map((userId) => {
    const name = ownEntry(rec.members, userId)?.name;
    return { userId, ...(name ? { name } : {}) };
  });
}
