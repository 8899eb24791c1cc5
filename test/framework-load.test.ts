/**
 * Loading frameworks: the built-in ones load and add up; broken files are refused with messages that
 * name the file and the field.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN_FRAMEWORK_IDS, loadBuiltinFramework } from '../src/core/framework/builtin';
import { FrameworkError, loadFramework, type Indicator } from '../src/core/framework/load';
import { resolveFramework } from '../src/core/framework/resolve';
import type { FrameworkInput, IndicatorInput, Rule } from '../src/core/framework/schema';
import { miniFrameworkData } from './helpers/mini-framework';

const judge: Rule = { kind: 'judgement', question: '是否？', yes: '是', no: '否' };
const leaf = (code: string, points: number, rule: Rule = judge): IndicatorInput => ({ code, name: `指标${code}`, points, rule });

/** The problems loadFramework reports for `data`, or [] when it loads. */
function problems(data: unknown, file = 'broken.json'): string[] {
  try {
    loadFramework(data, file);
    return [];
  } catch (e) {
    if (e instanceof FrameworkError) return e.problems;
    throw e;
  }
}

describe('built-in frameworks', () => {
  it.each(BUILTIN_FRAMEWORK_IDS.map((id) => [id]))('%s loads, and every parent is the sum of its children', (id) => {
    const fw = loadBuiltinFramework(id)!;
    expect(fw.id).toBe(id);
    const check = (ind: Indicator) => {
      if (ind.children.length) {
        const cents = ind.children.reduce((s, c) => s + Math.round(c.points * 100), 0);
        expect({ code: ind.code, points: cents / 100 }).toEqual({ code: ind.code, points: ind.points });
        ind.children.forEach(check);
      }
    };
    fw.indicators.forEach(check);
    expect(fw.indicators.reduce((s, i) => s + i.points, 0)).toBe(fw.basePoints);
    expect(fw.narratives?.length).toBeGreaterThan(0);
  });

  it.each([['nanjing-2020'], ['guangdong-2020'], ['goal-rate']])('%s asks every figure with a question that names its unit', (id) => {
    const fw = loadBuiltinFramework(id)!;
    for (const f of fw.facts) if (f.unit === '万元' || f.unit === '%') expect(f.question).toContain(`（${f.unit}`);
    for (const m of fw.metrics) if (m.directAllowed) expect(m.question).toContain('（%');
  });

  it.each(BUILTIN_FRAMEWORK_IDS.map((id) => [id]))('%s gives every leaf the 指标说明 and 评价要点 the score table prints', (id) => {
    const fw = loadBuiltinFramework(id)!;
    const leaves = [...fw.byCode.values()].filter((i) => !i.children.length && !i.keyTasks);
    for (const l of leaves) expect({ code: l.code, description: l.description.length > 0, criteria: l.criteria.length > 0 }).toEqual({ code: l.code, description: true, criteria: true });
  });

  it('says where default weights come from', () => {
    for (const id of ['guangdong-2020', 'goal-rate']) {
      const fw = loadBuiltinFramework(id)!;
      expect(fw.source.weights).toBe('default');
      expect(fw.source.note).toContain('默认值');
      for (const ind of fw.indicators) expect(ind.note).toContain('默认值');
    }
    expect(loadBuiltinFramework('nanjing-2020')!.source.weights).toBe('document');
  });

  it('returns undefined for an unknown id', () => {
    expect(loadBuiltinFramework('no-such-framework')).toBeUndefined();
  });

  // Found by the fuzz test: GET /api/frameworks/__proto__ and 新建自评 … 框架=constructor answered 500.
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('returns undefined for %s, a key every object has', (id) => {
    expect(loadBuiltinFramework(id)).toBeUndefined();
  });
});

