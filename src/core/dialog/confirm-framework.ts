/**
 * Confirming an imported framework in the chat: one question per open row, with the row's prose and
 * why it is open; the answer is a short rule in Chinese ("达到90%得2分，否则不得分") or "确认" for the
 * suggestion. Pure: the bot loads the draft, calls these, and stores what they return.
 */
import type { Reply } from '../messages';
import type { FrameworkRecord } from '../framework-record';
import { applyConfirmation, describeDraftStatus, listOpenRows, type OpenQuestion } from '../import/confirm';
import type { DraftFramework } from '../import/importer';
import { confirmChatText as T, dialogText as DT } from '../locale/zh-CN';
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
  /** 请助手建议 for this row: the caller asks the assistant, then calls `offerProposal` (replies are empty). */
  wantsProposal?: OpenQuestion;
  /** The organiser declined the assistant's proposal for this row (the caller logs it). */
  rejectedProposal?: string;
}

/**
 * Import help (issue #16, item 5). A framework is confirmed before any evaluation exists, so the
 * evaluation's 启用助手 switch cannot apply: instead the assistant is offered only when a model is
 * configured (`assistant` given), and only when the organiser asks for it row by row with 「请助手建议」,
 * whose hint under the question says what is sent (the row's text, no names of people) and where.
 */
export interface ConfirmOptions {
  /** The configured model and the host requests go to; absent: no model, nothing is offered. */
  assistant?: { model: string; host: string };
}

/** 确认指标体系 <id>: the id named, if any. */
export function parseConfirmCommand(text: string): { id: string } | undefined {
  const m = /^\/?(确认指标体系|确认框架)\s*([a-z0-9-]*)\s*$/i.exec(normaliseText(text));
  return m ? { id: (m[2] ?? '').toLowerCase() } : undefined;
}

/** Whether the assistant may propose a rule for the row: an ordinary indicator (not bonus, penalty or key-task rows). */
function assistable(draft: DraftFramework, code: string): boolean {
  return draft.rows.find((r) => r.code === code)?.kind === 'indicator';
}

