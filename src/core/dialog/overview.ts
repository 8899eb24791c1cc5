/**
 * The chat side of the bureau overview (汇总): following units, asking their consent, showing the table
 * and asking for its export; and 同意汇总 <code>, by which an organiser of a unit agrees in the unit's
 * own chat. Pure: the bot service loads the chat's binding, the bindings waiting for consent and the
 * evaluations, and stores the bindings the outcome returns. Nothing here reads or changes an answer.
 */
import type { InboundMessage, Reply } from '../messages';
import type { EvaluationRecord } from '../evaluation';
import { formatScore } from '../decimal';
import { overviewText as O } from '../locale/zh-CN';
import {
  completionRatio,
  evaluationOfUnit,
  overviewOfBinding,
  splitUnits,
  unitKey,
  type OverviewBinding,
  type OverviewRow,
  type OverviewUnit,
} from '../overview';
import { actorOf, may } from '../roles';
import { recogniseCommand, type CommandName } from './commands';
import { foldText } from './parse';
import { commandButton, text } from './replies';
import { OVERVIEW_EXPORT_WORDS, OVERVIEW_LATEST_WORDS, OVERVIEW_STOP_WORDS } from './vocabulary';

/** What an overview command is handled against (loaded by the bot service for these commands only). */
export interface OverviewContext {
  /** This chat's binding, if it follows any unit. */
  binding?: OverviewBinding;
  /** Every chat's binding (read for 同意汇总 and 撤销汇总). */
  bindings: OverviewBinding[];
  /** The evaluations the units are looked up in. */
  evaluations: EvaluationRecord[];
}

/** What an overview command produced. */
export interface OverviewOutcome {
  replies: Reply[];
  /** Bindings to store (one with no units left is deleted). */
  bindings?: OverviewBinding[];
  /** Send the chat's table as an .xlsx after the replies: its rows and year. */
  export?: { rows: OverviewRow[]; year?: number };
}

/** True when a message is 汇总… or 同意汇总… (typed or pressed). */
export function isOverviewCommand(msg: Pick<InboundMessage, 'text' | 'action'>, verbatim: string): boolean {
  if (msg.action) return msg.action.type === 'command' && OVERVIEW_COMMANDS.has(msg.action.command);
  // Every message passes here: only one that mentions 汇总 is compared with the command words.
  if (!verbatim.includes('汇总')) return false;
  const name = recogniseCommand(verbatim)?.name;
  return name !== undefined && OVERVIEW_COMMANDS.has(name);
}

const OVERVIEW_COMMANDS = new Set<CommandName>(['overview', 'overviewConsent', 'overviewRevoke']);

/**
 * Handles 汇总 / 同意汇总. `evaluation` is the chat's own evaluation (for consent); `newId` makes consent codes.
 */
export function handleOverview(
  msg: InboundMessage,
  verbatim: string,
  ctx: OverviewContext,
  evaluation: EvaluationRecord | undefined,
  deps: { now: Date; newId: () => string },
): OverviewOutcome {
  const action = msg.action?.type === 'command' ? msg.action : undefined;
  const cmd = action ? { name: action.command, arg: action.arg ?? '' } : recogniseCommand(verbatim);
  if (!cmd) return { replies: [] };
  if (cmd.name === 'overviewConsent') return consent(msg, cmd.arg, ctx, evaluation, deps.now);
  if (cmd.name === 'overviewRevoke') return revoke(msg, ctx, evaluation, deps.now);
  return follow(msg, cmd.arg, ctx, deps);
}

