/**
 * Who may do what: the one policy every command of the dialog and every route acting for a user asks.
 *
 * Three roles per evaluation:
 * - organiser: creates, assigns, sets the deadline and the report date, enters key tasks, marks
 *   indicators (not) applicable, names organisers and leaders, confirms imported frameworks; answers too.
 * - contributor: anyone else in the evaluation's group (or a member in a private chat); answers and
 *   queries. When the organiser makes assignments strict, answers only the sections assigned to them.
 * - leader: queries only (进度, 得分, 扣分, 报告, 帮助).
 *
 * Reaching the evaluation comes first: a message from a chat the evaluation is not bound to can neither
 * read nor change it, and in a private chat only the evaluation's own people reach it.
 *
 * Over HTTP, the JSON API and the console act for the operator (the admin token, `server/guard.ts`); the
 * one route that acts for a user, `POST /api/local/messages`, goes through the bot and so through this policy.
 *
 * @example may(rec, { userId: 'u-lisi', chatId: 'group-1', chatType: 'group' }, 'assign') // { ok: false, reason: '…只有组织者（张三）…' }
 */
import type { CommandName } from './dialog/commands';
import { ownEntry, type EvaluationRecord } from './evaluation';
import { roleText as T } from './locale/zh-CN';

/** A person's role in one evaluation. */
export type Role = 'organiser' | 'leader' | 'contributor';

/** What a person may ask to do; each command maps to one (see `commandAction`). */
export type Action =
  /** Read the evaluation: 进度, 得分, 扣分, 报告, 帮助. */
  | 'view'
  /** Answer questions and move between them: 开始, 跳过, 上一题, 修改, 撤销确认, 取消, answers and button presses. */
  | 'answer'
  | 'assign'
  | 'setDeadline'
  | 'setReportDate'
  /** Enter the key tasks (重点工作) and other items only organisers enter. */
  | 'enterKeyTasks'
  /** 不适用 / 适用. */
  | 'markApplicability'
  /** 设置 组织者/领导/成员 @某人, 设置 严格分配. */
  | 'setRoles'
  /** 确认指标体系: confirming an imported framework's open rows. */
  | 'confirmFramework'
  /** 提醒 with settings: schedule, deadline nudges, pause, 加急 (提醒 alone only views them). */
  | 'setReminders'
  /** 同意汇总 / 撤销汇总: letting a bureau's chat see the unit's completion, score and grade. */
  | 'shareOverview'
  /** 启用助手 / 停用助手: whether this evaluation may send questions, replies and figures to the language model. */
  | 'setAssistant';

/** Who is asking, and from where. */
export interface Actor {
  userId: string;
  chatId: string;
  chatType: 'group' | 'p2p';
}

/** What an answer is to: the question's sections (for strict assignments) and whether only organisers enter it. */
export interface AnswerTarget {
  sections: readonly string[];
  organiserOnly?: boolean;
}

/** The policy's decision; a refusal says who may do it. */
export type Decision = { ok: true; role: Role } | { ok: false; reason: string; role?: Role };

/** Actions only organisers may take. */
const ORGANISER_ACTIONS = new Set<Action>(['assign', 'setDeadline', 'setReportDate', 'enterKeyTasks', 'markApplicability', 'setRoles', 'confirmFramework', 'setReminders', 'shareOverview', 'setAssistant']);

/** The action each command asks for. */
export const COMMAND_ACTIONS: Record<CommandName, Action> = {
  start: 'answer',
  skip: 'answer',
  back: 'answer',
  edit: 'answer',
  cancel: 'answer',
  unconfirm: 'answer',
  progress: 'view',
  score: 'view',
  deductions: 'view',
  report: 'view',
  help: 'view',
  create: 'view',
  switch: 'view',
  assign: 'assign',
  deadline: 'setDeadline',
  reportDate: 'setReportDate',
  keyTasks: 'enterKeyTasks',
  notApplicable: 'markApplicability',
  applicable: 'markApplicability',
  setRole: 'setRoles',
  compare: 'view',
  reminders: 'setReminders',
  // 汇总 in a bureau's chat asks for figures only; what it shows is gated by each unit's consent.
  overview: 'view',
  overviewConsent: 'shareOverview',
  overviewRevoke: 'shareOverview',
  assistantOn: 'setAssistant',
  assistantOff: 'setAssistant',
  // Drafting a section and taking the draft are answering it (which section: checked against the question).
  draftSection: 'answer',
  draftAccept: 'answer',
  draftEdit: 'answer',
  draftReject: 'answer',
};

/** The action a command asks for (提醒 with nothing after it only shows the settings). */
export function commandAction(name: CommandName, arg = ''): Action {
  if (name === 'reminders' && !arg.trim()) return 'view';
  return COMMAND_ACTIONS[name];
}

