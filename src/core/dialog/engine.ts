/**
 * The dialog engine: (inbound message, stored state) → replies and the new state. It knows no
 * platform and does no I/O: the bot service loads the state, calls `handleMessage`, stores what
 * changed and then sends the replies (building the report when the outcome asks for it).
 *
 * Commands are handled before the current question; a bad answer gets a reason and the same
 * question again; every recorded answer is scored at once and the affected scores are shown.
 */
import type { Button, InboundMessage, PressFeedback, Reply } from '../messages';
import { formatScore } from '../decimal';
import type { AuditEntry, EvaluationRecord, SessionState } from '../evaluation';
import type { Framework, Indicator } from '../framework/load';
import { inPartialRange, partialRange, type FrameworkInput } from '../framework/schema';
import { resolveFramework } from '../framework/resolve';
import { dialogText as T, partialCreditText as PT, readingText as R, roleText as RT } from '../locale/zh-CN';
import type { Bounds, Rule } from '../framework/schema';
import { cellHolding, metricCells, metricReaders, readersUnsettledWithin } from '../scoring/conclusions';
import { breakpointsOf, describeBounds, describePartialRange } from '../scoring/rules';
import { CONCLUSION_MET, CONCLUSION_NOT_MET, NEGATIONS, NONE_WORDS, PARTIAL_WORDS } from './vocabulary';
import { readQuantity } from './quantity';
import { longestCommon, readYesNo } from './yesno';
import type { Answers, BonusAward, KeyTask, Penalty } from '../scoring/answers';
import { instantiate, measureLabel, ownMeasureKey, scoreEvaluation } from '../scoring/engine';
import { gradeStatus, itemCounts } from '../scoring/summary';
import type { IndicatorScore, ScoreResult } from '../scoring/types';
import { rangeProblem } from '../scoring/validate';
import { COMMAND_WORDS, isSetRoleArgument, recogniseCommand, type CommandName } from './commands';
import { actorOf, assigneesOf, commandAction, may, mayReach, nameOf, organiserNames as namesOfOrganisers, roleOf, type Action, type Actor, type Decision, type Role } from '../roles';
import {
  cleanText,
  foldText,
  hasWords,
  parseChoice,
  parseChoices,
  parseCount,
  parseDate,
  parseKeyTaskLines,
  parseScore,
  quote,
} from './parse';
import { handleWithoutEvaluation } from './create';
import { compareView, deductionsView, lastYearOf, progressView, scoreView } from './glance';
import { handleOverview, type OverviewContext } from './overview';
import type { OverviewBinding, OverviewRow } from '../overview';
import { overviewText } from '../locale/zh-CN';
import { REPORT_DATE_RESET_WORDS, ROLE_WORDS, STRICT_ASSIGNMENT_WORDS } from './vocabulary';
import { applyReminderCommand, describeReminders, parseReminderCommand, type WorkCalendar } from '../reminders';
import { reminderSettingsOf } from '../evaluation';
import { reminderText as RemT } from '../locale/zh-CN';
import { DEFAULT_WORKBOOK_LIMITS } from '../import/limits';
import { commandButton, evaluationTitle, text } from './replies';
import { buildPlan, canonicalName, findIndicator, findQuestion, indicatorChain, partialExampleScore, SECTION_ADJUSTMENTS, SECTION_REPORT, type Question } from './plan';

/** Bumped when SessionState changes shape; older sessions are dropped (answers are kept, only places reset). */
export const SESSION_VERSION = 1;
/** Longest message taken as an answer (narratives included). */
export const MAX_TEXT_CHARS = 20_000;
/** Failed attempts before the bot offers 跳过 and 帮助. */
export const MAX_FAILURES = 3;
/**
 * A question shown to someone stays theirs while they are active on it: released when they have done
 * nothing with it for this long (default; `DialogDeps.holdIdleMs` changes it), and at once when they move on.
 */
export const HOLD_IDLE_MS = 10 * 60 * 1000;

/** What the engine needs besides the message and the state. */
export interface DialogDeps {
  now: Date;
  newId: () => string;
  /**
   * The state is the caller's own copy (the store hands out copies): change it in place instead of
   * cloning it first. Without this the engine never changes the objects it is given.
   */
  inPlace?: boolean;
  /** Official working days, for what 提醒 says (absent: no calendar warning). */
  calendar?: WorkCalendar;
  /** How long a shown question stays its asker's while they do nothing with it (default HOLD_IDLE_MS). */
  holdIdleMs?: number;
}

/** The state a message is handled against. The engine changes copies, never these objects. */
export interface DialogState {
  evaluation?: EvaluationRecord;
  /** The sender's 新建自评 draft in this chat, when creating step by step. */
  chatDraft?: Record<string, unknown>;
  /** Frameworks 新建自评 may use besides the built-in ones (imported and confirmed). */
  frameworks?: FrameworkChoice[];
  /** The evaluation's scores and plan from the last message, reused when its revision has not changed. */
  scored?: Scored;
  /**
   * Other evaluations the message may read: 对比 and 新建自评 take last year's evaluation of the same unit
   * from them (see glance.ts `lastYearOf`). The bot loads them only for those commands.
   */
  others?: EvaluationRecord[];
  /**
   * For 汇总 / 同意汇总 only (the bureau overview): the chat's binding, the bindings waiting for consent
   * and the evaluations, loaded by the bot service. With it the message is an overview command.
   */
  overview?: OverviewContext;
}

/** Scores and question plan of an evaluation at one revision. */
export interface Scored {
  revision: number;
  result: ScoreResult;
  plan: Question[];
}

/** A framework one can create an evaluation with; imported ones travel with their evaluation. */
export interface FrameworkChoice {
  id: string;
  name: string;
  input: FrameworkInput;
}

export interface DialogOutcome {
  replies: Reply[];
  /** The evaluation after the message, when it changed. */
  evaluation?: EvaluationRecord;
  /** The audit entries of the change to `evaluation` or of `created`, to store with it. */
  audit?: AuditEntry[];
  /** A new evaluation to create and bind to the chat. */
  created?: EvaluationRecord;
  /** The sender's chat draft after the message: an object to keep, null to delete, undefined if unchanged. */
  chatDraft?: Record<string, unknown> | null;
  /** Build the report and send it after these replies. */
  report?: boolean;
  /** The scores and plan of the evaluation as it now stands (for `DialogState.scored` next time). */
  scored?: Omit<Scored, 'revision'>;
  /** For a pressed button or a submitted card form: what the presser should see on the card. */
  pressed?: PressFeedback;
  /** 汇总 / 同意汇总: overview bindings to store (one with no units left is deleted). */
  overviewBindings?: OverviewBinding[];
  /** 汇总 导出: send the overview's rows as an .xlsx after the replies. */
  overviewExport?: { rows: OverviewRow[]; year?: number };
}

