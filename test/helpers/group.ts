/**
 * A small group evaluation for role and hold tests: four yes/no items (A1–A4, one point each) and a
 * key-task slot (B1, two points) that only organisers fill in. 张三 organises it in `group-1`.
 */
import type { FrameworkInput } from '../../src/core/framework/schema';
import type { EvaluationRecord } from '../../src/core/evaluation';
import type { Store } from '../../src/store/port';
import { miniFrameworkData } from './mini-framework';
import { makeEvaluation } from './records';
import { PEOPLE } from './transcript';

const yesNo = (question: string) => ({ kind: 'judgement' as const, question, yes: '是', no: '否' });

/** The framework: A 部门管理 (A1–A4) and B 重点工作 (B1, a key-task slot). */
export const GROUP_FRAMEWORK: FrameworkInput = miniFrameworkData(
  [
    {
      code: 'A',
      name: '部门管理',
      points: 4,
      children: [
        { code: 'A1', name: '制度建设', points: 1, rule: yesNo('是否建立内部管理制度？') },
        { code: 'A2', name: '资产管理', points: 1, rule: yesNo('是否建立资产台账？') },
        { code: 'A3', name: '信息公开', points: 1, rule: yesNo('是否按规定公开预算？') },
        { code: 'A4', name: '政府采购', points: 1, rule: yesNo('是否执行政府采购制度？') },
      ],
    },
    {
      code: 'B',
      name: '重点工作',
      points: 2,
      children: [{ code: 'B1', name: '年度重点工作', points: 2, keyTasks: { question: '请列出本年度的重点工作及分值（合计2分），每行一项，如：党建工作 1分', kinds: ['judgement'] } }],
    },
  ],
  { facts: [], metrics: [] },
);

/** Creates the evaluation (organiser 张三, bound to `group-1`) in the store and returns it. */
export async function createGroupEvaluation(store: Store, overrides: Partial<EvaluationRecord> = {}): Promise<EvaluationRecord> {
  const rec = makeEvaluation('ev-group', ['group-1'], {
    unit: '测试单位',
    frameworkId: GROUP_FRAMEWORK.id,
    framework: GROUP_FRAMEWORK,
    organisers: [PEOPLE['张三']!],
    members: { [PEOPLE['张三']!]: { name: '张三' } },
    ...overrides,
  });
  await store.createEvaluation(rec);
  return rec;
}
