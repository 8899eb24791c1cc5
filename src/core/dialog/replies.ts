/** Small builders for the replies the dialog sends. */
import type { Button, Reply } from '../messages';
import type { CommandName } from './commands';
import type { EvaluationRecord } from '../evaluation';
import { dialogText as T } from '../locale/zh-CN';

/** A text reply. */
export const text = (t: string): Reply => ({ kind: 'text', text: t });

/** A button that runs a command by its id (with an argument, e.g. the question key of 修改). */
export const commandButton = (label: string, command: CommandName, arg?: string): Button => ({
  label,
  action: arg === undefined ? { type: 'command', command } : { type: 'command', command, arg },
});

/** "南京市数据局2024年度部门整体绩效自评价" */
export function evaluationTitle(rec: Pick<EvaluationRecord, 'unit' | 'year'>): string {
  return T.evaluationTitle(rec.unit, rec.year);
}
