/**
 * Text as written: what people type is stored and printed verbatim (Chinese punctuation, line breaks);
 * only recognising uses a folded form. Evidence is printed as written, with title marks added only to a
 * document named without them; a section, a reason or a key-task name must contain words, and emoji
 * inside text stay in the record but are left out of the .docx.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recogniseCommand } from '../src/core/dialog/commands';
import {
  cleanText,
  foldText,
  hasWords,
  normaliseText,
  parseChoice,
  parseCount,
  parseDate,
  parseKeyTaskLines,
  parseQuantity,
  parseScore,
  parseYesNo,
  restAfter,
} from '../src/core/dialog/parse';
import type { Reply } from '../src/core/messages';
import { formatEvidence } from '../src/core/report';
import { hasEmoji, markDocumentTitle, printableText } from '../src/core/report/text';
import { dialogText as T } from '../src/core/locale/zh-CN';
import { answer002 } from './helpers/answers-002';
import { readDocx } from './helpers/report';
import { createTranscript, replyText } from './helpers/transcript';

describe('the recognising form is the verbatim form, index for index', () => {
  it('folds full-width forms and odd spaces one unit for one, for any text', () => {
    const piece = fc.constantFrom('９', '７', '．', '％', '，', '；', '（', '）', '：', '。', '！', '？', '“', '”', '\u3000', '\t', ' ', '\n', '\r\n', '\u200b', '\u0007', '👍', '是', 'a', 'Ｙ', '5');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        expect(normaliseText(text)).toHaveLength(cleanText(text).length);
        expect(foldText(cleanText(text))).toBe(normaliseText(text));
      }),
    );
  });

  it('keeps Chinese punctuation, inner spaces and line breaks in the verbatim form, and drops only invisible characters', () => {
    expect(cleanText('\u0000 第一段，（含附件）：见下。\r\n第二段！  两个空格\u200b ')).toBe('第一段，（含附件）：见下。\n第二段！  两个空格');
    expect(normaliseText('９７．８％，ｙｅｓ（１）')).toBe('97.8%,yes(1)');
  });

  it('tells text with words from emoji and punctuation alone', () => {
    expect([hasWords('👍'), hasWords('……！'), hasWords('🎉🎉'), hasWords('好👍'), hasWords('2024'), hasWords('ok')]).toEqual([false, false, false, true, true, true]);
  });
});

describe('the rest after an answer is sliced from what was written', () => {
  it.each([
    [() => parseYesNo('是，《党组工作规则》（试行）；已印发！'), '《党组工作规则》（试行）；已印发！'],
    [() => parseYesNo('否；理由：尚在起草（预计6月）。'), '尚在起草（预计6月）。'],
    [() => parseScore('８分，理由：满意度（抽样）略低；见附件？', 10), '满意度（抽样）略低；见附件？'],
    [() => parseScore('得8分：抽样不足（仅2家）', 10), '抽样不足（仅2家）'],
    [() => parseQuantity('共 5959.46 万元，依据：２０２４年度决算（财政批复）', '万元'), '２０２４年度决算（财政批复）'],
    [() => parseCount('两例，均已整改（见附件：整改报告）'), '均已整改（见附件：整改报告）'],
    [() => parseChoice('2、事前评估充分性不足：未覆盖新增项目（2个）', ['各环节均有效开展', '部分环节不充分', '未开展']), '事前评估充分性不足：未覆盖新增项目（2个）'],
    [() => parseChoice('部分环节不充分，监控“季度”未全覆盖！', ['各环节均有效开展', '部分环节不充分', '未开展']), '监控“季度”未全覆盖！'],
    [() => parseDate('2025年5月31日（周六）', 2025), '（周六）'],
  ])('%#: keeps the remark as written', (parse, rest) => {
    const p = parse();
    expect(p.ok).toBe(true);
    if (p.ok) expect(p.rest).toBe(rest);
  });

  it('skips the separator and a label before the rest, by the folded text', () => {
    expect(restAfter('是，依据：《办法》', 1)).toBe('《办法》');
    expect(restAfter('是，佐证材料：见附件（一）', 1)).toBe('见附件（一）');
    expect(restAfter('是　，　说明：内容', 1)).toBe('内容');
  });

  it('takes a rest without a letter or digit as no remark', () => {
    expect(parseYesNo('是！').ok && parseYesNo('是！')).toMatchObject({ rest: '' });
    expect(parseYesNo('是👍').ok && parseYesNo('是👍')).toMatchObject({ rest: '' });
    expect(parseScore('8 😢', 10)).toMatchObject({ ok: true, rest: '' });
  });

  it('keeps key-task names as written and refuses a name without words', () => {
    expect(parseKeyTaskLines('1. 数据归集（一期）：4分\n热线工作（5分）；“一网通办”改革 6')).toEqual({
      ok: true,
      value: [
        { name: '数据归集（一期）', points: 4 },
        { name: '热线工作', points: 5 },
        { name: '“一网通办”改革', points: 6 },
      ],
      rest: '',
    });
    const p = parseKeyTaskLines('党建工作 4分\n👍👍 5分');
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error).toBe(T.keyTaskNameNoWords('👍👍 5分'));
  });

  it('recognises a command in full-width forms and gives its argument as written', () => {
    expect(recogniseCommand('不适用 Ｂ４ 本单位无政府采购业务（已报备）')).toEqual({ name: 'notApplicable', arg: 'Ｂ４ 本单位无政府采购业务（已报备）' });
    expect(recogniseCommand('ｈｅｌｐ')).toEqual({ name: 'help', arg: '' });
    expect(recogniseCommand('修改：Ａ１１')).toEqual({ name: 'edit', arg: 'Ａ１１' });
  });
});

describe('evidence as written, title marks only for a document named without them', () => {
  it.each([
    ['南京市数据局预算管理办法', '《南京市数据局预算管理办法》'],
    ['南京市数据局预算管理办法。', '《南京市数据局预算管理办法》'],
    ['关于印发南京市数据局政府采购管理办法的通知', '《关于印发南京市数据局政府采购管理办法的通知》'],
    ['预算绩效管理办法（试行）', '《预算绩效管理办法（试行）》'],
    ['预算绩效管理办法（试行）（宁数发〔2024〕3号）', '《预算绩效管理办法（试行）》（宁数发〔2024〕3号）'],
    ['党组工作规则（宁数党发〔2024〕1号）', '《党组工作规则》（宁数党发〔2024〕1号）'],
    ['财务管理规定、国有资产管理规定', '《财务管理规定》、《国有资产管理规定》'],
    ['内部控制手册', '《内部控制手册》'],
  ])('marks %s', (written, printed) => {
    expect(markDocumentTitle(written)).toBe(printed);
  });

  it.each([
    '已在双平台公开',
    '已在“双平台”公开（市财政局网站、部门网站）',
    '见附件',
    '已制定预算管理办法',
    '按照采购管理办法执行到位',
    '《南京市数据局预算管理办法》',
    '《中共南京市数据局党组工作规则》（宁数党发〔2024〕1号）',
    '《党组工作规则》宁数党发〔2024〕1号',
    '关于印发《中共南京市数据局党组工作规则》的通知',
    '预算管理办法，采购管理办法',
    '办法',
    '财务管理规定、见附件',
    '2024年度部门决算报表（财政批复）',
    '管理办法（另见附件）',
  ])('keeps %s as written', (written) => {
    expect(markDocumentTitle(written)).toBe(written);
  });

  it('prints string evidence by the rule and a declared title always marked', () => {
    expect(formatEvidence('已在双平台公开')).toBe('已在双平台公开');
    expect(formatEvidence('《南京市数据局预算管理办法》宁数发〔2024〕3号')).toBe('《南京市数据局预算管理办法》宁数发〔2024〕3号');
    expect(formatEvidence({ title: '关于印发《中共南京市数据局党组工作规则》的通知', docNo: '宁数党发〔2024〕1号' })).toBe(
      '《关于印发〈中共南京市数据局党组工作规则〉的通知》（宁数党发〔2024〕1号）',
    );
  });
});

describe('emoji: kept in the record, left out of the .docx', () => {
  it('finds emoji but not the symbols the official fonts have', () => {
    for (const e of ['👍', '🎉', '❤️', '👨‍👩‍👧', '👍🏻', '🇨🇳', '1️⃣', '✅']) expect(hasEmoji(`好${e}`), e).toBe(true);
    for (const s of ['★', '☆', '©', '®', '™', '√', '→', '①', '“一网通办”', '〔2024〕']) expect(hasEmoji(s), s).toBe(false);
  });

  it('leaves emoji out and closes up the spaces around them, the rest as written', () => {
    expect(printableText('成效明显👍。')).toBe('成效明显。');
    expect(printableText('完成 👍 任务')).toBe('完成 任务');
    expect(printableText('👍 开头\n结尾 🎉')).toBe('开头\n结尾');
    expect(printableText('家庭👨‍👩‍👧‍👦和❤️都去掉，★☆保留')).toBe('家庭和都去掉，★☆保留');
    expect(printableText('（无表情）：原样；')).toBe('（无表情）：原样；');
  });
});

/** The question a reply set asks, if any. */
function questionOf(replies: Reply[]) {
  for (const r of replies) if (r.kind !== 'file' && r.question) return r.question;
  return undefined;
}

