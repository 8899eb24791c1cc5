/**
 * The dialog engine: (inbound message, stored state) → replies and the new state. It knows no
 * platform and does no I/O: the bot service loads the state, calls `handleMessage`, stores what
 * changed and then sends the replies (building the report when the outcome asks for it).
 *
 * Commands are handled before the current question; a bad answer gets a reason and the same
 * question again; every recorded answer is scored at once and the affected scores are shown.
 *
 * This file is the entry and the router of a turn; the rest is in turn.ts (the turn and its helpers),
 * ask.ts, answer.ts, organiser.ts, navigation.ts and views.ts.
 */
import type { InboundMessage } from '../messages';
import { resolveFramework } from '../framework/resolve';
import { dialogText as T, overviewText } from '../locale/zh-CN';
import { gradeStatus, itemCounts } from '../scoring/summary';
import { isSetRoleArgument, recogniseCommand, type CommandName } from './commands';
import { actorOf, commandAction, mayReach, roleOf } from '../roles';
import { cleanText, foldText } from './parse';
import { handleWithoutEvaluation } from './create';
import { compareView, deductionsView, lastYearOf, progressView, scoreView } from './glance';
import { handleOverview } from './overview';
import { evaluationTitle, text } from './replies';
import { allowed, closeTurn, isOrganiser, isRepeat, MAX_TEXT_CHARS, noteText, openTurn, textMark, type DialogDeps, type DialogOutcome, type DialogState, type Turn } from './turn';
import { ask, askNext } from './ask';
import { helpCard, shortHelp } from './views';
import { answerByKey, answerCurrent, continueCollecting } from './answer';
import { assign, markApplicable, markNotApplicable, setAssistant, setDeadline, setReminders, setReportDate, setRole } from './organiser';
import { back, cancel, edit, skip, unconfirmCheck } from './navigation';
import { DEFAULT_WORKBOOK_LIMITS } from '../import/limits';
import type { CollectDraft, InterpretDraft } from './drafts';
import { answerInterpretation, INTERPRET_KEY_PREFIX, pressInterpretation } from './interpret';
import { acceptDraft, draftReplyWord, editDraft, rejectDraft, requestDraft } from './drafting';

// What importers of './engine' use from the parts (the entry's public surface stays as it was).
export { HOLD_IDLE_MS, MAX_FAILURES, MAX_NARRATIVE_CHARS, MAX_TEXT_CHARS, REPEAT_WINDOW_MS, SESSION_VERSION } from './turn';
export type { DialogDeps, DialogOutcome, DialogState, FrameworkChoice, Scored } from './turn';
export { scoreChanges } from './answer';

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
  if (state.sectionDraft) turn.sectionDraft = state.sectionDraft;

  if (action) {
    if (action.type === 'answer' && action.key.startsWith(INTERPRET_KEY_PREFIX)) pressInterpretation(turn, action.key, action.value ?? '');
    else if (action.type === 'answer') answerByKey(turn, action.key, action.value ?? '', action.stamp);
    else runCommand(turn, action.command, action.arg ?? '');
  } else if (!body) {
    turn.replies.push(text(T.emptyMessage));
  } else {
    const draft = turn.session.draft;
    // A bare 采用 / 修改 / 不用 while a draft of the question they are on waits (see drafting.ts).
    const draftWord = draftReplyWord(turn, body);
    const cmd = draftWord ? { name: draftWord, arg: '' } : recogniseCommand(verbatim);
    // "设置…" that names no role is an answer ("设置 专门机构") when a question is open.
    const setAnswer = cmd?.name === 'setRole' && !!cmd.arg && !isSetRoleArgument(foldText(cmd.arg)) && !!turn.session.current;
    const route =
      draft && draft.kind === 'collect' && (!cmd || setAnswer)
        ? 'collect'
        : draft && draft.kind === 'interpret' && (!cmd || setAnswer)
          ? 'interpret'
          : cmd && !setAnswer
            ? 'command'
            : turn.session.current
              ? 'answer'
              : 'help';
    // An answer or a part of a long one delivered twice is applied once; commands say themselves
    // what a second time does (「已经是暂停状态」).
    if ((route === 'collect' || route === 'answer' || route === 'interpret') && isRepeat(turn, body)) turn.replies.push(text(T.repeatIgnored));
    else if (route === 'collect' || route === 'answer' || route === 'interpret') {
      const mark = textMark(turn);
      if (route === 'collect') continueCollecting(turn, draft as CollectDraft, verbatim);
      else if (route === 'interpret') answerInterpretation(turn, draft as InterpretDraft, verbatim);
      else answerCurrent(turn, verbatim);
      noteText(turn, body, mark);
    } else if (route === 'command') runCommand(turn, cmd!.name, cmd!.arg);
    else turn.replies.push(shortHelp());
  }
  return closeTurn(turn);
}

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
    case 'assistantOn':
    case 'assistantOff':
      setAssistant(turn, name === 'assistantOn');
      return;
    case 'draftSection':
      requestDraft(turn, verbatimArg);
      return;
    case 'draftAccept':
      acceptDraft(turn, arg);
      return;
    case 'draftEdit':
      editDraft(turn, arg);
      return;
    case 'draftReject':
      rejectDraft(turn, arg);
      return;
    case 'switch':
      // In a private chat the bot service handles it before the engine; a group stays with its evaluation.
      turn.replies.push(text(T.switchOnlyInPrivate));
      return;
  }
}
