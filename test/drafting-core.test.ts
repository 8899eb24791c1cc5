/**
 * Report drafting (issue #16), the core: the facts a section is drafted from (002 scored as
 * published), the figure check every draft passes through, reading a model's reply, and the retry
 * loop with an in-process drafter.
 */
import { describe, expect, it } from 'vitest';
import prompt from '../prompts/draft-section.json';
import { sectionFacts, draftPromptVariables } from '../src/core/drafting/facts';
import { allowedFigures, checkFigures, extractFigures } from '../src/core/drafting/figures';
import { produceDraft, readDraftReply, type DraftRequest, type SectionDrafter } from '../src/core/drafting/draft';
import { loadAnswers002, reportInput002 } from './helpers/report';

const facts002 = (key = 'problems') => sectionFacts(reportInput002(), key)!;

/** A drafter that replies with these texts in turn, recording what it was asked. */
function scripted(replies: Array<string | null | Error>): SectionDrafter & { requests: DraftRequest[] } {
  const requests: DraftRequest[] = [];
  const drafter = async (req: DraftRequest) => {
    requests.push(req);
    const r = replies[Math.min(requests.length - 1, replies.length - 1)]!;
    if (r instanceof Error) throw r;
    return r === null ? null : { text: r };
  };
  return Object.assign(drafter, { requests });
}

describe('reading the figures of a text', () => {
  it('reads decimals, thousands, percentages, money and counting Chinese numerals', () => {
    const found = extractFigures('预算执行率为85.72%，支出5,959.46万元（59594600元），百分之九十以上；五个处室、十一项制度，共两次。');
    expect(found.map((f) => [f.value, f.unit ?? ''])).toEqual([
      ['85.72', '%'],
      ['5959.46', '万元'],
      ['59594600', '元'],
      ['90', '%'],
      ['5', ''],
      ['11', ''],
      ['2', ''],
    ]);
  });

  it('leaves list numbers, ordinals, enumerations, articles and set phrases alone', () => {
    const text = '1. 树牢“四个意识”，落实“三重一大”。\n2、（一）一是建立一套制度；二是第三季度开展；（3）进一步统一认识，十分重视。';
    expect(extractFigures(text)).toEqual([]);
  });
});

describe('the figure check against 002', () => {
  const allowed = facts002().allowed;

  it('passes a draft that restates the state’s figures, however written', () => {
    const draft = [
      '2024年部门预算执行率为85.72%，低于90%，预算编制科学规范扣1分，部门预算执行率扣0.5分。',
      '本年实际支出59594600元，即0.595946亿元；满意度为百分之九十七点一五。',
      '自评总分98.50分，等级为优秀；内设十一个处室，实有在职71人。2025年将加快预算执行。',
    ].join('\n');
    expect(checkFigures(draft, allowed)).toEqual({ ok: true });
  });

  it('rejects a draft with a figure that is not in the state, naming it', () => {
    const check = checkFigures('2024年预算执行率为85.7%，较上年提高3.2个百分点，共开展六次培训，于2019年成立。', allowed);
    expect(check.ok).toBe(false);
    expect(check.ok ? [] : check.unknown.map((f) => f.text)).toEqual(['85.7%', '3.2', '六次', '2019']);
  });

  it('takes the evaluated year and the years beside it, and years the answers name', () => {
    expect(checkFigures('2023年、2024年、2025年', allowed)).toEqual({ ok: true });
    expect(checkFigures('2026年', allowed).ok).toBe(false);
    // A year only a document number names (宁数党发〔2024〕1号) is the state's too.
    expect(checkFigures('2026年', allowedFigures(['宁数党发〔2026〕1号'])).ok).toBe(true);
  });

  it('does not take a provisional total as a figure to state', () => {
    const data = loadAnswers002() as { judgements: Record<string, unknown> };
    delete data.judgements['A11'];
    const input = reportInput002(data);
    expect(input.result.complete).toBe(false);
    const facts = sectionFacts(input, 'problems')!;
    expect(facts.scores[0]).toContain('总分和等级尚未确定');
    const total = String(input.result.total);
    // The provisional total is stated nowhere else in this state.
    expect(checkFigures(`自评总分${total}分。`, facts.allowed).ok).toBe(false);
    expect(checkFigures(`自评总分${total}分。`, facts002().allowed).ok).toBe(total === '98.5');
  });
});