/** Everything one message's handling works with. */
interface Turn {
  msg: InboundMessage;
  deps: DialogDeps;
  rec: EvaluationRecord;
  framework: Framework;
  session: SessionState;
  result: ScoreResult;
  plan: Question[];
  replies: Reply[];
  /** Audit entries of this message's changes. */
  audit: AuditEntry[];
  changed: boolean;
  report: boolean;
  pressed?: PressFeedback;
  /** DialogState.others: for 对比. */
  others?: EvaluationRecord[];
}



/** Handles one inbound message. Pure: the same message and state give the same outcome. */
export function handleMessage(msg: InboundMessage, state: DialogState, deps: DialogDeps): DialogOutcome {
  const raw = msg.text ?? '';
  if (msg.unsupported !== undefined && !msg.text && !msg.action) {
    // A file is most likely a framework sheet: say where it can be uploaded, and within which limits.
    if (msg.unsupported === T.fileKind) return { replies: [text(T.unsupportedFile(DEFAULT_WORKBOOK_LIMITS.maxRows, DEFAULT_WORKBOOK_LIMITS.maxColumns))] };
    return { replies: [text(T.unsupportedContent(msg.unsupported))] };
  }
  if ([...raw].length > MAX_TEXT_CHARS) return { replies: [text(T.tooLong(MAX_TEXT_CHARS))] };
  // What was written (stored as is) and its recognising form, index for index.
  const verbatim = cleanText(raw);
  const body = foldText(verbatim);
  const action = msg.action;
  if (state.overview) {
    // The bureau overview reads figures only; it never changes an evaluation.
    const o = handleOverview(msg, verbatim, state.overview, state.evaluation, deps);
    return { replies: o.replies, ...(o.bindings ? { overviewBindings: o.bindings } : {}), ...(o.export ? { overviewExport: o.export } : {}) };
  }
  if (!state.evaluation) return handleWithoutEvaluation(msg, verbatim, state.chatDraft, deps, state.frameworks ?? [], state.others ?? []);
  // A message from a chat the evaluation is not bound to, or from someone outside it in a private chat,
  // neither reads nor changes it (checked before the sender is added to its members).
  const reach = mayReach(state.evaluation, actorOf(msg));
  if (!reach.ok) {
    const out: DialogOutcome = { replies: [text(reach.reason)] };
    if (action) out.pressed = { ok: false, toast: reach.reason };
    return out;
  }

  const rec = deps.inPlace ? state.evaluation : structuredClone(state.evaluation);
  const framework = resolveFramework(rec.frameworkId, rec.framework);
  const turn = openTurn(msg, deps, rec, framework, state.scored);
  if (state.others) turn.others = state.others;

  if (action) {
    if (action.type === 'answer') answerByKey(turn, action.key, action.value ?? '', action.stamp);
    else runCommand(turn, action.command, action.arg ?? '');
  } else if (!body) {
    turn.replies.push(text(T.emptyMessage));
  } else {
    const draft = turn.session.draft;
    const cmd = recogniseCommand(verbatim);
    // "设置…" that names no role is an answer ("设置 专门机构") when a question is open.
    const setAnswer = cmd?.name === 'setRole' && !!cmd.arg && !isSetRoleArgument(foldText(cmd.arg)) && !!turn.session.current;
    if (draft && draft.kind === 'collect' && (!cmd || setAnswer)) continueCollecting(turn, verbatim);
    else if (cmd && !setAnswer) runCommand(turn, cmd.name, cmd.arg);
    else if (turn.session.current) answerCurrent(turn, verbatim);
    else turn.replies.push(shortHelp());
  }
  return closeTurn(turn);
}

function openTurn(msg: InboundMessage, deps: DialogDeps, rec: EvaluationRecord, framework: Framework, scored?: Scored): Turn {
  let changed = false;
  const name = msg.userName?.trim();
  const member = rec.members[msg.userId];
  if (!member || (name && member.name !== name)) {
    rec.members[msg.userId] = name ? { name } : {};
    changed = true;
    // An assignment or a role given by name before this person spoke now gets their id.
    if (name) {
      const byName = `name:${name}`;
      const rebind = (ids: string[]) => (ids.includes(byName) ? [...new Set(ids.map((x) => (x === byName ? msg.userId : x)))] : ids);
      for (const [section, ids] of Object.entries(rec.assignments)) rec.assignments[section] = rebind(ids);
      rec.organisers = rebind(rec.organisers);
      if (rec.leaders) rec.leaders = rebind(rec.leaders);
    }
  }
  let session = rec.sessions[msg.userId];
  if (!session || session.version !== SESSION_VERSION) {
    session = { version: SESSION_VERSION, userId: msg.userId, skipped: [], history: [], failures: 0, updatedAt: deps.now.toISOString() };
    if (name) session.userName = name;
    rec.sessions[msg.userId] = session;
    changed = true;
  }
  // Every change to the answers rescores, so scores kept at this revision are still the answers' scores.
  const fresh = scored && scored.revision === rec.revision;
  // A stale result still saves work: its entries whose inputs are unchanged are reused.
  const result = fresh ? scored.result : scoreEvaluation(framework, rec.answers, scored?.result);
  const plan = fresh ? scored.plan : buildPlan(framework, rec.answers, result);
  return { msg, deps, rec, framework, session, result, plan, replies: [], audit: [], changed, report: false };
}

function closeTurn(turn: Turn): DialogOutcome {
  const out: DialogOutcome = { replies: turn.replies, scored: { result: turn.result, plan: turn.plan } };
  if (turn.changed) {
    turn.session.updatedAt = turn.deps.now.toISOString();
    turn.rec.updatedAt = turn.deps.now.toISOString();
    out.evaluation = turn.rec;
    if (turn.audit.length) out.audit = turn.audit;
  }
  if (turn.report) out.report = true;
  if (turn.pressed) out.pressed = turn.pressed;
  return out;
}

