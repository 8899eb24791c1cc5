/**
 * The report's 落款日期: an organiser sets it in the chat (落款 2025-03-31), it is audited, every report
 * built afterwards (the chat's 报告 and the console's download) carries it on the cover, and without it
 * the report is dated the day it is generated.
 */
import { describe, expect, it } from 'vitest';
import { createBot } from '../src/app/bot';
import { loadConfig } from '../src/config';
import { reportDateOf } from '../src/core/evaluation';
import type { Reply } from '../src/core/messages';
import { createApp } from '../src/server/app';
import { createMemoryStore } from '../src/store/memory';
import { readDocx } from './helpers/report';
import { makeEvaluation } from './helpers/records';
import { createTranscript, replyText, type Transcript } from './helpers/transcript';

const CREATE = '新建自评 南京市数据局 2024 框架=nanjing-2021';

/** The unit and date lines of the cover of the report among the replies. */
async function coverInfo(replies: Reply[]): Promise<string[]> {
  const file = replies.find((r) => r.kind === 'file');
  if (!file || file.kind !== 'file') throw new Error(`no report in ${replies.map(replyText).join('\n')}`);
  const doc = await readDocx(file.bytes);
  return doc.body.flatMap((b) => (b.type === 'p' && b.style === 'ReportCoverInfo' ? [b.text] : []));
}

async function created(): Promise<Transcript> {
  // The clock says May 2025: a report built without a 落款日期 is dated 二〇二五年五月.
  const t = createTranscript({ start: '2025-05-10T01:00:00Z' });
  expect(await t.ask('张三', CREATE)).toContain('已创建');
  return t;
}

const record = async (t: Transcript) => (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;

describe('落款日期', () => {
  it('defaults to the generation date, and an organiser sets it for every report after', async () => {
    const t = await created();
    expect(await coverInfo(await t.say('张三', '报告'))).toEqual(['南京市数据局', '二〇二五年五月']);

    expect(await t.ask('李四', '落款 2025-03-31')).toContain('只有组织者');
    expect((await record(t)).reportDate).toBeUndefined();

    expect(await t.ask('张三', '落款 2025-03-31')).toContain('报告落款日期已设为 2025-03-31');
    const rec = await record(t);
    expect(rec.reportDate).toBe('2025-03-31');
    const trail = (await t.store.listAudit(rec.id)).filter((e) => e.path === 'reportDate');
    expect(trail).toMatchObject([{ userId: 'u-zhangsan', new: '2025-03-31' }]);
    expect(trail[0]!.old).toBeUndefined();

    expect(await coverInfo(await t.say('张三', '报告'))).toEqual(['南京市数据局', '二〇二五年三月']);
    // Anyone's 报告 uses it, not only the organiser's.
    expect(await coverInfo(await t.say('李四', '报告'))).toEqual(['南京市数据局', '二〇二五年三月']);
  });

  it('takes the alias 落款日期 and Chinese dates; a day without a year is in the year after the evaluated one', async () => {
    const t = await created();
    expect(await t.ask('张三', '落款日期 2025年6月1日')).toContain('已设为 2025-06-01');
    expect(await t.ask('张三', '落款：4月30日')).toContain('已设为 2025-04-30');
    expect((await record(t)).reportDate).toBe('2025-04-30');
    const trail = (await t.store.listAudit((await record(t)).id)).filter((e) => e.path === 'reportDate');
    expect(trail.map((e) => [e.old, e.new])).toEqual([
      [undefined, '2025-06-01'],
      ['2025-06-01', '2025-04-30'],
    ]);
  });

  it('refuses what is not a date, or a date before the evaluated year, and keeps the date it had', async () => {
    const t = await created();
    await t.say('张三', '落款 2025-03-31');
    for (const bad of ['落款 2025-02-30', '落款 下个月', '落款 2025-03-31 之前', '落款 2023-12-31']) {
      const reply = await t.ask('张三', bad);
      expect(reply, bad).toContain('用法：落款 2025-03-31');
      expect(reply, bad).not.toContain('已设为');
    }
    expect(await t.ask('张三', '落款 2023-12-31')).toContain('早于评价年度 2024 年');
    expect((await record(t)).reportDate).toBe('2025-03-31');
  });

  it('says what it is when asked, and 落款 默认 goes back to the generation date', async () => {
    const t = await created();
    expect(await t.ask('张三', '落款')).toContain('未设置，默认为生成报告当天');
    await t.say('张三', '落款 2025-03-31');
    expect(await t.ask('张三', '落款日期')).toContain('报告落款日期：2025-03-31');
    expect(await t.ask('张三', '落款 默认')).toContain('已恢复默认');
    const rec = await record(t);
    expect(rec.reportDate).toBeUndefined();
    expect((await t.store.listAudit(rec.id)).filter((e) => e.path === 'reportDate').at(-1)).toMatchObject({ old: '2025-03-31' });
    expect(await coverInfo(await t.say('张三', '报告'))).toEqual(['南京市数据局', '二〇二五年五月']);
  });

  it('is listed in the organiser help only', async () => {
    const t = await created();
    expect(await t.ask('张三', '帮助')).toContain('落款 <日期>');
    expect(await t.ask('李四', '帮助')).not.toContain('落款');
  });

  it('dates the console download too', async () => {
    const store = createMemoryStore();
    const dates: Date[] = [];
    const app = createApp({
      store,
      bot: createBot({ store }),
      config: loadConfig({}),
      now: () => new Date(2025, 6, 15, 10),
      buildReport: async (input) => {
        dates.push(input.date!);
        return { bytes: new Uint8Array([1]), missing: [] };
      },
    });
    await store.createEvaluation(makeEvaluation('ev-a', ['g-a']));
    await store.createEvaluation(makeEvaluation('ev-b', ['g-b'], { reportDate: '2025-03-31' }));
    const local = { incoming: { socket: { remoteAddress: '127.0.0.1' } } };
    for (const id of ['ev-a', 'ev-b']) expect((await app.request(`/api/evaluations/${id}/report.docx`, {}, local)).status).toBe(200);
    expect(dates.map((d) => [d.getFullYear(), d.getMonth() + 1, d.getDate()])).toEqual([
      [2025, 7, 15],
      [2025, 3, 31],
    ]);
  });

  it('reads only a whole YYYY-MM-DD day from the record', () => {
    const now = new Date(2025, 4, 10);
    expect(reportDateOf({ reportDate: '2025-03-31' }, now).getMonth()).toBe(2);
    expect(reportDateOf({}, now)).toBe(now);
    expect(reportDateOf({ reportDate: 'soon' }, now)).toBe(now);
  });
});