describe('the facts of a section', () => {
  it('holds the figures, scores, deductions and written sections of the state, and no names of people', () => {
    const f = facts002('problems');
    expect(f.title).toBe('存在问题及原因分析');
    expect(f.figures).toContain('预算执行率：85.72%（5959.46 ÷ (6091.91 + 860.29)）');
    expect(f.scores[0]).toBe('总分：98.5分（基础分97.5分，加分1分，减分0分）；等级：优秀');
    expect(f.deductions).toContain('预算编制科学规范：扣1分。预算执行率85.72%，低于90%');
    expect(f.current).toContain('绩效预算理念尚未牢固树立');
    expect(f.narratives.some((n) => n.startsWith('【部门基本情况】') && n.includes('实有在职71人'))).toBe(true);
    const vars = draftPromptVariables(f, '');
    expect(Object.keys(vars).sort()).toEqual(Object.keys(prompt.variables).sort());
    expect(vars.narratives!.startsWith('【本部分现有内容】')).toBe(true);
  });

  it('is undefined for a section the framework does not have', () => {
    expect(sectionFacts(reportInput002(), 'nope')).toBeUndefined();
  });

  it('the prompt’s own example passes the figure check against its variables', () => {
    const vars = prompt.example.variables as Record<string, string>;
    expect(checkFigures(prompt.example.output, allowedFigures(Object.values(vars), [], [Number(vars.year)]))).toEqual({ ok: true });
  });
});

describe('reading a model’s reply', () => {
  it('takes body text, dropping a title line and bold marks', () => {
    expect(readDraftReply('一、存在问题及原因分析\n**一是**预算执行进度有待加快，部分项目执行偏慢。', '存在问题及原因分析')).toEqual({
      ok: true,
      text: '一是预算执行进度有待加快，部分项目执行偏慢。',
    });
  });

  it('discards what the prompt did not ask for', () => {
    const title = '存在问题及原因分析';
    expect(readDraftReply('', title)).toMatchObject({ ok: false, reason: 'empty' });
    expect(readDraftReply('{"text": "预算执行进度有待加快，部分项目执行偏慢。"}', title)).toMatchObject({ ok: false, reason: 'not_prose' });
    expect(readDraftReply('The budget execution rate was low and needs improvement this year.', title)).toMatchObject({ ok: false, reason: 'too_short' });
    expect(readDraftReply('以下是草稿：预算执行进度有待加快，部分项目执行偏慢。', title)).toMatchObject({ ok: false, reason: 'meta' });
    expect(readDraftReply('本部门共有XX个处室，预算执行进度有待加快。', title)).toMatchObject({ ok: false, reason: 'meta' });
    expect(readDraftReply('好的。', title)).toMatchObject({ ok: false, reason: 'too_short' });
  });
});

describe('drafting with retries', () => {
  const good = '一是预算执行进度有待加快。2024年部门预算执行率为85.72%，低于90%。\n二是绩效管理闭环有待完善，事前评估充分性不足。';

  it('discards a draft that invents a figure, says why on the retry, and takes the next good one', async () => {
    const drafter = scripted(['一是预算执行进度有待加快。2024年部门预算执行率为86%，较上年下降4.1个百分点。', good]);
    const log: Array<[string, Record<string, unknown>]> = [];
    const out = await produceDraft(facts002(), drafter, { log: (e, f) => log.push([e, f]) });
    expect(out).toEqual({ ok: true, text: good, attempts: 2 });
    expect(log).toEqual([['draft_discarded', { section: 'problems', attempt: 1, reason: 'invented_figure', figures: ['86%', '4.1'] }]]);
    expect(drafter.requests.map((r) => r.variables.feedback)).toEqual(['', expect.stringContaining('86%、4.1')]);
  });

  it('gives up after the attempts when every draft invents a figure', async () => {
    const drafter = scripted(['预算执行率为86%，执行进度有待加快。']);
    const log: string[] = [];
    const out = await produceDraft(facts002(), drafter, { attempts: 3, log: (e, f) => log.push(`${e}:${f.reason}`) });
    expect(out).toEqual({ ok: false, reason: 'rejected', attempts: 3 });
    expect(drafter.requests).toHaveLength(3);
    expect(log).toEqual(['draft_discarded:invented_figure', 'draft_discarded:invented_figure', 'draft_discarded:invented_figure']);
  });

  it('discards a nonsense reply with a log line that holds no text of it', async () => {
    const drafter = scripted(['As an AI language model, I cannot write this section.', good]);
    const log: Array<Record<string, unknown>> = [];
    const out = await produceDraft(facts002(), drafter, { log: (_e, f) => log.push(f) });
    expect(out.ok).toBe(true);
    expect(log).toEqual([{ section: 'problems', attempt: 1, reason: 'too_short', chars: 53 }]);
  });

  it('stops at once when there is no model to ask, it fails, or it does not answer in time', async () => {
    expect(await produceDraft(facts002(), scripted([null]))).toEqual({ ok: false, reason: 'unavailable', attempts: 1 });
    expect(await produceDraft(facts002(), scripted([new Error('503')]))).toEqual({ ok: false, reason: 'unavailable', attempts: 1 });
    const never: SectionDrafter = () => new Promise(() => {});
    expect(await produceDraft(facts002(), never, { timeoutMs: 5 })).toEqual({ ok: false, reason: 'timeout', attempts: 1 });
  });
});