/** Who sent a message, as the policy sees it. */
export function actorOf(msg: { userId: string; chatId: string; chatType: 'group' | 'p2p' }): Actor {
  return { userId: msg.userId, chatId: msg.chatId, chatType: msg.chatType };
}

/** A person's role: organiser before leader; everyone else who reaches the evaluation contributes. */
export function roleOf(rec: Pick<EvaluationRecord, 'organisers' | 'leaders'>, userId: string): Role {
  if (rec.organisers.includes(userId)) return 'organiser';
  if ((rec.leaders ?? []).includes(userId)) return 'leader';
  return 'contributor';
}

/** True when a person belongs to an evaluation: organiser, leader, assignee, or someone who took part in its group. */
export function belongsTo(rec: Pick<EvaluationRecord, 'organisers' | 'leaders' | 'members' | 'assignments'>, userId: string): boolean {
  return (
    ownEntry(rec.members, userId) !== undefined ||
    rec.organisers.includes(userId) ||
    (rec.leaders ?? []).includes(userId) ||
    Object.values(rec.assignments).some((ids) => ids.includes(userId))
  );
}

/** Whether a message from this chat reaches the evaluation at all (before any role is asked). */
export function mayReach(rec: EvaluationRecord, actor: Actor): Decision {
  if (!rec.chatIds.includes(actor.chatId)) return { ok: false, reason: T.otherChat };
  if (actor.chatType === 'p2p' && !belongsTo(rec, actor.userId)) return { ok: false, reason: T.notMember(organiserNames(rec)) };
  return { ok: true, role: roleOf(rec, actor.userId) };
}

/** The sections assigned to a person (indicator codes, 报告, 加减分项). */
export function sectionsOf(rec: Pick<EvaluationRecord, 'assignments'>, userId: string): Set<string> {
  return new Set(Object.entries(rec.assignments).filter(([, ids]) => ids.includes(userId)).map(([code]) => code));
}

/**
 * May `actor` do `action` on `rec`? For 'answer' with a target: organiser-only items need an organiser,
 * and under strict assignments a contributor answers only the sections assigned to them.
 */
export function may(rec: EvaluationRecord, actor: Actor, action: Action, target?: AnswerTarget): Decision {
  const reach = mayReach(rec, actor);
  if (!reach.ok) return reach;
  const role = reach.role;
  if (role === 'organiser') return { ok: true, role };
  const organisers = organiserNames(rec);
  if (ORGANISER_ACTIONS.has(action)) return { ok: false, role, reason: T.organiserOnly(T.actions[action], organisers) };
  if (action === 'view') return { ok: true, role };
  // Answering.
  if (role === 'leader') return { ok: false, role, reason: T.leaderQueriesOnly(organisers) };
  if (target?.organiserOnly) return { ok: false, role, reason: T.organiserEnters(organisers) };
  if (target && rec.strictAssignments) {
    const mine = sectionsOf(rec, actor.userId);
    if (!target.sections.some((c) => mine.has(c))) {
      const owners = assigneesOf(rec, target.sections);
      return { ok: false, role, reason: owners.length ? T.assignedToOthers(owners.map((id) => nameOf(rec, id)).join('、'), organisers) : T.unassignedStrict(organisers) };
    }
  }
  return { ok: true, role };
}

/** The people assigned to any of these sections (the innermost assigned section first). */
export function assigneesOf(rec: Pick<EvaluationRecord, 'assignments'>, sections: readonly string[]): string[] {
  const out: string[] = [];
  for (const code of [...sections].reverse()) for (const id of rec.assignments[code] ?? []) if (!out.includes(id)) out.push(id);
  return out;
}

/** A person's name as the evaluation knows it (a name given before they spoke: `name:李四`). */
export function nameOf(rec: Pick<EvaluationRecord, 'members'>, id: string): string {
  if (id.startsWith('name:')) return id.slice(5);
  return ownEntry(rec.members, id)?.name ?? id;
}

/** The organisers' names, joined for a sentence. */
export function organiserNames(rec: Pick<EvaluationRecord, 'organisers' | 'members'>): string {
  return rec.organisers.map((id) => nameOf(rec, id)).join('、');
}

/**
 * May this person confirm an imported framework in this chat? In a chat with an evaluation, its
 * organisers; in a chat without one, the person who uploaded the framework or an organiser of any
 * evaluation. (Over HTTP, the admin token is what counts.)
 */
export function mayConfirmFramework(
  actor: Actor,
  chatEvaluation: EvaluationRecord | undefined,
  uploadedBy: string | undefined,
  organisesAny: boolean,
): Decision {
  if (chatEvaluation) return may(chatEvaluation, actor, 'confirmFramework');
  // Before any evaluation exists in this chat there is nobody's role to ask: the uploader, or someone who organises one.
  if (uploadedBy === actor.userId || organisesAny) return { ok: true, role: 'organiser' };
  return { ok: false, reason: T.confirmFrameworkWho };
}