function isOrganiser(turn: Turn): boolean {
  return roleOf(turn.rec, turn.msg.userId) === 'organiser';
}

/** Who sent the message, and from where, as the roles policy sees it. */
/** Asks the roles policy; on a refusal, says so (and on the pressed card) and returns false. */
function allowed(turn: Turn, action: Action, q?: Question): boolean {
  const d: Decision = may(turn.rec, actorOf(turn.msg), action, q && { sections: q.sections, ...(q.organiserOnly ? { organiserOnly: true } : {}) });
  if (d.ok) return true;
  turn.replies.push(text(d.reason));
  if (turn.msg.action) turn.pressed = { ok: false, toast: d.reason };
  return false;
}

/** Whether the sender may answer this question (no reply). */
function mayAnswer(turn: Turn, q: Question): boolean {
  return may(turn.rec, actorOf(turn.msg), 'answer', { sections: q.sections, ...(q.organiserOnly ? { organiserOnly: true } : {}) }).ok;
}

/** Re-scores after a change and rebuilds the plan. */
function rescore(turn: Turn): ScoreResult {
  const prev = turn.result;
  turn.result = scoreEvaluation(turn.framework, turn.rec.answers, prev);
  turn.plan = buildPlan(turn.framework, turn.rec.answers, turn.result);
  turn.changed = true;
  return prev;
}

function audit(turn: Turn, path: string, oldValue: unknown, newValue: unknown): void {
  const entry: AuditEntry = { at: turn.deps.now.toISOString(), userId: turn.msg.userId, path };
  if (turn.msg.userName) entry.userName = turn.msg.userName;
  if (oldValue !== undefined) entry.old = oldValue;
  if (newValue !== undefined) entry.new = newValue;
  turn.audit.push(entry);
}

// ---------------------------------------------------------------------------------------------
// Commands

/** `verbatimArg` as written; lookups use its recognising form, stored text (a reason) the verbatim one. */
function runCommand(turn: Turn, name: CommandName, verbatimArg: string): void {
  const arg = foldText(verbatimArg);
  if (!allowed(turn, commandAction(name, arg))) return;
  switch (name) {
    case 'start':
      turn.session.draft = undefined;
      askNext(turn, true);
      return;
    case 'skip':
      skip(turn);
      return;
    case 'back':
      back(turn);
      return;
    case 'edit':
      edit(turn, arg);
      return;
    case 'progress':
      turn.replies.push(
        progressView({ rec: turn.rec, framework: turn.framework, result: turn.result, plan: turn.plan, organiser: isOrganiser(turn), ...(turn.msg.organiserNotes ? { organiserNotes: turn.msg.organiserNotes } : {}) }),
      );
      return;
    case 'score':
      turn.replies.push(scoreView(turn.result));
      return;
    case 'deductions':
      turn.replies.push(deductionsView(turn.result));
      return;
    case 'compare':
      turn.replies.push(compareView(turn.rec, turn.result, lastYearOf(turn.others ?? [], turn.rec.unit, turn.rec.year, turn.rec.organisers, turn.rec.id)));
      return;
    case 'report':
      turn.replies.push(text(T.reportBuilding(gradeStatus(turn.result).final ? undefined : itemCounts(turn.result).missing)));
      turn.report = true;
      return;
    case 'help':
      turn.replies.push(helpCard(roleOf(turn.rec, turn.msg.userId)));
      return;
    case 'cancel':
      cancel(turn);
      return;
    case 'create':
      turn.replies.push(text(T.alreadyBound(evaluationTitle(turn.rec))));
      return;
    case 'assign':
      assign(turn, arg);
      return;
    case 'deadline':
      setDeadline(turn, arg);
      return;
    case 'reportDate':
      setReportDate(turn, arg);
      return;
    case 'reminders':
      setReminders(turn, verbatimArg);
      return;
    case 'keyTasks': {
      const q = turn.plan.find((x) => x.kind === 'keyTasks' && (!arg || x.label.includes(arg) || x.target === arg));
      if (!q) turn.replies.push(text(T.noKeyTaskSlot));
      else ask(turn, q);
      return;
    }
    case 'setRole':
      setRole(turn, arg);
      return;
    case 'notApplicable':
      markNotApplicable(turn, verbatimArg);
      return;
    case 'applicable':
      markApplicable(turn, arg);
      return;
    case 'unconfirm':
      unconfirmCheck(turn, arg);
      return;
    case 'overview':
    case 'overviewConsent':
    case 'overviewRevoke':
      // Handled with `DialogState.overview`, which the bot service loads for these commands.
      turn.replies.push(text(overviewText.empty));
      return;
    case 'switch':
      // In a private chat the bot service handles it before the engine; a group stays with its evaluation.
      turn.replies.push(text(T.switchOnlyInPrivate));
      return;
  }
}

function organiserNames(turn: Turn): string {
  return namesOfOrganisers(turn.rec);
}

function cancel(turn: Turn): void {
  const s = turn.session;
  if (!s.current && !s.draft) {
    turn.replies.push(text(T.nothingToCancel));
    return;
  }
  clearCurrent(s);
  s.draft = undefined;
  s.failures = 0;
  turn.changed = true;
  turn.replies.push({ kind: 'card', title: T.cancelledTitle, text: T.cancelled, buttons: [commandButton(T.continueButton, 'start')] });
}

function skip(turn: Turn): void {
  const s = turn.session;
  if (!s.current) {
    turn.replies.push(text(T.nothingToSkip));
    return;
  }
  const q = turn.plan.find((x) => x.key === s.current);
  const label = q?.label ?? s.current;
  clearCurrent(s);
  s.draft = undefined;
  s.failures = 0;
  turn.changed = true;
  if (q?.answered) {
    // Leaving a question one came back to edit: its answer stays as it was, and it is not skipped.
    turn.replies.push(text(T.editLeft(label, currentValue(turn, q))));
  } else {
    if (!s.skipped.includes(q?.key ?? label)) s.skipped.push(q?.key ?? label);
    turn.replies.push(text(T.skipped(label)));
  }
  askNext(turn, false);
}