describe('text as written through the real bot, into the .docx', () => {
  /** 002's answers, with these replies typed the way people type them. */
  const typed: Record<string, string> = {
    'judgement:A11': '是，依据：《中共南京市数据局党组工作规则》（宁数党发〔2024〕1号）',
    'judgement:A42': '是，南京市数据局预算管理办法。',
    'judgement:B14': '是，已在“双平台”公开（市财政局网站、部门网站）',
    'judgement:B12': '否，受机构改革等因素影响；部分项目（如“宁企通”二期）延至2025年实施！',
    'judgement:B62': '部分环节不充分，事前评估充分性不足：未覆盖新增项目（2个）',
    'fact:spending': '５９５９．４６万元，依据：2024年度部门决算报表（财政批复）',
  };
  const PARA1 = '2024年，原市政务服务管理办公室与原市大数据管理局合并组建市数据局（以下简称“市数据局”）；主要职能：数据和政务服务管理！';
  const PARA2 = '至2024年12月31日，行政编制数69人，实有在职71人？资产总额19248.69万元。';

  it('stores and prints answers with Chinese punctuation, evidence with and without title marks, and refuses an emoji-only section', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 南京市数据局（试点） 2024 框架=nanjing-2021');
    let replies = await t.say('张三', '开始');
    const refusals: string[] = [];
    for (let i = 0; i < 140; i++) {
      const q = questionOf(replies);
      if (!q) break;
      if (q.key === 'keyTasks:C1') {
        replies = await t.say('张三', answer002(q).replace('党建工作 4分', '党建工作（含党风廉政建设）：4分'));
      } else if (q.key === 'narrative:basicInfo') {
        // An emoji alone is not a section: refused with the reason, then the text in two messages.
        refusals.push((await t.say('张三', '👍')).map(replyText).join('\n'));
        refusals.push((await t.say('张三', '🎉🎉\n完成')).map(replyText).join('\n'));
        await t.say('张三', PARA1);
        replies = await t.say('张三', `${PARA2}👍\n完成`);
      } else replies = await t.say('张三', typed[q.key] ?? answer002(q));
    }
    for (const r of refusals) expect(r).toContain(T.narrativeNoWords);
    expect(replies.map(replyText).join('\n')).toContain('98.5');

    const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.unit).toBe('南京市数据局（试点）');
    expect(rec.answers.evidence).toMatchObject({
      A11: '《中共南京市数据局党组工作规则》（宁数党发〔2024〕1号）',
      A42: '南京市数据局预算管理办法。',
      B14: '已在“双平台”公开（市财政局网站、部门网站）',
      spending: '2024年度部门决算报表（财政批复）',
    });
    expect(rec.answers.facts?.spending).toBe(5959.46);
    expect(rec.answers.judgements?.B12).toEqual({ value: false, reason: '受机构改革等因素影响；部分项目（如“宁企通”二期）延至2025年实施！' });
    expect(rec.answers.judgements?.B62).toMatchObject({ reason: '事前评估充分性不足：未覆盖新增项目（2个）' });
    expect(rec.answers.keyTasks?.C1?.[0]?.name).toBe('党建工作（含党风廉政建设）');
    // The record keeps the emoji and the line break between the messages.
    expect(rec.answers.narratives?.basicInfo).toBe(`${PARA1}\n${PARA2}👍`);

    const report = await t.say('张三', '报告');
    const file = report.find((r) => r.kind === 'file');
    if (!file || file.kind !== 'file') throw new Error(`no file in ${report.map(replyText).join('\n')}`);
    const doc = await readDocx(file.bytes);
    const paragraphs = doc.body.flatMap((b) => (b.type === 'p' ? [b.text] : b.rows.flatMap((r) => r.cells.map((c) => c.text))));
    const all = paragraphs.join('\n');
    // Evidence: as written; marks added only to the document named without them; no nested 〈〉.
    expect(all).toContain('《中共南京市数据局党组工作规则》（宁数党发〔2024〕1号）');
    expect(all).not.toContain('〈中共南京市数据局党组工作规则〉');
    expect(all).toContain('《南京市数据局预算管理办法》');
    expect(all).toContain('已在“双平台”公开（市财政局网站、部门网站）');
    expect(all).not.toContain('《已在');
    expect(all).toContain('2024年度部门决算报表（财政批复）');
    // Answers with Chinese punctuation, as typed.
    expect(all).toContain('事前评估充分性不足：未覆盖新增项目（2个）');
    expect(all).toContain('部分项目（如“宁企通”二期）延至2025年实施！');
    expect(all).toContain('党建工作（含党风廉政建设）');
    expect(all).toContain('南京市数据局（试点）');
    expect(all).not.toMatch(/党建工作\(|新增项目\(2个\)|南京市数据局\(试点\)/);
    // The section: its two paragraphs as written, the emoji left out.
    expect(paragraphs).toContain(PARA1);
    expect(paragraphs).toContain(PARA2);
    expect(doc.document).not.toContain('👍');
  });
});

