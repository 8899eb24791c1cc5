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
import { dialogText as T, partialCreditText as PT } from '../locale/zh-CN';
import type { Answers, BonusAward, KeyTask, Penalty } from '../scoring/answers';
import { instantiate, measureLabel, scoreEvaluation } from '../scoring/engine';
import { describePartialRange } from '../scoring/rules';
import type { IndicatorScore, ScoreResult } from '../scoring/types';
import { rangeProblem } from '../scoring/validate';
import { COMMAND_WORDS, ORGANISER_COMMANDS, recogniseCommand, type CommandName } from './commands';
import {
  normaliseText,
  parseChoice,
  parseChoices,
  parseCount,
  parseDate,
  parseKeyTaskLines,
  parseQuantity,
  parseScore,
  parseYesNo,
  quote,
} from './parse';
import { handleWithoutEvaluation } from './create';
import { commandButton, evaluationTitle, text } from './replies';
import { buildPlan, findQuestion, partialExampleScore, SECTION_ADJUSTMENTS, SECTION_REPORT, type Question } from './plan';
import { PARTIAL_WORDS } from './vocabulary';

/** Bumped when SessionState changes shape; older sessions are dropped (answers are kept, only places reset). */
export const SESSION_VERSION = 1;
/** Longest message taken as an answer (narratives included). */
export const MAX_TEXT_CHARS = 20_000;
/** Failed attempts before the bot offers 跳过 and 帮助. */
export const MAX_FAILURES = 3;
/** A question another person is on stays theirs this long. */
const HOLD_MS = 30 * 60 * 1000;

/** What the engine needs besides the message and the state. */
export interface DialogDeps {
  now: Date;
  newId: () => string;
  /**
   * The state is the caller's own copy (the store hands out copies): change it in place instead of
   * cloning it first. Without this the engine never changes the objects it is given.
   */
  inPlace?: boolean;
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
}