function back(turn: Turn): void {
  const s = turn.session;
  // The last question asked before the current one.
  const history = s.history.filter((k) => k !== s.current);
  const prevKey = history[history.length - 1];
  const q = prevKey && (turn.plan.find((x) => x.key === prevKey) ?? findQuestion(turn.framework, turn.plan, turn.rec.answers, prevKey));
  if (!q || Array.isArray(q)) {
    turn.replies.push(text(T.noPrevious));
    return;
  }
  // Going back removes the current question from the trail, so 上一题 twice goes two back.
  s.history = history.slice(0, -1);
  ask(turn, q);
}

/** Most choices a 修改 list offers as buttons. */
const MAX_EDIT_CHOICES = 12;

function edit(turn: Turn, arg: string): void {
  if (!arg) {
    turn.replies.push(text(T.editWhat));
    return;
  }
  // An indicator marked not applicable (or under one that is) is brought back before it is asked.
  const ind = findIndicator(turn.framework, turn.rec.answers, arg);
  if (ind && markedChain(turn, ind).length) {
    if (!allowed(turn, 'markApplicability')) return;
    restoreApplicable(turn, ind, false);
  }
  // A level-1 indicator: choose one of its level-2 indicators first.
  if (ind && ind.level === 1 && ind.children.length > 1 && !ind.keyTasks) {
    turn.replies.push({
      kind: 'card',
      title: T.editWhichTitle,
      text: T.editWhich(ind.name),
      buttons: ind.children.map((c) => commandButton(c.name, 'edit', c.code)),
    });
    return;
  }
  const found = findQuestion(turn.framework, turn.plan, turn.rec.answers, arg);
  if (!found) {
    turn.replies.push(text(ind ? T.editNothingToAsk(ind.name) : T.editNotFound(quote(arg))));
    return;
  }
  if (Array.isArray(found)) {
    const shown = found.slice(0, MAX_EDIT_CHOICES);
    turn.replies.push({
      kind: 'card',
      title: T.editWhichTitle,
      text:
        found.length > shown.length
          ? T.editWhichMore(ind?.name ?? quote(arg), found.length, shown.length)
          : ind && !ind.children.length
            ? T.editInputs(ind.name)
            : T.editWhich(ind?.name ?? quote(arg)),
      buttons: shown.map((q) => commandButton(q.label, 'edit', q.key)),
    });
    return;
  }
  if (!allowed(turn, 'answer', found)) return;
  ask(turn, found);
}

/** The indicator and its ancestors that carry a not-applicable mark. */
function markedChain(turn: Turn, ind: Indicator): Indicator[] {
  const na = turn.rec.answers.notApplicable ?? {};
  return indicatorChain(turn.framework, turn.rec.answers, ind.code).filter((i) => na[i.code] !== undefined);
}

/**
 * Removes the not-applicable marks that keep an indicator out (its own and its ancestors'; with
 * `below`, those of the indicators under it too), re-scores, and says what came back and what
 * changed. Returns whether anything was marked.
 */
function restoreApplicable(turn: Turn, ind: Indicator, below: boolean): boolean {
  const na = turn.rec.answers.notApplicable ?? {};
  const marked = markedChain(turn, ind);
  if (below) {
    const visit = (i: Indicator) => {
      if (i !== ind && na[i.code] !== undefined) marked.push(i);
      i.children.forEach(visit);
    };
    visit(ind);
  }
  if (!marked.length) return false;
  for (const i of marked) {
    audit(turn, `notApplicable.${i.code}`, na[i.code], undefined);
    delete na[i.code];
  }
  const prev = rescore(turn);
  const lines = [T.restoredApplicable(marked.map((i) => i.name), formatScore(turn.result.applicablePoints), formatScore(turn.result.basePoints))];
  lines.push(...scoreChanges(prev, turn.result));
  turn.replies.push(text(lines.join('\n')));
  return true;
}

/** 撤销确认 [check]: withdraws a 确认无误, so the check is asked again while it fails. */
function unconfirmCheck(turn: Turn, arg: string): void {
  const confirmed = turn.rec.answers.confirmedChecks ?? [];
  const checks = turn.framework.checks.filter((c) => confirmed.includes(c.key));
  if (!checks.length) {
    turn.replies.push(text(T.nothingConfirmed));
    return;
  }
  const n = canonicalName(arg);
  const hits = n ? checks.filter((c) => c.key === arg.trim() || canonicalName(c.label) === n) : checks;
  if (hits.length !== 1) {
    turn.replies.push({ kind: 'card', title: T.editWhichTitle, text: T.unconfirmWhich, buttons: checks.map((c) => commandButton(c.label, 'unconfirm', c.key)) });
    return;
  }
  const check = hits[0]!;
  const next = confirmed.filter((k) => k !== check.key);
  audit(turn, 'confirmedChecks', [...confirmed], next);
  turn.rec.answers.confirmedChecks = next;
  rescore(turn);
  turn.replies.push(text(T.unconfirmed(check.label)));
  const q = turn.plan.find((x) => x.key === `check:${check.key}`);
  if (q) ask(turn, q);
  else turn.replies.push(text(T.checkNowHolds(check.label)));
}

/** 适用 <code or name>: undoes 不适用, then asks the indicator's first question. */
function markApplicable(turn: Turn, arg: string): void {
  if (!arg.trim()) {
    turn.replies.push(text(T.applicableUsage));
    return;
  }
  const ind = findIndicator(turn.framework, turn.rec.answers, arg);
  if (!ind) {
    turn.replies.push(text(T.editNotFound(quote(arg))));
    return;
  }
  if (!restoreApplicable(turn, ind, true)) {
    turn.replies.push(text(T.alreadyApplicable(ind.name)));
    return;
  }
  const found = findQuestion(turn.framework, turn.plan, turn.rec.answers, ind.code);
  const q = Array.isArray(found) ? found.find((x) => !x.answered) : found;
  if (q) ask(turn, q);
}

/**
 * The people an organiser's command names: platform mentions (with their names) and "@name" written in
 * the text (a member's id, or `name:…` until that person speaks). Returns them and the text without them.
 */
