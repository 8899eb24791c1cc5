/** Answers parsed the way people type them. */
import { describe, expect, it } from 'vitest';
import { recogniseCommand } from '../src/core/dialog/commands';
import {
  normaliseText,
  parseChineseNumeral,
  parseChoice,
  parseChoices,
  parseCount,
  parseDate,
  parseKeyTaskLines,
  parseQuantity,
  parseScore,
  parseYesNo,
} from '../src/core/dialog/parse';

describe('parseQuantity', () => {
  it.each([
    ['6,091.91万元', '万元', 6091.91, ''],
    ['6091.91万', '万元', 6091.91, ''],
    ['60919100元', '万元', 6091.91, ''],
    ['0.609191亿元', '万元', 6091.91, ''],
    ['６０９１．９１', '万元', 6091.91, ''],
    ['5959.46 万元，依据：2024年决算报表', '万元', 5959.46, '2024年决算报表'],
    ['97.8%', '%', 97.8, ''],
    ['９７．８％', '%', 97.8, ''],
    ['-98.44%', '%', -98.44, ''],
    ['十二', '个', 12, ''],
  ])('%s (%s) → %s', (text, unit, value, rest) => {
    const p = parseQuantity(text, unit);
    expect(p).toEqual({ ok: true, value, rest });
  });

  // An approximate raw figure and a spaced "2. 5" (a list number? a decimal?) are asked back.
  it.each(['', '很多', '约莫', 'abc', '约 5959.46 万元', '2. 5万元'])('rejects %j with a reason naming the unit', (text) => {
    const p = parseQuantity(text, '万元');
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.error).toContain('万元');
  });
});

describe('parseYesNo', () => {
  it.each([
    ['是', true, ''],
    ['是的', true, ''],
    ['有', true, ''],
    ['已建立，《党组工作规则》', true, '《党组工作规则》'],
    ['yes', true, ''],
    ['否', false, ''],
    ['没有', false, ''],
    ['不是', false, ''],
    ['未建立，正在起草', false, '正在起草'],
    ['无', false, ''],
    ['no', false, ''],
  ])('%s → %s', (text, value, rest) => {
    expect(parseYesNo(text)).toEqual({ ok: true, value, rest });
  });
  it.each(['嗯', 'nanjing', '好像', '👍'])('does not guess on %s', (text) => {
    expect(parseYesNo(text).ok).toBe(false);
  });
});

describe('choices', () => {
  const levels = ['各环节均有效开展', '部分环节不充分', '未开展'];
  it.each([
    ['2', '部分环节不充分', ''],
    ['第二项', '部分环节不充分', ''],
    ['2、事前评估充分性不足', '部分环节不充分', '事前评估充分性不足'],
    ['部分环节不充分，事前评估充分性不足', '部分环节不充分', '事前评估充分性不足'],
    ['未开展', '未开展', ''],
  ])('%s → %s', (text, value, rest) => {
    expect(parseChoice(text, levels)).toEqual({ ok: true, value, rest });
  });
  it('rejects numbers out of range and unknown labels', () => {
    expect(parseChoice('4', levels).ok).toBe(false);
    expect(parseChoice('很好', levels).ok).toBe(false);
  });
  it('takes several choices, all, or none', () => {
    expect(parseChoices('1,3', levels)).toMatchObject({ ok: true, value: ['各环节均有效开展', '未开展'] });
    expect(parseChoices('1、2', levels)).toMatchObject({ ok: true, value: ['各环节均有效开展', '部分环节不充分'] });
    expect(parseChoices('全部', levels)).toMatchObject({ ok: true, value: levels });
    expect(parseChoices('无', levels)).toMatchObject({ ok: true, value: [] });
    expect(parseChoices('1,9', levels).ok).toBe(false);
  });
});

describe('counts, scores, dates, numerals, key tasks', () => {
  it('counts', () => {
    expect(parseCount('两例，均已整改')).toEqual({ ok: true, value: 2, rest: '均已整改' });
    expect(parseCount('无')).toEqual({ ok: true, value: 0, rest: '' });
    expect(parseCount('1.5').ok).toBe(false);
    expect(parseCount('-1').ok).toBe(false);
  });
  it('scores with reasons, within the points', () => {
    expect(parseScore('8 满意度略低于目标', 10)).toEqual({ ok: true, value: 8, rest: '满意度略低于目标' });
    expect(parseScore('8.5分，理由：抽样不足', 10)).toEqual({ ok: true, value: 8.5, rest: '抽样不足' });
    expect(parseScore('11', 10).ok).toBe(false);
  });
  it('dates', () => {
    expect(parseDate('2025-05-31', 2025)).toMatchObject({ ok: true, value: '2025-05-31' });
    expect(parseDate('2025年5月31日', 2025)).toMatchObject({ ok: true, value: '2025-05-31' });
    expect(parseDate('5月31日', 2025)).toMatchObject({ ok: true, value: '2025-05-31' });
    expect(parseDate('2025-02-30', 2025).ok).toBe(false);
  });
  it('Chinese numerals', () => {
    expect([parseChineseNumeral('十'), parseChineseNumeral('十二'), parseChineseNumeral('一百零五'), parseChineseNumeral('两')]).toEqual([10, 12, 105, 2]);
    expect(parseChineseNumeral('很')).toBeUndefined();
  });
  it('key-task lines', () => {
    expect(parseKeyTaskLines('1. 党建工作 4分\n2、归集应用全市政务数据，5\n热线工作（5分）')).toEqual({
      ok: true,
      value: [
        { name: '党建工作', points: 4 },
        { name: '归集应用全市政务数据', points: 5 },
        { name: '热线工作', points: 5 },
      ],
      rest: '',
    });
    expect(parseKeyTaskLines('党建工作').ok).toBe(false);
  });
  // Found by the fuzz test: "乙项工作 0分" beside a full line was stored, and the answers no longer fit their schema.
  it('refuses a key task worth 0 points or with a target of 0', () => {
    for (const text of ['甲项工作 10分\n乙项工作 0分', '乙项工作 0.0分', '甲项工作 10分 目标0%']) {
      const p = parseKeyTaskLines(text);
      expect(p.ok, text).toBe(false);
      expect(!p.ok && p.error).toContain('应大于0');
    }
    expect(parseKeyTaskLines('甲项工作 0.5分 目标90%')).toEqual({ ok: true, value: [{ name: '甲项工作', points: 0.5, target: 90 }], rest: '' });
  });
  it('normalises control characters and full-width text', () => {
    expect(normaliseText('\u0000 ９７．８％\u200b ')).toBe('97.8%');
  });
});

describe('recogniseCommand', () => {
  it.each([
    ['开始', 'start', ''],
    ['继续', 'start', ''],
    ['上一题', 'back', ''],
    ['修改 A11', 'edit', 'A11'],
    ['修改本年实际支出数', 'edit', '本年实际支出数'],
    ['分配 部门管理 @李四', 'assign', '部门管理 @李四'],
    ['/得分', 'score', ''],
    ['报告', 'report', ''],
  ])('%s → %s', (text, name, arg) => {
    expect(recogniseCommand(text)).toEqual({ name, arg });
  });
  it.each(['是', '改进了流程', '5959.46', '开始了吗'])('%s is an answer, not a command', (text) => {
    expect(recogniseCommand(text)).toBeUndefined();
  });
});
