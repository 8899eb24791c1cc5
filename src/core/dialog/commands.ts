/**
 * Recognising commands. A message is a command when it is one of the words below (or an alias),
 * alone or followed by its argument; everything else is an answer.
 */

import { foldText } from './parse';
import { COMMAND_WORDS as WORDS, DRAFT_SECTION_ALIASES, ROLE_WORDS, STRICT_ASSIGNMENT_WORDS } from './vocabulary';

export type CommandName =
  | 'start'
  | 'skip'
  | 'back'
  | 'edit'
  | 'progress'
  | 'score'
  | 'deductions'
  | 'report'
  | 'help'
  | 'cancel'
  | 'create'
  | 'assign'
  | 'deadline'
  | 'keyTasks'
  | 'notApplicable'
  | 'switch'
  | 'applicable'
  | 'unconfirm'
  | 'reportDate'
  // Issue #13 (leaders' views): this year against last year's evaluation of the same unit.
  | 'compare'

  | 'overview'
  | 'overviewConsent'
  | 'overviewRevoke'
  // Issue #13 (reminders): view and change the evaluation's reminders.
  | 'reminders'
  // Issue #13 (roles): 设置 组织者/领导/成员 @某人, 设置 严格分配.
  | 'setRole'
  // Issue #16 (assistant): 启用助手 / 停用助手.
  | 'assistantOn'
  | 'assistantOff'
  // Issue #16 (report drafting): 起草 <部分名称>, and the draft's 采用 / 修改 / 不用.
  | 'draftSection'
  | 'draftAccept'
  | 'draftEdit'
  | 'draftReject';

/** Words for each command (from the vocabulary); the first is the one help shows. Commands in WITH_ARGUMENT may take text after them. */
export const COMMAND_WORDS: Record<CommandName, readonly string[]> = WORDS;

const WITH_ARGUMENT = new Set<CommandName>(['edit', 'create', 'assign', 'deadline', 'notApplicable', 'keyTasks', 'switch', 'applicable', 'unconfirm', 'reportDate', 'overview', 'overviewConsent', 'reminders', 'setRole', 'draftSection', 'draftAccept', 'draftEdit', 'draftReject']);

/** Commands only an organiser may use (the policy itself is `core/roles.ts`; this set is for help and listings). */
export const ORGANISER_COMMANDS = new Set<CommandName>(['assign', 'deadline', 'keyTasks', 'notApplicable', 'applicable', 'reportDate', 'reminders', 'setRole', 'assistantOn', 'assistantOff']);

/** Whether a command may take an argument written straight after its word, with no space. */
const GLUED_ARGUMENT_OK: Record<CommandName, (arg: string) => boolean> = {
  start: () => false,
  skip: () => false,
  back: () => false,
  edit: () => true,
  progress: () => false,
  score: () => false,
  deductions: () => false,
  report: () => false,
  help: () => false,
  cancel: () => false,
  create: () => false,
  assign: (arg) => arg.includes('@'),
  deadline: (arg) => /^\d/.test(arg),
  keyTasks: () => false,
  notApplicable: (arg) => /^[A-Za-z]/.test(arg),
  switch: () => true,
  applicable: (arg) => /^[A-Za-z]/.test(arg),
  unconfirm: () => false,
  reportDate: (arg) => /^\d/.test(arg),
  compare: () => false,
  overview: () => false,
  overviewConsent: (arg) => /^[A-Za-z0-9]/.test(arg),
  overviewRevoke: () => false,
  reminders: () => false,
  // "设置组织者 @张三", "设置严格分配"; never "设置了专门机构" (an answer).
  setRole: (arg) => SET_ROLE_ARGUMENTS.some((w) => arg.startsWith(w)),
  assistantOn: () => false,
  assistantOff: () => false,
  // "起草存在的问题"; never "起草了管理办法" (an answer): glued only to a section's usual name.
  draftSection: (arg) => DRAFT_SECTION_WORDS.has(arg.trim()),
  draftAccept: () => false,
  draftEdit: () => false,
  draftReject: () => false,
};