function resolveMentions(turn: Turn, arg: string): { ids: Set<string>; rest: string } {
  const mentionNames = [...arg.matchAll(/@([^\s@]+)/g)].map((m) => m[1]!);
  const rest = arg.replace(/@[^\s@]+/g, '').trim();
  const ids = new Set<string>();
  for (const m of turn.msg.mentions ?? []) {
    ids.add(m.userId);
    // A platform mention names the person: shown by name before they have spoken themselves.
    if (m.name && !turn.rec.members[m.userId]?.name) turn.rec.members[m.userId] = { name: m.name };
  }
  for (const n of mentionNames) {
    const known = Object.entries(turn.rec.members).find(([id, v]) => v.name === n || id === n);
    const platformMention = (turn.msg.mentions ?? []).find((m) => m.name === n);
    if (platformMention) continue;
    ids.add(known ? known[0] : `name:${n}`);
  }
  return { ids, rest };
}

/** Mentions of these people (those known by id), for a reply. */
function mentionsOf(turn: Turn, ids: readonly string[]): Array<{ userId: string; name?: string }> {
  return ids.filter((id) => !id.startsWith('name:')).map((userId) => ({ userId, ...(turn.rec.members[userId]?.name ? { name: turn.rec.members[userId]!.name! } : {}) }));
}

/**
 * 设置 组织者/领导/成员 @某人 (audited as `organisers` and `leaders`; a person has one role), and
 * 设置 严格分配 / 自由分配 (audited as `strictAssignments`).
 */
function setRole(turn: Turn, arg: string): void {
  const a = arg.trim();
  const rec = turn.rec;
  const strict = (Object.entries(STRICT_ASSIGNMENT_WORDS) as Array<['on' | 'off', readonly string[]]>).find(([, words]) => words.some((w) => a.startsWith(w)));
  if (strict) {
    const on = strict[0] === 'on';
    if (!!rec.strictAssignments === on) {
      turn.replies.push(text(RT.strictAlready(on)));
      return;
    }
    audit(turn, 'strictAssignments', rec.strictAssignments, on);
    if (on) rec.strictAssignments = true;
    else delete rec.strictAssignments;
    turn.changed = true;
    turn.replies.push(text(on ? RT.strictOn : RT.strictOff));
    return;
  }
  const roleWord = (Object.entries(ROLE_WORDS) as Array<[Role, readonly string[]]>)
    .flatMap(([role, words]) => words.map((w) => [role, w] as const))
    .sort((x, y) => y[1].length - x[1].length)
    .find(([, w]) => a.startsWith(w));
  const { ids } = roleWord ? resolveMentions(turn, a.slice(roleWord[1].length)) : { ids: new Set<string>() };
  if (!roleWord || !ids.size) {
    turn.replies.push(text(RT.setUsage));
    return;
  }
  const role = roleWord[0];
  const people = [...ids];
  const organisers = role === 'organiser' ? [...new Set([...rec.organisers, ...people])] : rec.organisers.filter((id) => !ids.has(id));
  const leaders = role === 'leader' ? [...new Set([...(rec.leaders ?? []), ...people])] : (rec.leaders ?? []).filter((id) => !ids.has(id));
  if (!organisers.length) {
    turn.replies.push(text(RT.lastOrganiser(organiserNames(turn))));
    return;
  }
  if (organisers.join('\u0000') !== rec.organisers.join('\u0000')) {
    audit(turn, 'organisers', rec.organisers, organisers);
    rec.organisers = organisers;
  }
  if (leaders.join('\u0000') !== (rec.leaders ?? []).join('\u0000')) {
    audit(turn, 'leaders', rec.leaders, leaders);
    if (leaders.length) rec.leaders = leaders;
    else delete rec.leaders;
  }
  turn.changed = true;
  const leaderNames = (rec.leaders ?? []).map((id) => nameOf(rec, id)).join('、');
  turn.replies.push({
    kind: 'text',
    text: `${RT.rolesSet(RT.roleNames[role], people.map((id) => nameOf(rec, id)).join('、'))}${RT.rolesNow(organiserNames(turn), leaderNames || undefined)}`,
    mentions: mentionsOf(turn, people),
  });
}

function assign(turn: Turn, arg: string): void {
  // 分配 <section> @someone [@someone…]
  const { ids, rest: sectionName } = resolveMentions(turn, arg);
  const section = resolveSection(turn, sectionName);
  if (!sectionName || !ids.size) {
    turn.replies.push(text(T.assignUsage));
    return;
  }
  if (!section) {
    turn.replies.push(text(T.unknownSection(quote(sectionName), sectionNames(turn))));
    return;
  }
  const old = turn.rec.assignments[section.code] ?? [];
  const next = [...new Set([...old, ...ids])];
  turn.rec.assignments[section.code] = next;
  audit(turn, `assignments.${section.code}`, old, next);
  turn.changed = true;
  const who = next.map((id) => displayName(turn, id)).join('、');
  const owed = turn.plan.filter((q) => !q.answered && q.sections.includes(section.code)).length;
  turn.replies.push({
    kind: 'text',
    text: T.assigned(section.name, who, owed),
    mentions: mentionsOf(turn, next),
  });
}

function displayName(turn: Turn, id: string): string {
  if (id.startsWith('name:')) return id.slice(5);
  return turn.rec.members[id]?.name ?? id;
}

/** A section by code or name: a level-1 or level-2 indicator, 加减分项, or 报告. */
function resolveSection(turn: Turn, name: string): { code: string; name: string } | undefined {
  const n = name.trim();
  if (!n) return undefined;
  if (/^(报告|报告正文|文字部分)$/.test(n)) return { code: SECTION_REPORT, name: T.reportSection };
  if (/^(加减分|加减分项|加分项|减分项)$/.test(n)) return { code: SECTION_ADJUSTMENTS, name: turn.framework.adjustmentsName ?? T.adjustments };
  const candidates = [...turn.framework.byCode.values()].filter((i) => i.level <= 2);
  const hit =
    candidates.find((i) => i.code.toUpperCase() === n.toUpperCase()) ??
    candidates.find((i) => i.name === n) ??
    (candidates.filter((i) => i.name.includes(n)).length === 1 ? candidates.find((i) => i.name.includes(n)) : undefined);
  return hit && { code: hit.code, name: hit.name };
}

function sectionNames(turn: Turn): string {
  return [...turn.framework.indicators.map((i) => i.name), T.adjustments, T.reportSection].join('、');
}

