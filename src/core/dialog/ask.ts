/**
 * Choosing and showing questions: the next question for the sender (holds of others, assignments,
 * skipped ones last), what someone with nothing left to answer is told, the current question and its
 * stamp, and the question as a reply.
 */
import type { Button, Reply } from '../messages';
import { formatScore } from '../decimal';
import type { SessionState } from '../evaluation';
import { dialogText as T, draftingText as DT, readingText as R, roleText as RT } from '../locale/zh-CN';
import { describeBounds } from '../scoring/rules';
import { gradeStatus } from '../scoring/summary';
import { assigneesOf, nameOf } from '../roles';
import { quote } from './parse';
import { commandButton, text } from './replies';
import type { Question } from './plan';
import { HOLD_IDLE_MS, isOrganiser, MAX_FAILURES, mayAnswer, mentionsOf, organiserNames, type Turn } from './turn';

/** Asks the next unanswered question for this user; `explicit` when they asked for it (开始/继续). */
export function askNext(turn: Turn, explicit: boolean): void {
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

export function ask(turn: Turn, q: Question, error?: string): void {
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
export function setCurrent(turn: Turn, q: Question): void {
  const s = turn.session;
  const at = turn.deps.now.toISOString();
  if (s.current !== q.key || !s.shownAt) s.shownAt = at;
  s.current = q.key;
  s.touchedAt = at;
  s.currentStamp = stampOf(turn, q);
  turn.changed = true;
}

/** Clears the sender's current question (its hold is released at once). */
export function clearCurrent(s: SessionState): void {
  s.current = undefined;
  delete s.shownAt;
  delete s.touchedAt;
  delete s.currentStamp;
}

/** The current value of a question's answer, in words, or undefined when unanswered. */
export function currentValue(turn: Turn, q: Question): string | undefined {
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

export function questionTitle(q: Question): string {
  return q.path.length ? `[${q.path.join(' › ')}]` : T.questionTitle;
}

export function renderQuestion(turn: Turn, q: Question, error?: string): Reply {
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
  // Issue #16: the assistant may draft a report section from the answers (dialog/drafting.ts).
  if (q.kind === 'narrative' && turn.deps.drafting) buttons.push(commandButton(DT.draftButton, 'draftSection', q.target));
  if (buttons.length) return { kind: 'card', title, text: lines.join('\n'), buttons, question: meta };
  return { kind: 'text', text: `${title} ${lines.join('\n')}`, question: meta };
}

/**
 * The state of a question's answer, as a short fingerprint ('' while unanswered): a button or card
 * form sends back the stamp it was shown with, and a press after someone else answered is refused.
 */
export function stampOf(turn: Turn, q: Question): string {
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

function allDoneCard(turn: Turn): Reply {
  return {
    kind: 'card',
    title: T.allDoneTitle,
    text: T.allDone(formatScore(turn.result.total), gradeStatus(turn.result).grade),
    buttons: [commandButton(T.reportButton, 'report'), commandButton(T.scoreButton, 'score')],
  };
}
