/**
 * Four units' evaluations for the bureau overview's tests (汇总): created in their own chats by their
 * organisers through the real bot, then given answers of seed 002 in four states of completion.
 */
import { loadBuiltinFramework } from '../../src/core/framework/builtin';
import type { Answers } from '../../src/core/scoring/answers';
import { validateAnswers } from '../../src/core/scoring/validate';
import { ANSWERS_002 } from './answers-002';
import { createTranscript, type Transcript } from './transcript';

/** The units, their chats and organisers. */
export const UNITS = {
  data: { unit: '南京市数据局', chatId: 'chat-data', organiser: '张三' },
  finance: { unit: '南京市财政局', chatId: 'chat-fin', organiser: '李四' },
  audit: { unit: '南京市审计局', chatId: 'chat-audit', organiser: '赵六' },
  stats: { unit: '南京市统计局', chatId: 'chat-stat', organiser: '王五' },
} as const;
export type UnitName = keyof typeof UNITS;
/** Someone in the bureau's chat who organises none of the units. */
export const BUREAU = '孙八';

function fullAnswers(): Answers {
  const v = validateAnswers(loadBuiltinFramework('nanjing-2021')!, ANSWERS_002);
  if (!v.ok) throw new Error(v.problems.join('\n'));
  return v.answers;
}

/** Answers for each unit: 002 complete; complete but with three items not done; all but one item; only the facts. */
function answersOf(name: UnitName): Answers {
  const a = fullAnswers();
  if (name === 'finance') for (const code of ['A11', 'A12', 'A21']) a.judgements![code] = { value: false, reason: '未做到' };
  if (name === 'audit') delete a.judgements!['A11'];
  if (name === 'stats') {
    a.judgements = {};
    a.keyTasks = {};
  }
  return a;
}

/** Four units' evaluations created in their own chats by their organisers, with the answers above. */
export async function fourUnits(t: Transcript = createTranscript()): Promise<{ t: Transcript; ids: Record<UnitName, string> }> {
  const ids = {} as Record<UnitName, string>;
  for (const [name, u] of Object.entries(UNITS) as Array<[UnitName, (typeof UNITS)[UnitName]]>) {
    await t.say(u.organiser, `新建自评 ${u.unit} 2024 框架=nanjing-2021`, { chatId: u.chatId });
    const id = (await t.store.evaluationIdForChat(u.chatId))!;
    await t.store.updateEvaluation(id, (r) => {
      r.answers = answersOf(name);
    });
    ids[name] = id;
  }
  return { t, ids };
}