function setDeadline(turn: Turn, arg: string): void {
  const d = parseDate(arg, turn.rec.year + 1);
  if (!d.ok) {
    turn.replies.push(text(`${d.error}${T.deadlineUsage}`));
    return;
  }
  audit(turn, 'deadline', turn.rec.deadline, d.value);
  turn.rec.deadline = d.value;
  turn.changed = true;
  turn.replies.push(text(T.deadlineSet(d.value)));
}

/** 落款 <date>: the date on the report's cover (audited); 落款 默认 clears it; 落款 alone says what it is. */
function setReportDate(turn: Turn, arg: string): void {
  const a = arg.trim();
  if (!a) {
    turn.replies.push(text(T.reportDateIs(turn.rec.reportDate)));
    return;
  }
  if ((REPORT_DATE_RESET_WORDS as readonly string[]).includes(a)) {
    if (turn.rec.reportDate !== undefined) {
      audit(turn, 'reportDate', turn.rec.reportDate, undefined);
      delete turn.rec.reportDate;
      turn.changed = true;
    }
    turn.replies.push(text(T.reportDateCleared));
    return;
  }
  // A day without a year ("3月31日") is in the year after the evaluated one, when reports are written.
  const d = parseDate(a, turn.rec.year + 1);
  const error = !d.ok ? d.error : d.rest ? T.notADate(a) : d.value < `${turn.rec.year}-01-01` ? T.reportDateBeforeYear(d.value, turn.rec.year) : undefined;
  if (error || !d.ok) {
    turn.replies.push(text(`${error}${T.reportDateUsage}`));
    return;
  }
  audit(turn, 'reportDate', turn.rec.reportDate, d.value);
  turn.rec.reportDate = d.value;
  turn.changed = true;
  turn.replies.push(text(T.reportDateSet(d.value)));
}

/** 提醒 [设置]: the reminders in force, or a change to them (audited as `reminders`). */
function setReminders(turn: Turn, verbatimArg: string): void {
  const cmd = parseReminderCommand(verbatimArg);
  if (cmd.kind === 'error') {
    turn.replies.push(text(cmd.message));
    return;
  }
  if (cmd.kind === 'view') {
    turn.replies.push(text(describeReminders(turn.rec, turn.deps.now, turn.deps.calendar)));
    return;
  }
  const old = reminderSettingsOf(turn.rec);
  const next = applyReminderCommand(old, cmd)!;
  if (cmd.kind === 'pause' && old.paused) return void turn.replies.push(text(RemT.alreadyPaused));
  if (cmd.kind === 'resume' && !old.paused) return void turn.replies.push(text(RemT.alreadyOn));
  audit(turn, 'reminders', turn.rec.reminders, next);
  turn.rec.reminders = next;
  turn.changed = true;
  const reply =
    cmd.kind === 'schedule' ? RemT.scheduleSet(RemT.days(next.days), next.time)
    : cmd.kind === 'nudges' ? RemT.nudgesSet(next.nudges.length ? next.nudges.map((n) => RemT.nudge(n)).join('、') : '无')
    : cmd.kind === 'pause' ? RemT.paused
    : cmd.kind === 'resume' ? RemT.resumed
    : RemT.urgentSet(next.urgentLastDay);
  turn.replies.push(text(reply));
}

function markNotApplicable(turn: Turn, verbatimArg: string): void {
  // The code or name is recognised in the folded form; the reason is kept as written.
  const m = /^(\S+)\s*/.exec(foldText(verbatimArg));
  if (!m) {
    turn.replies.push(text(T.notApplicableUsage));
    return;
  }
  const target = m[1]!;
  const reason = verbatimArg.slice(m[0].length).trim();
  const ind = findIndicator(turn.framework, turn.rec.answers, target);
  if (!ind) {
    turn.replies.push(text(T.editNotFound(quote(target))));
    return;
  }
  if (ind.required) {
    turn.replies.push(text(T.requiredIndicator(ind.name)));
    return;
  }
  if (!hasWords(reason)) {
    turn.replies.push(text(T.notApplicableReason(ind.name)));
    return;
  }
  const na = (turn.rec.answers.notApplicable ??= {});
  audit(turn, `notApplicable.${ind.code}`, na[ind.code], reason);
  na[ind.code] = reason;
  const prev = rescore(turn);
  turn.replies.push(text([T.markedNotApplicable(ind.name, reason), ...scoreChanges(prev, turn.result)].join('\n')));
}

// ---------------------------------------------------------------------------------------------
// Asking

/** Asks the next unanswered question for this user; `explicit` when they asked for it (开始/继续). */
function askNext(turn: Turn, explicit: boolean): void {
  const q = nextQuestion(turn);
  if (q) {
    ask(turn, q);
    return;
  }
  clearCurrent(turn.session);
  turn.changed = true;
  const skipped = turn.plan.filter((x) => !x.answered && turn.session.skipped.includes(x.key));
  if (skipped.length) {
    turn.replies.push(text(T.onlySkippedLeft(skipped.length)));
    return;
  }
  const open = turn.plan.filter((x) => !x.answered);
  if (open.length) {
    turn.replies.push(...blockedReplies(turn, open));
    return;
  }
  if (explicit || turn.result.complete) turn.replies.push(allDoneCard(turn));
}

/** A session's hold on its current question, while its owner is active on it. */
interface Hold {
  session: SessionState;
  /** When the question was shown. */
  since: number;
  /** When it is released unless its owner does something with it. */
  until: number;
}

/** Questions others are on, by question key (the most recently active holder). */
function holdsOfOthers(turn: Turn): Map<string, Hold> {
  const me = turn.msg.userId;
  const now = turn.deps.now.getTime();
  const idle = turn.deps.holdIdleMs ?? HOLD_IDLE_MS;
  const held = new Map<string, Hold>();
  for (const s of Object.values(turn.rec.sessions)) {
    if (s.userId === me || !s.current) continue;
    const touched = Date.parse(s.touchedAt ?? s.updatedAt);
    const until = touched + idle;
    if (!(now < until)) continue;
    const prior = held.get(s.current);
    if (!prior || prior.until < until) held.set(s.current, { session: s, since: Date.parse(s.shownAt ?? s.updatedAt), until });
  }
  return held;
}

/** A time of day in China (UTC+8, no daylight saving), "09:05". */
function clockTime(ms: number): string {
  const d = new Date(ms + 8 * 3600 * 1000);
  return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
}