/** 汇总 [year|最新] [units…] · 汇总 导出 · 汇总 取消 [units…]. */
function follow(msg: InboundMessage, verbatimArg: string, ctx: OverviewContext, deps: { now: Date; newId: () => string }): OverviewOutcome {
  const arg = foldText(verbatimArg).trim();
  const lower = arg.toLowerCase();
  const at = deps.now.toISOString();
  const current: OverviewBinding = ctx.binding ? structuredClone(ctx.binding) : { chatId: msg.chatId, units: [], updatedAt: at };

  if ((OVERVIEW_EXPORT_WORDS as readonly string[]).includes(lower)) {
    const rows = overviewOfBinding(ctx.binding, ctx.evaluations);
    if (!rows.length) return { replies: [text(O.nothingToExport)] };
    return { replies: [text(O.exported(rows.length))], export: { rows, ...(ctx.binding?.year ? { year: ctx.binding.year } : {}) } };
  }

  const stop = OVERVIEW_STOP_WORDS.find((w) => lower === w || lower.startsWith(`${w} `));
  if (stop) {
    const names = splitUnits(verbatimArg.trim().slice(stop.length));
    if (!names.length) {
      if (!ctx.binding) return { replies: [text(O.empty)] };
      return { replies: [text(O.removedAll)], bindings: [{ ...current, units: [], updatedAt: at }] };
    }
    const keys = new Set(names.map(unitKey));
    const removed = current.units.filter((u) => keys.has(unitKey(u.unit)));
    const replies: Reply[] = [];
    const missing = names.filter((n) => !removed.some((u) => unitKey(u.unit) === unitKey(n)));
    if (missing.length) replies.push(text(O.notFollowing(missing.join('、'))));
    if (!removed.length) return { replies };
    const next = { ...current, units: current.units.filter((u) => !keys.has(unitKey(u.unit))), updatedAt: at };
    replies.push(text(O.removed(removed.map((u) => u.unit).join('、'))));
    if (next.units.length) replies.push(tableCard(next, ctx.evaluations));
    return { replies, bindings: [next] };
  }

  // An optional year (or 最新) first, then unit names.
  let rest = verbatimArg.trim();
  let yearChange: number | null | undefined;
  const year = /^(\d{4})(?:年度?|年)?(?=\s|$)/.exec(foldText(rest));
  const latest = OVERVIEW_LATEST_WORDS.find((w) => foldText(rest).toLowerCase() === w || foldText(rest).toLowerCase().startsWith(`${w} `));
  if (year) {
    yearChange = Number(year[1]);
    rest = rest.slice(year[0].length).trim();
  } else if (latest) {
    yearChange = null;
    rest = rest.slice(latest.length).trim();
  }
  const names = splitUnits(rest);
  if (yearChange === undefined && !names.length) {
    return { replies: [ctx.binding?.units.length ? tableCard(ctx.binding, ctx.evaluations) : text(O.empty)] };
  }

  const replies: Reply[] = [];
  let changed = false;
  if (yearChange !== undefined && (current.year ?? null) !== yearChange) {
    if (yearChange === null) delete current.year;
    else current.year = yearChange;
    replies.push(text(yearChange === null ? O.yearLatest : O.yearSet(yearChange)));
    changed = true;
  }
  const unknown: string[] = [];
  const added: string[] = [];
  const asked: string[] = [];
  for (const name of names) {
    const latestRec = evaluationOfUnit(name, ctx.evaluations);
    if (!latestRec) {
      unknown.push(name);
      continue;
    }
    if (current.units.some((u) => unitKey(u.unit) === unitKey(name))) continue;
    // Someone who organises the unit's own evaluation consents by asking.
    const organiser = ctx.evaluations.some((r) => unitKey(r.unit) === unitKey(name) && r.organisers.includes(msg.userId));
    const entry: OverviewUnit = { unit: latestRec.unit, status: organiser ? 'approved' : 'pending', requestedBy: msg.userId, requestedAt: at };
    if (msg.userName) entry.requestedByName = msg.userName;
    if (organiser) {
      entry.approvedBy = msg.userId;
      entry.approvedAt = at;
      added.push(entry.unit);
    } else {
      entry.code = consentCode(deps.newId, [...ctx.bindings, current]);
      asked.push(entry.unit);
    }
    current.units.push(entry);
    changed = true;
  }
  if (unknown.length) replies.push(text(O.notFound(unknown.join('、'))));
  if (added.length) replies.push(text(O.added(added.join('、'))));
  if (asked.length) replies.push(text(O.askConsent(asked.join('、'))));
  if (current.units.length) replies.push(tableCard(current, ctx.evaluations));
  else if (!unknown.length) replies.push(text(O.empty));
  if (!changed) return { replies };
  current.updatedAt = at;
  return { replies, bindings: [current] };
}