/** Handles one inbound message. Pure: the same message and state give the same outcome. */
export function handleMessage(msg: InboundMessage, state: DialogState, deps: DialogDeps): DialogOutcome {
  const raw = msg.text ?? '';
  if (msg.unsupported !== undefined && !msg.text && !msg.action) return { replies: [text(T.unsupportedContent(msg.unsupported))] };
  if ([...raw].length > MAX_TEXT_CHARS) return { replies: [text(T.tooLong(MAX_TEXT_CHARS))] };
  const body = normaliseText(raw);
  const action = msg.action;
  if (!state.evaluation) return handleWithoutEvaluation(msg, body, state.chatDraft, deps, state.frameworks ?? []);

  const rec = deps.inPlace ? state.evaluation : structuredClone(state.evaluation);
  const framework = resolveFramework(rec.frameworkId, rec.framework);
  const turn = openTurn(msg, deps, rec, framework, state.scored);

  if (action) {
    if (action.type === 'answer') answerByKey(turn, action.key, action.value ?? '', action.stamp);
    else runCommand(turn, action.command, action.arg ?? '');
  } else if (!body) {
    turn.replies.push(text(T.emptyMessage));
  } else {
    const draft = turn.session.draft;
    const cmd = recogniseCommand(body);
    if (draft && draft.kind === 'collect' && !cmd) continueCollecting(turn, body);
    else if (cmd) runCommand(turn, cmd.name, cmd.arg);
    else if (turn.session.current) answerCurrent(turn, body);
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
    // An assignment made by name before this person spoke now gets their id.
    if (name) {
      for (const [section, ids] of Object.entries(rec.assignments)) {
        const i = ids.indexOf(`name:${name}`);
        if (i >= 0) rec.assignments[section] = ids.map((x, j) => (j === i ? msg.userId : x));
      }
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
  return turn.rec.organisers.includes(turn.msg.userId);
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

function runCommand(turn: Turn, name: CommandName, arg: string): void {
  if (ORGANISER_COMMANDS.has(name) && !isOrganiser(turn)) {
    turn.replies.push(text(T.organiserOnly(organiserNames(turn))));
    return;
  }
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
      turn.replies.push(text(progressText(turn)));
      return;
    case 'score':
      turn.replies.push(text(scoreText(turn)));
      return;
    case 'deductions':
      turn.replies.push(text(deductionsText(turn.result)));
      return;
    case 'report':
      turn.replies.push(text(T.reportBuilding(turn.result.complete ? undefined : turn.result.counts.missing)));
      turn.report = true;
      return;
    case 'help':
      turn.replies.push(helpCard(isOrganiser(turn)));
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
    case 'keyTasks': {
      const q = turn.plan.find((x) => x.kind === 'keyTasks' && (!arg || x.label.includes(arg) || x.target === arg));
      if (!q) turn.replies.push(text(T.noKeyTaskSlot));
      else ask(turn, q);
      return;
    }
    case 'notApplicable':
      markNotApplicable(turn, arg);
      return;
    case 'switch':
      // In a private chat the bot service handles it before the engine; a group stays with its evaluation.
      turn.replies.push(text(T.switchOnlyInPrivate));
      return;
  }
}

function organiserNames(turn: Turn): string {
  return turn.rec.organisers.map((id) => turn.rec.members[id]?.name ?? id).join('、');
}

function cancel(turn: Turn): void {
  const s = turn.session;
  if (!s.current && !s.draft) {
    turn.replies.push(text(T.nothingToCancel));
    return;
  }
  s.current = undefined;
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
  if (!s.skipped.includes(s.current)) s.skipped.push(s.current);
  const skippedLabel = turn.plan.find((q) => q.key === s.current)?.label ?? s.current;
  s.current = undefined;
  s.draft = undefined;
  turn.changed = true;
  turn.replies.push(text(T.skipped(skippedLabel)));
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

function edit(turn: Turn, arg: string): void {
  if (!arg) {
    turn.replies.push(text(T.editWhat));
    return;
  }
  const found = findQuestion(turn.framework, turn.plan, turn.rec.answers, arg);
  if (!found) {
    turn.replies.push(text(T.editNotFound(quote(arg))));
    return;
  }
  if (Array.isArray(found)) {
    turn.replies.push({
      kind: 'card',
      title: T.editWhichTitle,
      text: T.editWhich(quote(arg)),
      buttons: found.slice(0, 8).map((q) => commandButton(q.label, 'edit', q.key)),
    });
    return;
  }
  if (found.organiserOnly && !isOrganiser(turn)) {
    turn.replies.push(text(T.organiserOnly(organiserNames(turn))));
    return;
  }
  // Editing an indicator marked not applicable brings it back.
  const code = found.kind === 'judgement' || found.kind === 'decision' ? found.target : undefined;
  if (code && turn.rec.answers.notApplicable?.[code] !== undefined) {
    const old = turn.rec.answers.notApplicable[code];
    delete turn.rec.answers.notApplicable[code];
    audit(turn, `notApplicable.${code}`, old, undefined);
    rescore(turn);
  }
  ask(turn, found);
}

function assign(turn: Turn, arg: string): void {
  // 分配 <section> @someone [@someone…]
  const mentionNames = [...arg.matchAll(/@([^\s@]+)/g)].map((m) => m[1]!);
  const sectionName = arg.replace(/@[^\s@]+/g, '').trim();
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
    mentions: next.filter((id) => !id.startsWith('name:')).map((userId) => ({ userId, ...(turn.rec.members[userId]?.name ? { name: turn.rec.members[userId]!.name! } : {}) })),
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

function markNotApplicable(turn: Turn, arg: string): void {
  const m = /^(\S+)\s*(.*)$/.exec(arg);
  if (!m) {
    turn.replies.push(text(T.notApplicableUsage));
    return;
  }
  const target = m[1]!;
  const reason = m[2]!.trim();
  const ind =
    turn.framework.byCode.get(target.toUpperCase()) ??
    [...turn.framework.byCode.values()].find((i) => i.name === target);
  if (!ind) {
    turn.replies.push(text(T.editNotFound(quote(target))));
    return;
  }
  if (ind.required) {
    turn.replies.push(text(T.requiredIndicator(ind.name)));
    return;
  }
  if (!reason) {
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
  turn.session.current = undefined;
  turn.changed = true;
  const skipped = turn.plan.filter((x) => !x.answered && turn.session.skipped.includes(x.key));
  if (skipped.length) {
    turn.replies.push(text(T.onlySkippedLeft(skipped.length)));
    return;
  }
  const othersHold = turn.plan.some((x) => !x.answered);
  if (othersHold) {
    turn.replies.push(text(T.othersAnswering));
    return;
  }
  if (explicit || turn.result.complete) turn.replies.push(allDoneCard(turn));
}

/** The next question for this user: conflicts first, then their assigned sections, then the rest; skipped ones last. */
function nextQuestion(turn: Turn): Question | undefined {
  const me = turn.msg.userId;
  const now = turn.deps.now.getTime();
  const held = new Set(
    Object.values(turn.rec.sessions)
      .filter((s) => s.userId !== me && s.current && now - Date.parse(s.updatedAt) < HOLD_MS)
      .map((s) => s.current!),
  );
  const mine = new Set(Object.entries(turn.rec.assignments).filter(([, ids]) => ids.includes(me)).map(([code]) => code));
  const othersAssigned = new Set(Object.entries(turn.rec.assignments).filter(([, ids]) => !ids.includes(me)).map(([code]) => code));
  const organiser = isOrganiser(turn);
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
    if (q.answered || held.has(q.key) || (q.organiserOnly && !organiser)) continue;
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
  s.current = q.key;
  if (s.history[s.history.length - 1] !== q.key) s.history.push(q.key);
  if (s.history.length > 50) s.history.splice(0, s.history.length - 50);
  turn.changed = true;
  turn.replies.push(renderQuestion(turn, q, error));
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
  if (q.organiserOnly && !isOrganiser(turn)) {
    const refusal = T.organiserOnly(organiserNames(turn));
    turn.replies.push(text(refusal));
    turn.pressed = { ok: false, toast: refusal };
    return;
  }
  // Someone answered (or changed) it since this card was shown: say so to the presser only.
  if (stamp !== undefined && stamp !== stampOf(turn, q)) {
    const cur = currentValue(turn, q);
    turn.pressed = { ok: false, toast: T.pressedStale(q.label, cur) };
    return;
  }
  turn.session.current = q.key;
  const outcome = answer(turn, q, value);
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
    turn.session.current = undefined;
    turn.changed = true;
    askNext(turn, false);
    return;
  }
  answer(turn, q, body);
}

type Applied = { ok: true; summary: string } | { ok: false; error: string } | { ok: 'pending'; reply: string };

function answer(turn: Turn, q: Question, body: string): Applied {
  const applied = apply(turn, q, body);
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
  s.current = undefined;
  s.skipped = s.skipped.filter((k) => k !== q.key);
  const prev = rescore(turn);
  const lines = [applied.summary, ...scoreChanges(prev, turn.result)];
  turn.replies.push(text(lines.join('\n')));
  askNext(turn, false);
  return applied;
}

/** Records an answer to a question; the audit trail gets every change. */
function apply(turn: Turn, q: Question, body: string): Applied {
  const a = turn.rec.answers;
  switch (q.kind) {
    case 'fact':
    case 'metric': {
      const def = q.kind === 'fact' ? turn.framework.factByKey.get(q.target)! : turn.framework.metricByKey.get(q.target)!;
      const p = parseQuantity(body, def.unit);
      if (!p.ok) return p;
      const problem = rangeProblem(def.label, p.value, def.min, def.max, 'integer' in def ? def.integer : undefined);
      if (problem) return { ok: false, error: problem };
      const bucket = q.kind === 'fact' ? (a.facts ??= {}) : (a.metrics ??= {});
      audit(turn, `${q.kind === 'fact' ? 'facts' : 'metrics'}.${q.target}`, bucket[q.target], p.value);
      bucket[q.target] = p.value;
      if (q.kind === 'metric' && a.metricChoice?.[q.target]) delete a.metricChoice[q.target];
      if (p.rest) setEvidence(turn, q.target, p.rest);
      return { ok: true, summary: T.recordedQuantity(def.label, formatScore(p.value), def.unit, p.rest || undefined) };
    }
    case 'judgement':
      return applyJudgement(turn, q, body);
    case 'decision': {
      const p = parseScore(body, q.points!);
      if (!p.ok) return p;
      if (p.value < q.points! && !p.rest) return { ok: false, error: T.reasonNeeded };
      const judgements = (a.judgements ??= {});
      const old = judgements[q.target];
      const base = typeof old === 'object' && old !== null && !Array.isArray(old) ? old : {};
      const next = { ...base, score: p.value, ...(p.rest ? { reason: p.rest } : {}) };
      audit(turn, `judgements.${q.target}`, old, next);
      judgements[q.target] = next;
      return { ok: true, summary: T.recordedScore(q.label, formatScore(p.value), p.rest || undefined) };
    }
    case 'confirm': {
      const p = parseChoice(body, q.meta.options!);
      if (!p.ok) return p;
      const choice = p.value === T.useDirect ? 'direct' : 'computed';
      const choices = (a.metricChoice ??= {});
      audit(turn, `metricChoice.${q.target}`, choices[q.target], choice);
      choices[q.target] = choice;
      return { ok: true, summary: T.recordedChoice(q.label, p.value) };
    }
    case 'check': {
      const yes = parseYesNo(body);
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
        if (!range) return { ok: false, error: PT.chatNotAllowed(quote(normaliseText(body))) };
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
      const p = parseYesNo(body);
      if (!p.ok) return p;
      if (p.value) {
        if (p.rest) setEvidence(turn, q.target, p.rest);
        return record(true, T.recordedJudgement(q.label, T.yes, p.rest || undefined));
      }
      return record(p.rest ? { value: false, reason: p.rest } : false, T.recordedJudgement(q.label, T.no, p.rest || undefined));
    }
    case 'graded': {
      const p = parseChoice(body, rule.levels.map((l) => l.label));
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
      const p = parseCount(body);
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
      const p = parseQuantity(body, measure.unit);
      if (!p.ok) return p;
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
  const t = normaliseText(body);
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

/** Narratives span several messages; 完成 (alone, or as the last line) ends them. */
function applyNarrative(turn: Turn, q: Question, body: string): Applied {
  const s = turn.session;
  const done = /(^|\n)\s*完成\s*$/.test(body);
  const part = body.replace(/(^|\n)\s*完成\s*$/, '').trim();
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
  if (next.complete && !prev.complete) lines.push(T.nowComplete(formatScore(next.total), next.grade));
  return lines;
}

function scoreText(turn: Turn): string {
  const r = turn.result;
  const lines = [
    T.scoreSummary(formatScore(r.base), formatScore(r.bonus.score), formatScore(r.penalty.score), formatScore(r.total), r.complete ? r.grade : undefined),
    T.answeredCount(r.counts.answered, r.counts.total - r.counts.notApplicable, r.deductions.length),
  ];
  for (const code of r.roots) {
    const i = r.indicators.find((x) => x.code === code)!;
    lines.push(T.subtotalLine(i.name, i.score === null ? '—' : formatScore(i.score), formatScore(i.points), i.status === 'missing'));
  }
  if (r.deductions.length) {
    lines.push(T.deductionsHeader);
    for (const d of r.deductions) lines.push(T.deductionLine(d.name, formatScore(d.lost), d.reasons.join('，')));
  }
  if (r.notes.length) lines.push(...r.notes);
  if (!r.complete) lines.push(T.scoreProvisional(r.counts.missing));
  return lines.join('\n');
}

function deductionsText(r: ScoreResult): string {
  if (!r.deductions.length && !r.penalty.score) return T.noDeductions;
  const lines: string[] = [T.deductionsHeader];
  for (const d of r.deductions) lines.push(T.deductionLine(d.name, formatScore(d.lost), d.reasons.join('，')));
  for (const p of r.penalty.reasons) lines.push(`· ${p}`);
  return lines.join('\n');
}

function progressText(turn: Turn): string {
  const r = turn.result;
  const lines = [T.progressSummary(r.counts.answered, r.counts.total - r.counts.notApplicable, r.counts.notApplicable)];
  const sections = [
    ...turn.framework.indicators.map((i) => ({ code: i.code, name: i.name })),
    ...(turn.framework.bonus || turn.framework.penalty ? [{ code: SECTION_ADJUSTMENTS, name: turn.framework.adjustmentsName ?? T.adjustments }] : []),
    ...((turn.framework.narratives ?? []).length ? [{ code: SECTION_REPORT, name: T.reportSection }] : []),
  ];
  for (const s of sections) {
    const qs = turn.plan.filter((q) => q.sections[0] === s.code);
    if (!qs.length) continue;
    const who = (turn.rec.assignments[s.code] ?? []).map((id) => displayName(turn, id)).join('、');
    lines.push(T.sectionProgress(s.name, qs.filter((q) => q.answered).length, qs.length, who || undefined));
  }
  const open = turn.plan.filter((q) => !q.answered);
  if (open.length) lines.push(T.stillOpen(open.slice(0, 8).map((q) => q.label), open.length));
  if (turn.rec.deadline) lines.push(T.deadlineIs(turn.rec.deadline));
  if (isOrganiser(turn)) lines.push(...(turn.msg.organiserNotes ?? []));
  return lines.join('\n');
}

function allDoneCard(turn: Turn): Reply {
  return {
    kind: 'card',
    title: T.allDoneTitle,
    text: T.allDone(formatScore(turn.result.total), turn.result.grade),
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

function helpCard(organiser: boolean): Reply {
  const w = (name: CommandName) => COMMAND_WORDS[name][0]!;
  const lines = T.helpLines(w);
  if (organiser) lines.push(...T.organiserHelpLines(w));
  return { kind: 'card', title: T.helpTitle, text: lines.join('\n'), buttons: [commandButton(T.continueButton, 'start')] };
}

