/**
 * Confirming an imported framework in the chat: one question per open row, with the row's prose and
 * why it is open; the answer is a short rule in Chinese ("达到90%得2分，否则不得分") or "确认" for the
 * suggestion. Pure: the bot loads the draft, calls these, and stores what they return.
 */
import type { Reply } from '../messages';
import type { FrameworkRecord } from '../framework-record';
import { applyConfirmation, describeDraftStatus, listOpenRows, type OpenQuestion } from '../import/confirm';
import type { DraftFramework } from '../import/importer';
import { confirmChatText as T } from '../locale/zh-CN';
import type { ConfirmState } from './drafts';
import { normaliseText } from './parse';

// The chat state of a confirmation in progress (kept as the sender's chat draft) is defined in drafts.ts.
export type { ConfirmState };

export interface ConfirmOutcome {
  replies: Reply[];
  /** The draft after the answer, when it changed. */
  draft?: DraftFramework;
  /** The next state; null when the confirmation is over (done or cancelled). */
  state: ConfirmState | null;
}

/** 确认指标体系 <id>: the id named, if any. */
export function parseConfirmCommand(text: string): { id: string } | undefined {
  const m = /^\/?(确认指标体系|确认框架)\s*([a-z0-9-]*)\s*$/i.exec(normaliseText(text));
  return m ? { id: (m[2] ?? '').toLowerCase() } : undefined;
}

function ask(q: OpenQuestion, left: number): Reply {
  return {
    kind: 'card',
    title: T.title(left),
    text: q.question,
    buttons: [
      ...(q.suggestion ? [{ label: T.acceptButton, action: { type: 'answer' as const, key: `confirm-row:${q.code}`, value: '确认' } }] : []),
      { label: T.skipButton, action: { type: 'answer' as const, key: `confirm-row:${q.code}`, value: '跳过' } },
      { label: T.cancelButton, action: { type: 'answer' as const, key: `confirm-row:${q.code}`, value: '取消' } },
    ],
    question: { key: `confirm-row:${q.code}`, type: 'text' },
  };
}

/** The next open row: in sheet order, rows passed over last. */
function nextOpen(draft: DraftFramework, skipped: string[]): OpenQuestion | undefined {
  const open = listOpenRows(draft);
  return open.find((q) => !skipped.includes(q.code)) ?? open[0];
}

function finished(rec: Pick<FrameworkRecord, 'id' | 'name'>, draft: DraftFramework): Reply {
  const status = describeDraftStatus(draft);
  if (status.usable) return { kind: 'text', text: T.ready(rec.name, rec.id) };
  return { kind: 'text', text: T.notUsable(rec.name, status.problems.slice(0, 5).join('；')) };
}

/** Starts (or resumes) confirming a framework: its status, then the first open row. */
export function startConfirmation(rec: FrameworkRecord): ConfirmOutcome {
  const open = listOpenRows(rec.draft);
  const status = describeDraftStatus(rec.draft);
  if (!open.length) return { replies: [finished(rec, rec.draft)], state: null };
  const q = open[0]!;
  return {
    replies: [{ kind: 'text', text: T.intro(rec.name, status.compiled + status.kept + status.confirmed, open.length) }, ask(q, open.length)],
    state: { kind: 'confirmFramework', id: rec.id, current: q.code, skipped: [] },
  };
}

/** Takes the answer to the row being asked: a rule phrase, 确认, 跳过 or 取消. */
export function continueConfirmation(rec: FrameworkRecord, state: ConfirmState, text: string): ConfirmOutcome {
  const body = normaliseText(text);
  if (/^(取消|退出|停止)$/.test(body)) return { replies: [{ kind: 'text', text: T.cancelled(rec.id) }], state: null };
  const open = listOpenRows(rec.draft);
  const current = open.find((q) => q.code === state.current) ?? nextOpen(rec.draft, state.skipped);
  if (!current) return { replies: [finished(rec, rec.draft)], state: null };
  if (/^(跳过|略过)$/.test(body)) {
    const skipped = [...state.skipped.filter((c) => c !== current.code), current.code];
    const next = nextOpen(rec.draft, skipped)!;
    return { replies: [ask(next, open.length)], state: { ...state, current: next.code, skipped } };
  }
  if (!body) return { replies: [ask(current, open.length)], state };
  const r = applyConfirmation(rec.draft, current.code, body);
  if (!r.ok) return { replies: [{ kind: 'text', text: T.notTaken(r.error) }, ask(current, open.length)], state };
  const done: Reply = { kind: 'text', text: T.taken(current.code, current.name, 'text' in r.row.outcome ? r.row.outcome.text : body) };
  const skipped = state.skipped.filter((c) => c !== current.code);
  const next = nextOpen(r.draft, skipped);
  if (!next) return { replies: [done, finished(rec, r.draft)], draft: r.draft, state: null };
  return { replies: [done, ask(next, listOpenRows(r.draft).length)], draft: r.draft, state: { ...state, current: next.code, skipped } };
}