function ask(q: OpenQuestion, left: number, draft: DraftFramework, opts: ConfirmOptions): Reply {
  const assist = opts.assistant && assistable(draft, q.code) ? opts.assistant : undefined;
  return {
    kind: 'card',
    title: T.title(left),
    text: assist ? `${q.question}\n${T.assistHint(assist.model, assist.host)}` : q.question,
    buttons: [
      ...(q.suggestion ? [{ label: T.acceptButton, action: { type: 'answer' as const, key: `confirm-row:${q.code}`, value: '确认' } }] : []),
      ...(assist ? [{ label: T.assistButton, action: { type: 'answer' as const, key: `confirm-row:${q.code}`, value: T.assistCommand } }] : []),
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
export function startConfirmation(rec: FrameworkRecord, opts: ConfirmOptions = {}): ConfirmOutcome {
  const open = listOpenRows(rec.draft);
  const status = describeDraftStatus(rec.draft);
  if (!open.length) return { replies: [finished(rec, rec.draft)], state: null };
  const q = open[0]!;
  return {
    replies: [{ kind: 'text', text: T.intro(rec.name, status.compiled + status.kept + status.confirmed, open.length) }, ask(q, open.length, rec.draft, opts)],
    state: { kind: 'confirmFramework', id: rec.id, current: q.code, skipped: [] },
  };
}

/**
 * Takes the answer to the row being asked: a rule phrase, 确认, 跳过, 取消, 请助手建议 (when a model is
 * configured), or 采用 / 不采用 for the assistant's proposal shown.
 */
export function continueConfirmation(rec: FrameworkRecord, state: ConfirmState, text: string, opts: ConfirmOptions = {}): ConfirmOutcome {
  const body = normaliseText(text);
  if (/^(取消|退出|停止)$/.test(body)) return { replies: [{ kind: 'text', text: T.cancelled(rec.id) }], state: null };
  const open = listOpenRows(rec.draft);
  const current = open.find((q) => q.code === state.current) ?? nextOpen(rec.draft, state.skipped);
  if (!current) return { replies: [finished(rec, rec.draft)], state: null };
  const { proposal, ...rest } = state;
  // Any answer settles a proposal shown: only 采用 takes it, and only for the row it was made for.
  state = rest;
  const reask = (note: string): Reply[] => [{ kind: 'text', text: note }, ask(current, open.length, rec.draft, opts)];
  if (body === T.acceptProposalCommand) {
    if (!proposal || proposal.code !== current.code) return { replies: reask(T.proposalStale), state };
    return take(rec, state, current, proposal.rule, opts);
  }
  if (body === T.rejectProposalCommand) {
    if (!proposal || proposal.code !== current.code) return { replies: reask(T.proposalStale), state };
    return { replies: reask(T.proposalRejected), state, rejectedProposal: current.code };
  }
  if (body === T.assistCommand) {
    if (!opts.assistant) return { replies: reask(T.assistOff), state };
    if (!assistable(rec.draft, current.code)) return { replies: reask(T.assistNotForRow), state };
    return { replies: [], state, wantsProposal: current };
  }
  if (/^(跳过|略过)$/.test(body)) {
    const skipped = [...state.skipped.filter((c) => c !== current.code), current.code];
    const next = nextOpen(rec.draft, skipped)!;
    return { replies: [ask(next, open.length, rec.draft, opts)], state: { ...state, current: next.code, skipped } };
  }
  if (!body) return { replies: [ask(current, open.length, rec.draft, opts)], state };
  return take(rec, state, current, body, opts);
}

/** Applies a rule phrase to the row being asked (typed, or the assistant's proposal confirmed), then asks the next row. */
function take(rec: FrameworkRecord, state: ConfirmState, current: OpenQuestion, answer: string, opts: ConfirmOptions): ConfirmOutcome {
  const open = listOpenRows(rec.draft);
  const r = applyConfirmation(rec.draft, current.code, answer);
  if (!r.ok) return { replies: [{ kind: 'text', text: T.notTaken(r.error) }, ask(current, open.length, rec.draft, opts)], state };
  const done: Reply = { kind: 'text', text: T.taken(current.code, current.name, 'text' in r.row.outcome ? r.row.outcome.text : answer) };
  const skipped = state.skipped.filter((c) => c !== current.code);
  const next = nextOpen(r.draft, skipped);
  if (!next) return { replies: [done, finished(rec, r.draft)], draft: r.draft, state: null };
  return { replies: [done, ask(next, listOpenRows(r.draft).length, r.draft, opts)], draft: r.draft, state: { ...state, current: next.code, skipped } };
}

/** What the assistant is sent for an open row: its own text only (no names of people, nothing of any evaluation). */
export function proposalVars(q: OpenQuestion, draft: DraftFramework): Record<string, string> {
  const row = draft.rows.find((r) => r.code === q.code);
  return {
    name: q.name,
    points: q.points === undefined ? '' : String(q.points),
    description: row?.description?.trim() || DT.none,
    criteria: q.criteria,
    reason: q.reason,
  };
}

/** The assistant's output for `propose-rule`: the phrase, null when it declined, 'invalid' when not the JSON asked for. */
export function readRuleProposal(output: string): string | null | 'invalid' {
  const body = output.trim().replace(/^```(?:json)?\s*/i, '').replace(/\s*```$/, '');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return 'invalid';
  }
  if (!json || typeof json !== 'object' || !('rule' in json)) return 'invalid';
  const rule = (json as { rule: unknown }).rule;
  if (rule === null) return null;
  if (typeof rule !== 'string' || !rule.trim() || rule.length > 500) return 'invalid';
  return rule.trim();
}

/**
 * Shows the assistant's proposed rule for the row being asked, when the compiler accepts it with the
 * row's points (tried on the current draft, nothing stored): 「助手建议的规则：…，是否采用？」 with
 * 采用 / 不采用, the phrase kept in the state until then. Undefined when the compiler refuses it or the
 * row is no longer the one asked (the caller then asks as without a model).
 */
export function offerProposal(rec: FrameworkRecord, state: ConfirmState, code: string, phrase: string): ConfirmOutcome | undefined {
  const current = listOpenRows(rec.draft).find((q) => q.code === code);
  if (!current || state.current !== code) return undefined;
  const r = applyConfirmation(rec.draft, code, phrase);
  if (!r.ok || !('text' in r.row.outcome)) return undefined;
  const key = `confirm-row:${code}`;
  return {
    replies: [
      {
        kind: 'card',
        title: T.proposalTitle,
        text: `${T.proposal(r.row.outcome.text)}\n${T.proposalHint}`,
        buttons: [
          { label: T.acceptProposalButton, action: { type: 'answer', key, value: T.acceptProposalCommand } },
          { label: T.rejectProposalButton, action: { type: 'answer', key, value: T.rejectProposalCommand } },
        ],
        question: { key, type: 'text' },
      },
    ],
    state: { ...state, proposal: { code, rule: phrase } },
  };
}

/** The row asked again as without a model, after `note` (the assistant failed, or its rule was not usable). */
export function askWithoutProposal(rec: FrameworkRecord, state: ConfirmState, note: string, opts: ConfirmOptions = {}): ConfirmOutcome {
  const open = listOpenRows(rec.draft);
  const current = open.find((q) => q.code === state.current) ?? nextOpen(rec.draft, state.skipped);
  if (!current) return { replies: [finished(rec, rec.draft)], state: null };
  const { proposal: _p, ...rest } = state;
  return { replies: [{ kind: 'text', text: note }, ask(current, open.length, rec.draft, opts)], state: { ...rest, current: current.code } };
}
