/**
 * The organisers' commands: roles and strict assignments (设置), 分配, 截止, 落款, 提醒, and marking
 * indicators not applicable (不适用) or applicable again (适用).
 */
import { formatScore } from '../decimal';
import { ownEntry, reminderSettingsOf, setOwnEntry } from '../evaluation';
import type { Indicator } from '../framework/load';
import { assistantText as AT, dialogText as T, roleText as RT, reminderText as RemT } from '../locale/zh-CN';
import { REPORT_DATE_RESET_WORDS, ROLE_WORDS, STRICT_ASSIGNMENT_WORDS } from './vocabulary';
import { nameOf, type Role } from '../roles';
import { foldText, hasWords, parseDate, quote } from './parse';
import { applyReminderCommand, describeReminders, parseReminderCommand } from '../reminders';
import { text } from './replies';
import { findIndicator, findQuestion, indicatorChain, SECTION_ADJUSTMENTS, SECTION_REPORT } from './plan';
import { audit, displayName, mentionsOf, organiserNames, rescore, type Turn } from './turn';
import { ask } from './ask';
import { scoreChanges } from './answer';

/** The indicator and its ancestors that carry a not-applicable mark. */
export function markedChain(turn: Turn, ind: Indicator): Indicator[] {
  const na = turn.rec.answers.notApplicable ?? {};
  return indicatorChain(turn.framework, turn.rec.answers, ind.code).filter((i) => na[i.code] !== undefined);
}

/**
 * Removes the not-applicable marks that keep an indicator out (its own and its ancestors'; with
 * `below`, those of the indicators under it too), re-scores, and says what came back and what
 * changed. Returns whether anything was marked.
 */
export function restoreApplicable(turn: Turn, ind: Indicator, below: boolean): boolean {
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

/** 适用 <code or name>: undoes 不适用, then asks the indicator's first question. */
export function markApplicable(turn: Turn, arg: string): void {
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
    if (m.name && !ownEntry(turn.rec.members, m.userId)?.name) setOwnEntry(turn.rec.members, m.userId, { name: m.name });
  }
  for (const n of mentionNames) {
    const known = Object.entries(turn.rec.members).find(([id, v]) => v.name === n || id === n);
    const platformMention = (turn.msg.mentions ?? []).find((m) => m.name === n);
    if (platformMention) continue;
    ids.add(known ? known[0] : `name:${n}`);
  }
  return { ids, rest };
}

/**
 * 设置 组织者/领导/成员 @某人 (audited as `organisers` and `leaders`; a person has one role), and
 * 设置 严格分配 / 自由分配 (audited as `strictAssignments`).
 */
export function setRole(turn: Turn, arg: string): void {
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

export function assign(turn: Turn, arg: string): void {
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

export function setDeadline(turn: Turn, arg: string): void {
  const d = parseDate(arg, turn.rec.year + 1);
  if (!d.ok) {
    turn.replies.push(text(`${d.error}${T.deadlineUsage}`));
    return;
  }
  audit(turn, 'deadline', turn.rec.deadline, d.value);
  turn.rec.deadline = d.value;
  // Nudges of the new deadline that are already past today are not sent at once (core/reminders.ts dueSlots).
  turn.rec.remindersSince = turn.deps.now.toISOString();
  turn.changed = true;
  turn.replies.push(text(T.deadlineSet(d.value)));
}

/** 落款 <date>: the date on the report's cover (audited); 落款 默认 clears it; 落款 alone says what it is. */
export function setReportDate(turn: Turn, arg: string): void {
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
export function setReminders(turn: Turn, verbatimArg: string): void {
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
  // A slot already past today (a time moved earlier, a resume) is not sent at once (core/reminders.ts dueSlots).
  turn.rec.remindersSince = turn.deps.now.toISOString();
  turn.changed = true;
  const reply =
    cmd.kind === 'schedule' ? RemT.scheduleSet(RemT.days(next.days), next.time)
    : cmd.kind === 'nudges' ? RemT.nudgesSet(next.nudges.length ? next.nudges.map((n) => RemT.nudge(n)).join('、') : '无')
    : cmd.kind === 'pause' ? RemT.paused
    : cmd.kind === 'resume' ? RemT.resumed
    : RemT.urgentSet(next.urgentLastDay);
  turn.replies.push(text(reply));
}

export function markNotApplicable(turn: Turn, verbatimArg: string): void {
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

/**
 * 启用助手 / 停用助手: whether this evaluation may use the language-model assistant (audited as
 * `assistant`). Enabling says which model and host the question, the reply and the figures would be
 * sent to; without a configured model it says there is none and changes nothing.
 */
export function setAssistant(turn: Turn, on: boolean): void {
  const target = turn.deps.assistant;
  const was = turn.rec.assistant;
  if (on && !target) {
    turn.replies.push(text(AT.notConfigured));
    return;
  }
  if (!!was?.enabled === on) {
    turn.replies.push(text(on ? AT.alreadyEnabled(target!.model, target!.host) : AT.alreadyDisabled));
    return;
  }
  const next = { ...was, enabled: on };
  audit(turn, 'assistant', was, next);
  turn.rec.assistant = next;
  // A reading waiting for confirmation goes with the assistant.
  if (!on) {
    for (const s of Object.values(turn.rec.sessions)) if (s.draft?.kind === 'interpret') delete s.draft;
  }
  turn.changed = true;
  turn.replies.push(text(on ? AT.enabled(target!.model, target!.host) : AT.disabled));
}