describe('reasons and names must contain words', () => {
  it('keeps a not-applicable reason as written, found by a full-width code, and asks again for one without words', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 某市政府办公室 2020 框架=guangdong-2020');
    expect(await t.ask('张三', '不适用 D12 👍')).toContain('请写明');
    expect(await t.ask('张三', '不适用 Ｄ１２ “三公”经费由机关事务管理局统一反映（见附件）')).toContain('已将「“三公”经费控制」标记为不适用');
    const rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.notApplicable).toEqual({ D12: '“三公”经费由机关事务管理局统一反映（见附件）' });
  });

  it('asks again for a penalty whose reason is only an emoji, and keeps a written one as typed', async () => {
    const t = createTranscript();
    await t.say('张三', '新建自评 南京市数据局 2024 框架=nanjing-2021');
    let replies = await t.say('张三', '开始');
    for (let i = 0; i < 120; i++) {
      const q = questionOf(replies);
      if (!q || q.key === 'penalty') break;
      replies = await t.say('张三', answer002(q));
    }
    expect(questionOf(replies)?.key).toBe('penalty');
    expect(await t.ask('张三', '1 😢')).toContain(T.reasonNeeded);
    let rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.penalties).toBeUndefined();
    expect(await t.ask('张三', '扣0.5分，某处室（二处）公务卡使用不规范，已整改！')).toContain('已记录减分事项');
    rec = (await t.store.getEvaluation((await t.store.evaluationIdForChat('group-1'))!))!;
    expect(rec.answers.penalties).toEqual([{ points: 0.5, reason: '某处室（二处）公务卡使用不规范，已整改！' }]);
  });
});