/**
 * What someone with nothing left to answer is told about the questions still open: who is on which
 * (since when, and when it is released), what waits for the organiser (announced to the organisers with
 * a mention), and what is assigned to others under strict assignments.
 */
function blockedReplies(turn: Turn, open: Question[]): Reply[] {
  const held = holdsOfOthers(turn);
  const heldLines: string[] = [];
  const forOrganiser: Question[] = [];
  const elsewhere = new Map<string, string[]>();
  for (const q of open) {
    if (q.organiserOnly && !isOrganiser(turn)) {
      forOrganiser.push(q);
      continue;
    }
    const h = held.get(q.key);
    if (h) {
      heldLines.push(RT.heldBy(q.label, nameOf(turn.rec, h.session.userId), clockTime(h.since), clockTime(h.until)));
      continue;
    }
    if (!mayAnswer(turn, q)) {
      const owners = assigneesOf(turn.rec, q.sections).map((id) => nameOf(turn.rec, id)).join('、') || organiserNames(turn);
      elsewhere.set(owners, [...(elsewhere.get(owners) ?? []), q.label]);
    }
  }
  const replies: Reply[] = [];
  const lines: string[] = [];
  if (heldLines.length) lines.push(RT.restHeldHeader, ...heldLines.slice(0, 8).map((l) => `· ${l}`), RT.restHeldFooter);
  for (const [owners, labels] of elsewhere) lines.push(RT.assignedElsewhere(labels.slice(0, 5), labels.length, owners));
  if (forOrganiser.length) lines.push(RT.waitingForOrganiser(forOrganiser.map((q) => q.label), organiserNames(turn)));
  replies.push(text(lines.length ? lines.join('\n') : T.othersAnswering));
  // In the group, the organisers are told by mention what only they can enter (unless one of them is on it now).
  const waiting = turn.msg.chatType === 'group' ? forOrganiser.filter((q) => !turn.rec.organisers.includes(held.get(q.key)?.session.userId ?? '')) : [];
  if (waiting.length) replies.push({ kind: 'text', text: RT.organiserCalled(waiting.map((q) => q.label)), mentions: mentionsOf(turn, turn.rec.organisers) });
  return replies;
}

/** The next question for this user: conflicts first, then their assigned sections, then the rest; skipped ones last. */
function nextQuestion(turn: Turn): Question | undefined {
  const me = turn.msg.userId;
  const held = holdsOfOthers(turn);
  const mine = new Set(Object.entries(turn.rec.assignments).filter(([, ids]) => ids.includes(me)).map(([code]) => code));
  const othersAssigned = new Set(Object.entries(turn.rec.assignments).filter(([, ids]) => !ids.includes(me)).map(([code]) => code));
  const skipped = turn.session.skipped;
  const rank = (q: Question): number => {
    if (q.kind === 'confirm' || q.kind === 'check') return 0;
    const later = skipped.includes(q.key) ? 10 : 0;
    if (mine.size && q.sections.some((c) => mine.has(c))) return 1 + later;
    if (othersAssigned.size && q.sections.some((c) => othersAssigned.has(c))) return 3 + later;
    return 2 + later;
  };
  // No question ranks better than this (follow-ups, which rank 0, come first in the plan).
  const floor = mine.size ? 1 : 2;
  let best: Question | undefined;
  let bestRank = Infinity;
  for (const q of turn.plan) {
    if (q.answered || held.has(q.key) || !mayAnswer(turn, q)) continue;
    const r = rank(q);
    if (r < bestRank) {
      best = q;
      bestRank = r;
      if (r <= floor) break;
    }
  }
  return best;
}

function ask(turn: Turn, q: Question, error?: string): void {
  const s = turn.session;
  if (s.current !== q.key) {
    s.failures = 0;
    s.draft = undefined;
  }
  setCurrent(turn, q);
  if (s.history[s.history.length - 1] !== q.key) s.history.push(q.key);
  if (s.history.length > 50) s.history.splice(0, s.history.length - 50);
  turn.changed = true;
  turn.replies.push(renderQuestion(turn, q, error));
}

/** Makes `q` the sender's current question, held for them from now (see holdsOfOthers). */
function setCurrent(turn: Turn, q: Question): void {
  const s = turn.session;
  const at = turn.deps.now.toISOString();
  if (s.current !== q.key || !s.shownAt) s.shownAt = at;
  s.current = q.key;
  s.touchedAt = at;
  s.currentStamp = stampOf(turn, q);
  turn.changed = true;
}

/** Clears the sender's current question (its hold is released at once). */
function clearCurrent(s: SessionState): void {
  s.current = undefined;
  delete s.shownAt;
  delete s.touchedAt;
  delete s.currentStamp;
}

/** The current value of a question's answer, in words, or undefined when unanswered. */
function currentValue(turn: Turn, q: Question): string | undefined {
  const a = turn.rec.answers;
  switch (q.kind) {
    case 'fact': {
      const v = a.facts?.[q.target];
      return v === undefined ? undefined : `${formatScore(v)} ${turn.framework.factByKey.get(q.target)?.unit ?? ''}`.trim();
    }
    case 'metric': {
      const v = a.metrics?.[q.target];
      return v === undefined ? undefined : `${formatScore(v)}${turn.framework.metricByKey.get(q.target)?.unit ?? ''}`;
    }
    case 'conclusion': {
      const c = a.conclusions?.[q.target];
      const m = turn.framework.metricByKey.get(q.target);
      return c && m ? R.conclusionReason(m.label, describeBounds(c.bounds, m.unit), c.basis) : undefined;
    }
    case 'judgement':
    case 'decision': {
      const s = turn.result.indicators.find((i) => i.code === q.target);
      return s && s.status === 'complete' ? `${s.reasons.join('，')}` : undefined;
    }
    case 'keyTasks': {
      const tasks = a.keyTasks?.[q.target];
      return tasks?.length ? tasks.map((t) => `${t.name} ${formatScore(t.points)}分`).join('；') : undefined;
    }
    case 'bonus':
      return a.bonus === undefined ? undefined : a.bonus.length ? turn.result.bonus.reasons.join('；') : T.none;
    case 'penalty':
      return a.penalties === undefined ? undefined : a.penalties.length ? turn.result.penalty.reasons.join('；') : T.none;
    case 'narrative': {
      const v = a.narratives?.[q.target];
      return v ? quote(v, 60) : undefined;
    }
    default:
      return undefined;
  }
}

