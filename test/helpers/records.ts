/** Test helpers: minimal evaluation records. */
import { createAnswers } from '../../src/core/scoring/answers';
import type { EvaluationRecord } from '../../src/store/port';

/** A fresh evaluation record bound to `chatIds`. */
export function makeEvaluation(id: string, chatIds: string[] = [`chat-${id}`], overrides: Partial<EvaluationRecord> = {}): EvaluationRecord {
  const at = '2025-01-01T00:00:00.000Z';
  return {
    id,
    unit: '南京市数据局',
    year: 2024,
    frameworkId: 'nanjing-2021',
    chatIds,
    organisers: ['u1'],
    assignments: {},
    members: { u1: { name: '张三' } },
    answers: createAnswers(),
    sessions: {},
    createdAt: at,
    updatedAt: at,
    revision: 0,
    ...overrides,
  };
}
