/**
 * The report reads as official prose: no chat wording leaks into it. Every example evaluation of the
 * built-in frameworks is scored and built, and the whole document text (cover, contents, body, annex)
 * is searched for the marks of chat: 「」 quoting, questions, exclamations, requests to the reader.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { buildReport } from '../src/core/report/index';
import { readDocx, reportInputFor } from './helpers/report';

const EXAMPLES = readdirSync('templates/examples')
  .filter((f) => f.endsWith('.json'))
  .map((f) => join('templates/examples', f));

/**
 * Marks of chat in a document: quoting as the bot quotes labels, questions, exclamations, talking to the
 * reader (请确认, 您, 发送「…」). 请示, 申请 and 回复 as official words (请示的事项, 办理回复) are prose.
 */
const CHAT_MARKS = [/[「」『』]/, /[？?！!]/, /请(确认|回复|发送|选择|输入|说明|填写|告诉|按|核对|补充|上传|稍后|先)/, /您/, /(发送|回复|输入)[「“"]/];

/** All the text of a .docx: every w:t of the document and its footers. */
async function documentText(bytes: Uint8Array): Promise<string> {
  const doc = await readDocx(bytes);
  const texts = [doc.document, ...doc.footers].flatMap((xml) => [...xml.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)].map((m) => m[1]!));
  return texts.join('\n');
}

describe('report prose', () => {
  it('covers every built-in framework with an example', () => {
    const frameworks = new Set(EXAMPLES.map((f) => reportInputFor(f).framework.id));
    for (const id of ['nanjing-2021', 'nanjing-2020', 'guangdong-2020', 'goal-rate']) {
      expect(loadBuiltinFramework(id), id).toBeDefined();
      expect(frameworks.has(id), id).toBe(true);
    }
  });

  it.each(EXAMPLES)('has no chat wording: %s', async (file) => {
    const input = reportInputFor(file);
    expect(input.result.complete).toBe(true);
    const text = await documentText((await buildReport(input)).bytes);
    expect(text.length).toBeGreaterThan(2000);
    const leaks = text.split('\n').filter((t) => CHAT_MARKS.some((m) => m.test(t)));
    expect(leaks).toEqual([]);
  });

  it('states a graded finding in the framework’s report wording, or after 经评价 without quoting the label', async () => {
    // 002: B62 工作开展情况 graded 部分环节不充分, worded by nanjing-2021.
    const nanjing = await documentText((await buildReport(reportInputFor('templates/examples/nanjing-2021-data-bureau-2024.json'))).bytes);
    expect(nanjing).toContain('事前评估、目标管理、跟踪评价、自评价和整改落实部分环节开展不充分（事前评估充分性不足）');
    expect(nanjing).not.toContain('评价为');
    // The key tasks of goal-rate carry their own levels, without a report wording.
    const goals = await documentText((await buildReport(reportInputFor('templates/examples/goal-rate-gaoxin-office-2023.json'))).bytes);
    expect(goals).toContain('经评价，全部达到目标值');
  });
});