function questionTitle(q: Question): string {
  return q.path.length ? `[${q.path.join(' › ')}]` : T.questionTitle;
}

function renderQuestion(turn: Turn, q: Question, error?: string): Reply {
  const title = questionTitle(q);
  const lines: string[] = [];
  if (error) lines.push(error);
  lines.push(q.prompt);
  const criteria = q.kind === 'judgement' ? turn.framework.byCode.get(q.target)?.criteria : undefined;
  if (criteria) lines.push(T.criteria(criteria));
  const cur = currentValue(turn, q);
  if (cur !== undefined) lines.push(T.currentValue(cur));
  const tooMany = turn.session.failures >= MAX_FAILURES;
  if (tooMany) lines.push(T.tooManyFailures);
  const stamp = stampOf(turn, q);
  const meta = { ...q.meta, stamp };
  const buttons: Button[] = (q.meta.options ?? []).map((o) => ({ label: o, action: { type: 'answer', key: q.key, value: o, stamp } }));
  if (q.kind === 'bonus' || q.kind === 'penalty') buttons.push({ label: T.none, action: { type: 'answer', key: q.key, value: T.none, stamp } });
  if (tooMany) buttons.push(commandButton(T.skipButton, 'skip'), commandButton(T.helpButton, 'help'));
  if (buttons.length) return { kind: 'card', title, text: lines.join('\n'), buttons, question: meta };
  return { kind: 'text', text: `${title} ${lines.join('\n')}`, question: meta };
}

/**
 * The state of a question's answer, as a short fingerprint ('' while unanswered): a button or card
 * form sends back the stamp it was shown with, and a press after someone else answered is refused.
 */
function stampOf(turn: Turn, q: Question): string {
  const a = turn.rec.answers;
  let slot: unknown;
  switch (q.kind) {
    case 'fact':
      slot = a.facts?.[q.target];
      break;
    case 'metric':
      slot = a.metrics?.[q.target];
      break;
    case 'judgement':
    case 'decision':
      slot = a.judgements?.[q.target];
      break;
    case 'confirm':
      slot = a.metricChoice?.[q.target];
      break;
    case 'conclusion':
      slot = a.conclusions?.[q.target];
      break;
    case 'check':
      slot = a.confirmedChecks?.includes(q.target) || undefined;
      break;
    case 'keyTasks':
      slot = a.keyTasks?.[q.target];
      break;
    case 'bonus':
      slot = a.bonus;
      break;
    case 'penalty':
      slot = a.penalties;
      break;
    case 'narrative':
      slot = a.narratives?.[q.target];
      break;
  }
  return slot === undefined ? '' : fingerprint(JSON.stringify(slot));
}

/** FNV-1a over a string's UTF-16 units, in base 36: short, stable, not a security measure. */
function fingerprint(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

// ---------------------------------------------------------------------------------------------
// Answering

function answerByKey(turn: Turn, key: string, value: string, stamp: string | undefined): void {
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
    const by = turn.msg.userName?.trim() || turn.rec.members[turn.msg.userId]?.name || turn.msg.userId;
    turn.pressed = { ok: true, toast: T.pressedRecorded, card: { title: questionTitle(q), text: T.pressedCard(q.prompt, outcome.summary, by) } };
  } else if (outcome.ok === 'pending') {
    turn.pressed = { ok: true, toast: outcome.reply };
  } else {
    turn.pressed = { ok: false, toast: outcome.error };
  }
}

function answerCurrent(turn: Turn, body: string): void {
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
  answer(turn, q, body);
}

/** What applying a reply did; `followUp` names a question to ask next, before the plan's order (a conclusion after 「没有具体数字」). */
type Applied = { ok: true; summary: string; followUp?: string[] } | { ok: false; error: string } | { ok: 'pending'; reply: string };

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
      const pending = s.draft?.kind === 'collect' && s.draft.key === q.key ? (s.draft.choice as string | undefined) : undefined;
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
  if (!isFact && a.metricChoice?.[q.target]) delete a.metricChoice[q.target];
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
  const prior = s.draft?.kind === 'keyTasks' && s.draft.slot === q.target ? (s.draft.items as KeyTask[]) : [];
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
 * "……") is refused, so a section is never made of emoji alone.
 */
function applyNarrative(turn: Turn, q: Question, body: string): Applied {
  const s = turn.session;
  const done = /(^|\n)\s*完成\s*$/.test(body);
  const part = body.replace(/(^|\n)\s*完成\s*$/, '').trim();
  if (part && !hasWords(part)) return { ok: false, error: T.narrativeNoWords };
  const parts = s.draft?.kind === 'collect' && s.draft.key === q.key ? [...(s.draft.parts as string[])] : [];
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

function continueCollecting(turn: Turn, body: string): void {
  const key = turn.session.draft!.key as string;
  const q = turn.plan.find((x) => x.key === key);
  if (!q) {
    turn.session.draft = undefined;
    turn.replies.push(shortHelp());
    return;
  }
  answer(turn, q, body);
}

// ---------------------------------------------------------------------------------------------
// What the replies say

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

function allDoneCard(turn: Turn): Reply {
  return {
    kind: 'card',
    title: T.allDoneTitle,
    text: T.allDone(formatScore(turn.result.total), gradeStatus(turn.result).grade),
    buttons: [commandButton(T.reportButton, 'report'), commandButton(T.scoreButton, 'score')],
  };
}

function shortHelp(): Reply {
  return {
    kind: 'card',
    title: T.shortHelpTitle,
    text: T.shortHelp,
    buttons: [commandButton(T.continueButton, 'start'), commandButton(T.scoreButton, 'score'), commandButton(T.helpButton, 'help')],
  };
}

function helpCard(role: Role): Reply {
  const w = (name: CommandName) => COMMAND_WORDS[name][0]!;
  if (role === 'leader') return { kind: 'card', title: T.helpTitle, text: RT.leaderHelpLines.join('\n'), buttons: [commandButton(T.scoreButton, 'score')] };
  const lines = T.helpLines(w);
  if (role === 'organiser') lines.push(...T.organiserHelpLines(w), ...RT.organiserRoleHelpLines(w));
  return { kind: 'card', title: T.helpTitle, text: lines.join('\n'), buttons: [commandButton(T.continueButton, 'start')] };
}

