/** Small builders for the replies the dialog sends. */
import type { Button, Reply } from '../../channels/types';
import type { EvaluationRecord } from '../evaluation';
import { dialogText as T } from '../locale/zh-CN';

/** A text reply. */
export const text = (t: string): Reply => ({ kind: 'text', text: t });

/** A button that sends a command. */
export const commandButton = (label: string, command: string): Button => ({ label, action: { type: 'command', command } });

/** "南京市数据局2024年度部门整体绩效自评价" */
export function evaluationTitle(rec: Pick<EvaluationRecord, 'unit' | 'year'>): string {
  return T.evaluationTitle(rec.unit, rec.year);
}