describe('frameworks carried by an evaluation', () => {
  it('loads each content once, though every message reads a new copy of the record', () => {
    const input = { ...miniFrameworkData([leaf('A', 100)]), basePoints: 100 };
    const first = resolveFramework('import-mini', input);
    expect(resolveFramework('import-mini', structuredClone(input))).toBe(first);
    // A different content (the organiser edited the framework) is loaded on its own.
    const edited = structuredClone(input);
    edited.name = `${edited.name}（修订）`;
    const other = resolveFramework('import-mini', edited);
    expect(other).not.toBe(first);
    expect(other.name).toBe(edited.name);
    expect(resolveFramework('import-mini', structuredClone(input))).toBe(first);
  });
});

describe('loader errors name the file and the field', () => {
  const base = (indicators: IndicatorInput[], extra: Partial<FrameworkInput> = {}) => ({
    ...miniFrameworkData(indicators, extra),
    basePoints: 100,
  });

  it('a formula using an unknown fact', () => {
    const data = base([leaf('A', 100)]);
    data.metrics = [...data.metrics, { key: 'execution', label: '执行率', unit: '%', formula: 'spent / budget * 100' }];
    expect(problems(data)).toEqual([
      'broken.json: metrics[2].formula: unknown fact or metric "spent" in "spent / budget * 100"',
      'broken.json: metrics[2].formula: unknown fact or metric "budget" in "spent / budget * 100"',
    ]);
  });

  it('a formula that does not parse', () => {
    const data = base([leaf('A', 100)]);
    data.metrics = [...data.metrics, { key: 'execution', label: '执行率', unit: '%', formula: 'actual / (limit * 100' }];
    expect(problems(data)).toHaveLength(1);
    expect(problems(data)[0]).toMatch(/^broken\.json: metrics\[2\]\.formula: .* in "actual \/ \(limit \* 100"$/);
  });

  it('formulas that refer to each other', () => {
    const data = base([leaf('A', 100)]);
    data.metrics = [
      { key: 'p', label: 'P', unit: '%', formula: 'q + 1' },
      { key: 'q', label: 'Q', unit: '%', formula: 'p + 1' },
    ];
    expect(problems(data)).toEqual(['broken.json: metrics: formulas form a cycle: p → q → p']);
  });

  it('children whose points do not add up', () => {
    const data = base([
      { code: 'A', name: '部门决策', points: 40, children: [leaf('A1', 20), leaf('A2', 15)] },
      leaf('B', 60),
    ]);
    expect(problems(data)).toEqual(['broken.json: indicators[0].points: children of "A 部门决策" add up to 35, not 40']);
  });

  it('level-1 points that do not add up to the base', () => {
    expect(problems(base([leaf('A', 40), leaf('B', 50)]))).toEqual(['broken.json: indicators: level-1 points add up to 90, not 100']);
  });

  it('decimal points add up exactly (2.5 + 2.5 + 0.1 + 0.2 = 5.3)', () => {
    const data = base([
      { code: 'A', name: '甲', points: 5.3, children: [leaf('A1', 2.5), leaf('A2', 2.5), leaf('A3', 0.1), leaf('A4', 0.2)] },
      leaf('B', 94.7),
    ]);
    expect(problems(data)).toEqual([]);
  });

  it('duplicate codes', () => {
    const data = base([
      { code: 'A', name: '甲', points: 50, children: [leaf('A1', 25), leaf('A1', 25)] },
      leaf('A', 50),
    ]);
    expect(problems(data)).toEqual([
      'broken.json: indicators[0].children[1].code: duplicate code "A1"',
      'broken.json: indicators[1].code: duplicate code "A"',
    ]);
  });

  it('grade bands that overlap', () => {
    const data = base([leaf('A', 100)], {
      grades: [
        { grade: '优秀', gte: 90 },
        { grade: '良好', gte: 80, lte: 90 },
        { grade: '较差', gte: 0, lt: 80 },
      ],
    });
    expect(problems(data)).toEqual(['broken.json: grades: grade bands overlap: bands overlap at 90']);
  });

  it('grade bands that leave a gap', () => {
    const data = base([leaf('A', 100)], {
      grades: [
        { grade: '优秀', gte: 85 },
        { grade: '良好', gte: 75, lt: 80 },
        { grade: '较差', gte: 0, lt: 75 },
      ],
    });
    expect(problems(data)).toEqual(['broken.json: grades: grade bands leave a gap: gap between 80 and 85']);
  });

  it('grade bands that miss an end point ("85 and 75 belong to the higher band")', () => {
    const data = base([leaf('A', 100)], {
      grades: [
        { grade: '优秀', gt: 85 },
        { grade: '良好', gte: 75, lt: 85 },
        { grade: '较差', gte: 0, lt: 75 },
      ],
    });
    expect(problems(data)).toEqual(['broken.json: grades: grade bands leave a gap: nothing covers exactly 85']);
  });

  it('grade bands that stop short of the top or start above 0', () => {
    const data = base([leaf('A', 100)], { grades: [{ grade: '合格', gte: 60, lt: 100 }] });
    expect(problems(data)).toEqual([
      'broken.json: grades: grade bands leave a gap: gap between 0 and 60',
      'broken.json: grades: grade bands leave a gap: nothing covers values above 100',
    ]);
  });

  it('rule bands that overlap', () => {
    const rule: Rule = {
      kind: 'bands',
      metric: 'rate',
      bands: [
        { gte: 80, score: 2 },
        { gte: 60, lte: 80, score: 1 },
      ],
      otherwise: 0,
    };
    expect(problems(base([leaf('A', 100, rule)]))).toEqual(['broken.json: indicators[0].rule.bands: bands overlap: bands overlap at 80']);
  });

  it('rule bands that leave a gap without "otherwise"', () => {
    const rule: Rule = { kind: 'bands', metric: 'rate', bands: [{ gte: 90, score: 2 }, { gte: 60, lt: 80, score: 1 }] };
    expect(problems(base([leaf('A', 100, rule)]))).toEqual([
      'broken.json: indicators[0].rule.bands: bands leave a gap (nothing covers values below 60); add "otherwise"',
      'broken.json: indicators[0].rule.bands: bands leave a gap (gap between 80 and 90); add "otherwise"',
    ]);
  });

  it('a band score above the points, and a rule naming an unknown metric', () => {
    const rule: Rule = { kind: 'bands', metric: 'rat', bands: [{ gte: 90, score: 3 }], otherwise: 0 };
    expect(problems(base([{ code: 'A', name: '甲', points: 100, children: [leaf('A1', 2, rule), leaf('A2', 98)] }]))).toEqual([
      'broken.json: indicators[0].children[0].rule.metric: unknown fact or metric "rat"',
      'broken.json: indicators[0].children[0].rule.bands[0].score: 3 is above the points 2',
    ]);
  });

  it('a checklist whose items do not add up to the points', () => {
    const rule: Rule = {
      kind: 'checklist',
      question: '哪些已做到？',
      items: [
        { key: 'a', label: '甲', points: 1 },
        { key: 'b', label: '乙', points: 1 },
      ],
    };
    expect(problems(base([leaf('A', 97), leaf('B', 3, rule)]))).toEqual(['broken.json: indicators[1].rule.items: items add up to 2, not 3']);
  });

  it('a leaf without a rule', () => {
    expect(problems(base([{ code: 'A', name: '甲', points: 100 }]))).toEqual(['broken.json: indicators[0].rule: leaf "A 甲" needs a rule']);
  });

  it('schema errors carry the path', () => {
    const data = base([leaf('A', 100)]);
    (data.facts[0] as { key: string }).key = '1st';
    const out = problems(data, 'templates/frameworks/x.json');
    expect(out).toEqual(['templates/frameworks/x.json: facts[0].key: must be an ASCII identifier']);
  });

  it('puts every problem in the error message, under the file name', () => {
    try {
      loadFramework(base([leaf('A', 40), leaf('A', 50)]), 'two-problems.json');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FrameworkError);
      expect((e as Error).message).toBe(
        [
          'two-problems.json: invalid framework',
          '  - two-problems.json: indicators[1].code: duplicate code "A"',
          '  - two-problems.json: indicators: level-1 points add up to 90, not 100',
        ].join('\n'),
      );
    }
  });
});
