/** Test helpers for reminders: a small evaluation (three yes/no items in two sections) carrying its framework. */
import type { FrameworkInput } from '../../src/core/framework/schema';
import type { EvaluationRecord } from '../../src/store/port';
import { miniFrameworkData } from './mini-framework';
import { makeEvaluation } from './records';

const judge = (question: string) => ({ kind: 'judgement' as const, question, yes: '是', no: '否' });

/** A: 部门管理 (A1 制度建设, A2 资产管理), B: 履职效能 (B1 重点工作); no facts or metrics. */
export function reminderFramework(): FrameworkInput {
  return miniFrameworkData(
    [
      { code: 'A', name: '部门管理', points: 20, children: [{ code: 'A1', name: '制度建设', points: 10, rule: judge('是否建立制度？') }, { code: 'A2', name: '资产管理', points: 10, rule: judge('是否盘点资产？') }] },
      { code: 'B', name: '履职效能', points: 10, children: [{ code: 'B1', name: '重点工作', points: 10, rule: judge('是否完成重点工作？') }] },
    ] as FrameworkInput['indicators'],
    { id: 'mini-reminders', facts: [], metrics: [] },
  );
}

/** An evaluation of that framework: organiser u1 (张三), u2 (李四) assigned 部门管理, created `createdAt`. */
export function reminderEvaluation(id: string, chatIds: string[], overrides: Partial<EvaluationRecord> = {}): EvaluationRecord {
  return makeEvaluation(id, chatIds, {
    frameworkId: 'mini-reminders',
    framework: reminderFramework(),
    members: { u1: { name: '张三' }, u2: { name: '李四' } },
    assignments: { A: ['u2'] },
    createdAt: '2025-09-01T00:00:00.000Z',
    ...overrides,
  });
}