/** The section names 起草 may be glued to. */
const DRAFT_SECTION_WORDS = new Set<string>(Object.values(DRAFT_SECTION_ALIASES).flat());

/** The words 设置 may be glued to. */
const SET_ROLE_ARGUMENTS: readonly string[] = [...Object.values(ROLE_WORDS).flat(), ...Object.values(STRICT_ASSIGNMENT_WORDS).flat()];

/** Command words that also begin ordinary replies ("适用范围…"): a command only when a space, a colon or a code follows. */
const NEEDS_SEPARATOR = new Set<string>(['适用']);

/** The command words in lower case, by command. */
const COMMAND_ENTRIES = (Object.entries(COMMAND_WORDS) as Array<[CommandName, string[]]>).map(
  ([name, words]) => [name, words.map((w) => w.toLowerCase())] as const,
);
/** No command with its argument (a name, a section and @people, a date) is longer than this. */
const LONGEST_COMMAND_WITH_ARGUMENT = 200;

/**
 * Matches a whole message against the commands; longer words win ("上一题" before "上"). Full-width
 * forms are recognised (ｈｅｌｐ, ／开始); the argument is sliced from the text as given, so a caller
 * that passes verbatim text gets a verbatim argument (a unit name, a reason) and folds it to look
 * things up.
 */
export function recogniseCommand(text: string): { name: CommandName; arg: string } | undefined {
  const t = text.trim().replace(/^[/／]/, '');
  // Commands are short: a long message is an answer (and is not compared word by word).
  if (t.length > LONGEST_COMMAND_WITH_ARGUMENT) return undefined;
  // One unit for one: an index into `folded` is an index into `t`.
  const folded = foldText(t);
  const lower = folded.toLowerCase();
  let best: { name: CommandName; arg: string; len: number } | undefined;
  for (const [name, words] of COMMAND_ENTRIES) {
    for (const w of words) {
      if (lower === w) {
        if (!best || w.length > best.len) best = { name, arg: '', len: w.length };
      } else if (WITH_ARGUMENT.has(name) && lower.startsWith(w)) {
        const argFolded = folded.slice(w.length);
        // "修改A11", "修改 A11", "分配 部门管理 @李四"; but not "改进…" as 改 + 进
        const separated = /^[\s:：=]/.test(argFolded) || /^[A-Za-z]/.test(argFolded);
        if ((w.length === 1 || NEEDS_SEPARATOR.has(w)) && !separated) continue;
        // Glued to Chinese text, a command word is usually the start of an answer ("分配合理、不固化",
        // "截止到年底…"): only 修改/切换 read it as the target, 分配 needs an @, a date command a digit.
        if (!separated && !GLUED_ARGUMENT_OK[name](argFolded)) continue;
        const lead = /^[\s:：=]*/.exec(argFolded)![0].length;
        if (!best || w.length > best.len) best = { name, arg: t.slice(w.length + lead).trim(), len: w.length };
      }
    }
  }
  return best && { name: best.name, arg: best.arg };
}

/**
 * A button's action as the words that do the same when typed: for channels whose buttons can only
 * send text back (DingTalk), and for showing a button as a numbered option.
 *
 * @example actionAsText({ type: 'command', command: 'edit', arg: '本年实际支出数' }) // '修改 本年实际支出数'
 */
export function actionAsText(action: { type: 'answer'; value?: string } | { type: 'command'; command: CommandName; arg?: string }): string {
  if (action.type === 'answer') return action.value ?? '';
  const word = COMMAND_WORDS[action.command][0]!;
  return action.arg ? `${word} ${action.arg}` : word;
}

/** True when the text after 设置 names a role or an assignment mode (otherwise "设置 …" may be an answer). */
export function isSetRoleArgument(arg: string): boolean {
  const a = arg.trim();
  return SET_ROLE_ARGUMENTS.some((w) => a.startsWith(w));
}
