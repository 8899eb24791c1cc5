/**
 * What is shown without changing anything: the short help and the help card (得分, 扣分, 进度 and 对比
 * are in glance.ts).
 */
import type { Reply } from '../messages';
import { assistantText as AT, dialogText as T, draftingText as DT, roleText as RT } from '../locale/zh-CN';
import { COMMAND_WORDS, type CommandName } from './commands';
import type { Role } from '../roles';
import { commandButton } from './replies';

export function shortHelp(): Reply {
  return {
    kind: 'card',
    title: T.shortHelpTitle,
    text: T.shortHelp,
    buttons: [commandButton(T.continueButton, 'start'), commandButton(T.scoreButton, 'score'), commandButton(T.helpButton, 'help')],
  };
}

export function helpCard(role: Role): Reply {
  const w = (name: CommandName) => COMMAND_WORDS[name][0]!;
  if (role === 'leader') return { kind: 'card', title: T.helpTitle, text: RT.leaderHelpLines.join('\n'), buttons: [commandButton(T.scoreButton, 'score')] };
  const lines = [...T.helpLines(w), DT.helpLine(w('draftSection'))];
  if (role === 'organiser') lines.push(...T.organiserHelpLines(w), ...RT.organiserRoleHelpLines(w), AT.helpLine(w('assistantOn'), w('assistantOff')));
  return { kind: 'card', title: T.helpTitle, text: lines.join('\n'), buttons: [commandButton(T.continueButton, 'start')] };
}