/** 同意汇总 <code>, in the unit's own chat, by one of its organisers. */
function consent(msg: InboundMessage, verbatimArg: string, ctx: OverviewContext, evaluation: EvaluationRecord | undefined, now: Date): OverviewOutcome {
  const code = foldText(verbatimArg).trim().toUpperCase();
  if (!evaluation) return { replies: [text(O.consentNoEvaluation)] };
  const decision = may(evaluation, actorOf(msg), 'shareOverview');
  if (!decision.ok) return { replies: [text(decision.reason)] };
  if (!code) return { replies: [text(O.consentNeedsCode)] };
  const key = unitKey(evaluation.unit);
  const at = now.toISOString();
  const changed: OverviewBinding[] = [];
  const replies: Reply[] = [];
  for (const b of ctx.bindings) {
    const next = structuredClone(b);
    let hit = false;
    for (const u of next.units) {
      if (u.status !== 'pending' || u.code !== code || unitKey(u.unit) !== key) continue;
      u.status = 'approved';
      u.approvedBy = msg.userId;
      u.approvedAt = at;
      delete u.code;
      hit = true;
      replies.push(text(O.consented(u.unit, u.requestedByName ?? O.someone)));
    }
    if (hit) {
      next.updatedAt = at;
      changed.push(next);
    }
  }
  if (!changed.length) return { replies: [text(O.consentUnknown(code, evaluation.unit))] };
  return { replies, bindings: changed };
}

/**
 * 撤销汇总, in the unit's own chat, by one of its organisers: every chat's request for the unit and every
 * consent an organiser of it gave are withdrawn (the admin's bindings stay: the admin undoes those).
 */
function revoke(msg: InboundMessage, ctx: OverviewContext, evaluation: EvaluationRecord | undefined, now: Date): OverviewOutcome {
  if (!evaluation) return { replies: [text(O.revokeNoEvaluation)] };
  const decision = may(evaluation, actorOf(msg), 'shareOverview');
  if (!decision.ok) return { replies: [text(decision.reason)] };
  const key = unitKey(evaluation.unit);
  const at = now.toISOString();
  const withdrawn = (u: OverviewUnit) =>
    unitKey(u.unit) === key && !u.byAdmin && (u.status === 'pending' || (u.approvedBy !== undefined && evaluation.organisers.includes(u.approvedBy)));
  const changed = ctx.bindings.filter((b) => b.units.some(withdrawn)).map((b) => ({ ...structuredClone(b), units: b.units.filter((u) => !withdrawn(u)), updatedAt: at }));
  const kept = ctx.bindings.filter((b) => b.units.some((u) => unitKey(u.unit) === key && u.byAdmin)).length;
  return { replies: [text(O.revoked(evaluation.unit, changed.length, kept))], ...(changed.length ? { bindings: changed } : {}) };
}

/** Letters and digits that cannot be mistaken for each other (no O/0, I/1/L). */
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** A six-character code, from a fresh id, that no pending request uses yet. */
function consentCode(newId: () => string, bindings: OverviewBinding[]): string {
  const used = new Set(bindings.flatMap((b) => b.units.map((u) => u.code).filter(Boolean)));
  for (;;) {
    // FNV-1a over the id, spread over the alphabet: six characters whatever the id's length.
    let h = 0x811c9dc5;
    for (const ch of newId()) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    let code = '';
    for (let i = 0; i < 6; i++) {
      code += CODE_ALPHABET[h % CODE_ALPHABET.length];
      h = Math.imul(h ^ (i + 1), 0x01000193) >>> 0;
    }
    if (!used.has(code)) return code;
  }
}

/** The chat's table: approved units with their figures, sorted; units waiting for consent below. */
export function tableCard(binding: OverviewBinding, evaluations: readonly EvaluationRecord[]): Reply {
  const rows = overviewOfBinding(binding, evaluations);
  const lines = rows.map((r, i) => rowText(i + 1, r, binding.year));
  if (rows.length > 1) lines.push(O.sortNote);
  const pending = binding.units.filter((u) => u.status === 'pending');
  if (pending.length) lines.push(O.pendingTitle, ...pending.map((u) => O.pending(u.unit, u.code ?? '')));
  return {
    kind: 'card',
    title: O.title(binding.year),
    text: lines.join('\n'),
    ...(rows.length ? { buttons: [commandButton(O.exportButton, 'overview', OVERVIEW_EXPORT_WORDS[1])] } : {}),
  };
}

/** One row in words. */
export function rowText(rank: number, r: OverviewRow, year?: number): string {
  if (r.status === 'none' || r.year === null) return O.rowNone(rank, r.unit, year);
  if (r.status === 'error' || !r.completion) return O.rowError(rank, r.unit, r.year);
  const percent = formatScore(Math.round(completionRatio(r) * 1000) / 10);
  return O.row(rank, r.unit, r.year, r.completion.scored, r.completion.applicable, percent, formatScore(r.total ?? 0), r.grade);
}
