/**
 * Moving between questions and reopening answers: 取消, 跳过, 上一题, 修改 and 撤销确认.
 */
import { dialogText as T } from '../locale/zh-CN';
import { quote } from './parse';
import { commandButton, text } from './replies';
import { canonicalName, findIndicator, findQuestion } from './plan';
import { allowed, audit, rescore, type Turn } from './turn';
import { ask, askNext, clearCurrent, currentValue } from './ask';
import { markedChain, restoreApplicable } from './organiser';

export function cancel(turn: Turn): void {
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

export function skip(turn: Turn): void {
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

export function back(turn: Turn): void {
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

export function edit(turn: Turn, arg: string): void {
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

/** 撤销确认 [check]: withdraws a 确认无误, so the check is asked again while it fails. */
export function unconfirmCheck(turn: Turn, arg: string): void {
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
