/**
 * Sheets as finance officers have them: title rows, merged cells, blank rows, a totals row, line
 * breaks and full-width digits in cells, a bonus row without 分值; the same table as CSV; and sheets
 * that must be refused with the rows at fault.
 */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { buildFrameworkInput, finaliseDraft, isDraftUsable, listOpenRows, DraftNotReadyError } from '../src/core/import/confirm';
import { importSheet, ImportError, type DraftFramework, type DraftNode } from '../src/core/import/importer';
import { readWorkbookSheets, sheetFromCsv, type Sheet } from '../src/core/import/sheet';
import { scoreEvaluation } from '../src/core/scoring/engine';

const CRITERIA_A11 = '决策制度建立完整的得２分，\n否则不得分';

/** The messy workbook: every quirk the importer must read, built with exceljs. */
async function buildMessyWorkbook(): Promise<Sheet[]> {
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet('附件1');
  const put = (r: number, values: Array<string | number | null>) => values.forEach((v, c) => v !== null && v !== '' && (ws.getCell(r, c + 1).value = v));
  put(1, ['2025年度某某局部门整体绩效自评价指标体系']);
  ws.mergeCells(1, 1, 1, 6);
  put(2, ['单位：某某局']);
  put(4, ['一级指标', '二级指标', '三级指标', '指标说明', '评价\n要点', '分 值']);
  put(5, ['部门决策\n（１５分）', '决策机制（４分）', '决策制度的规范性', '是否建立决策制度', CRITERIA_A11, '２']);
  put(6, [null, null, '决策流程的科学性', '决策流程是否科学', '决策程序科学合理的得2分，否则不得分', 2]);
  put(7, [null, '预算编制（11分）', '预算编制科学规范', '年末预算执行率是否合理', '年度预算执行率大于90%的得2分，小于90%得1分', 2]);
  put(8, [null, null, '预算编制与重点工作任务的匹配性', '', '部门项目预算紧紧围绕保障部门重点工作任务的得2. 5分', '2. 5']);
  put(9, [null, null, '预算执行率\n（6.5分）', '', '预算执行率在 90%以上，得6.5分', null]);
  ws.mergeCells(5, 1, 9, 1);
  ws.mergeCells(5, 2, 6, 2);
  ws.mergeCells(7, 2, 9, 2);
  // Row 10 blank.
  put(11, ['部门管理（８５分）', '内部控制（5分）', '内控制度', '', '有内部控制制度落实在手册等文本上的得5分', 5]);
  put(12, [null, '重点工作完成情况（80分）', '（由单位填报重点工作）', '各项重点工作完成情况', '按年初目标完成并取得良好质效的得该项分值', 80]);
  put(13, ['加减分项（≤5分）', '加分项', '', '受嘉奖情况', '受到国务院嘉奖加3分，受到省级嘉奖加2分；同一项工作不累计加分', null]);
  put(14, [null, '减分项', '', '违法违纪', '酌情扣分', null]);
  ws.mergeCells(13, 1, 14, 1);
  put(15, ['合  计', null, null, null, null, 100]);
  ws.mergeCells(15, 1, 15, 5);
  put(16, ['注：本表由财政局制定。']);
  const bytes = await wb.xlsx.writeBuffer();
  return readWorkbookSheets(new Uint8Array(bytes as ArrayBuffer));
}

const MESSY_CSV = [
  '2025年度某某局部门整体绩效自评价指标体系,,,,,',
  '单位：某某局,,,,,',
  ',,,,,',
  '一级指标,二级指标,三级指标,指标说明,"评价\n要点",分 值',
  `"部门决策\n（１５分）",决策机制（４分）,决策制度的规范性,是否建立决策制度,"${CRITERIA_A11}",２`,
  ',,决策流程的科学性,决策流程是否科学,决策程序科学合理的得2分，否则不得分,2',
  ',预算编制（11分）,预算编制科学规范,年末预算执行率是否合理,年度预算执行率大于90%的得2分，小于90%得1分,2',
  ',,预算编制与重点工作任务的匹配性,,部门项目预算紧紧围绕保障部门重点工作任务的得2. 5分,2. 5',
  ',,"预算执行率\n（6.5分）",,预算执行率在 90%以上，得6.5分,',
  ',,,,,',
  '部门管理（８５分）,内部控制（5分）,内控制度,,有内部控制制度落实在手册等文本上的得5分,5',
  ',重点工作完成情况（80分）,（由单位填报重点工作）,各项重点工作完成情况,按年初目标完成并取得良好质效的得该项分值,80',
  '加减分项（≤5分）,加分项,,受嘉奖情况,受到国务院嘉奖加3分，受到省级嘉奖加2分；同一项工作不累计加分,',
  ',减分项,,违法违纪,酌情扣分,',
  '合  计,,,,,100',
  '注：本表由财政局制定。,,,,,',
].join('\r\n');

function shape(nodes: DraftNode[]): unknown {
  return nodes.map((n) => ({ code: n.code, name: n.name, points: n.points, ...(n.keyTasks ? { slot: true } : {}), children: shape(n.children) }));
}

function checkMessy(draft: DraftFramework) {
  expect(draft.name).toBe('2025年度某某局部门整体绩效自评价指标体系');
  expect(shape(draft.tree)).toEqual([
    {
      code: 'A', name: '部门决策', points: 15, children: [
        { code: 'A1', name: '决策机制', points: 4, children: [
          { code: 'A11', name: '决策制度的规范性', points: 2, children: [] },
          { code: 'A12', name: '决策流程的科学性', points: 2, children: [] },
        ] },
        { code: 'A2', name: '预算编制', points: 11, children: [
          { code: 'A21', name: '预算编制科学规范', points: 2, children: [] },
          { code: 'A22', name: '预算编制与重点工作任务的匹配性', points: 2.5, children: [] },
          { code: 'A23', name: '预算执行率', points: 6.5, children: [] },
        ] },
      ],
    },
    {
      code: 'B', name: '部门管理', points: 85, children: [
        { code: 'B1', name: '内部控制', points: 5, children: [{ code: 'B11', name: '内控制度', points: 5, children: [] }] },
        { code: 'B2', name: '重点工作完成情况', points: 80, slot: true, children: [] },
      ],
    },
  ]);
  const a11 = draft.rows.find((r) => r.code === 'A11')!;
  // 评价要点 kept verbatim, line break and full-width digit included.
  expect(a11.criteria).toBe(CRITERIA_A11);
  expect(a11.outcome.status).toBe('compiled');
  expect(draft.rows.find((r) => r.code === 'A21')!.outcome).toMatchObject({ status: 'compiled', rule: { kind: 'bands', metric: 'budgetExecutionRate' } });
  expect(draft.rows.find((r) => r.code === 'A23')!.outcome).toMatchObject({ status: 'compiled', rule: { kind: 'bands', bands: [{ gte: 90, score: 6.5 }], otherwise: 0 } });
  const bonus = draft.rows.find((r) => r.kind === 'bonus')!;
  expect(bonus.outcome).toMatchObject({ status: 'bonus', section: { cap: 5, cumulative: false, items: [{ points: 3 }, { points: 2 }] } });
  expect(draft.rows.find((r) => r.kind === 'penalty')!.outcome).toMatchObject({ status: 'penalty', section: { name: '减分项', cap: 5 } });
  expect(draft.basePoints).toBe(100);
  expect(listOpenRows(draft)).toEqual([]);
  const fw = finaliseDraft(draft);
  expect(fw.byCode.get('B2')?.keyTasks).toBeDefined();
  // The imported framework scores: 95% execution, everything met, two key tasks, one award.
  const result = scoreEvaluation(fw, {
    facts: { spending: 95, adjustedBudget: 100, carryoverStart: 0 },
    judgements: { A11: true, A12: true, A22: true, B11: false },
    keyTasks: { B2: [{ name: '任务一', points: 40 }, { name: '任务二', points: 40 }] },
  });
  expect(result.indicators.find((i) => i.code === 'A21')?.score).toBe(2);
  expect(result.indicators.find((i) => i.code === 'B11')?.score).toBe(0);
}

describe('importing messy sheets', () => {
  it('reads an .xlsx with title rows, merges, blank rows, totals, full-width digits and a bonus row without 分值', async () => {
    const sheets = await buildMessyWorkbook();
    checkMessy(importSheet(sheets[0]!, { id: 'messy' }));
  });

  it('reads the same table as CSV, blank level cells continuing the row above', () => {
    const draft = importSheet(sheetFromCsv(MESSY_CSV, 'messy.csv'), { id: 'messy' });
    checkMessy(draft);
  });

  it('keeps rows whose prose is incomplete open, and the draft unusable until they are answered', () => {
    const csv = [
      '一级指标,二级指标,三级指标,指标说明,评价要点,分值',
      '部门管理（100分）,预算执行（100分）,部门预算执行率,部门预算执行百分比,年末预算执行率达到财政考核要求的得1分,1',
      ',,其他,,其他工作按要求完成的得99分,99',
    ].join('\n');
    const draft = importSheet(sheetFromCsv(csv));
    expect(listOpenRows(draft).map((q) => [q.code, q.row])).toEqual([['A11', 2]]);
    expect(isDraftUsable(draft)).toBe(false);
    expect(() => finaliseDraft(draft)).toThrow(DraftNotReadyError);
    // The framework file of an unfinished draft has a leaf without a rule, so the loader would refuse it too.
    expect(buildFrameworkInput(draft).indicators[0]!.children![0]!.children![0]!.rule).toBeUndefined();
  });
});

function problemsOf(fn: () => unknown): Array<{ row: number; message: string }> {
  try {
    fn();
  } catch (e) {
    if (e instanceof ImportError) return e.problems;
    throw e;
  }
  throw new Error('expected an ImportError');
}

const HEADER = '一级指标,二级指标,三级指标,指标说明,评价要点,分值';

describe('refusing bad sheets, with the rows at fault', () => {
  it('says a sheet without the annex header is not a framework', () => {
    const problems = problemsOf(() => importSheet(sheetFromCsv('姓名,电话\n张三,13800000000\n李四,13900000000')));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.message).toContain('没有表头');
  });

  it('names the row of a 分值 that is not a number', () => {
    const csv = [HEADER, '部门决策（100分）,决策机制（100分）,决策制度,,决策制度建立完整的得100分,一百分左右'].join('\n');
    expect(problemsOf(() => importSheet(sheetFromCsv(csv)))).toEqual([{ row: 2, message: '分值“一百分左右”不是数字' }]);
  });

  it('refuses children that do not add up to their parent, naming the rows', () => {
    const csv = [
      HEADER,
      '部门决策（100分）,决策机制（4分）,决策制度,,决策制度建立完整的得2分,2',
      ',,决策流程,,决策流程科学的得3分,3',
      ',其他（96分）,其他,,其他工作完成的得96分,96',
    ].join('\n');
    const problems = problemsOf(() => importSheet(sheetFromCsv(csv)));
    expect(problems).toEqual([{ row: 2, message: '“决策机制（4分）”下各项分值合计5分，与4分不符（第2至第3行）' }]);
  });

  it('refuses level-1 points that do not match the total row', () => {
    const csv = [HEADER, '部门决策（90分）,决策机制（90分）,决策制度,,决策制度建立完整的得90分,90', '合计,,,,,100'].join('\n');
    expect(problemsOf(() => importSheet(sheetFromCsv(csv)))).toEqual([{ row: 3, message: '合计行为100分，但各一级指标分值合计90分' }]);
  });

  it('refuses duplicate names under one parent, naming both rows', () => {
    const csv = [
      HEADER,
      '部门决策（100分）,决策机制（100分）,决策制度,,决策制度建立完整的得50分,50',
      ',,决策流程,,决策流程科学的得25分,25',
      ',,决策制度,,决策制度执行的得25分,25',
    ].join('\n');
    expect(problemsOf(() => importSheet(sheetFromCsv(csv)))).toEqual([{ row: 4, message: '“决策制度”与第2行重名（同一上级指标下名称不能重复）' }]);
  });

  it('refuses inconsistent levels: a scored level-2 row that later gets level-3 rows', () => {
    const csv = [
      HEADER,
      '部门决策（100分）,决策机制（50分）,,,决策机制健全的得50分,50',
      ',决策机制（50分）,决策流程,,决策流程科学的得50分,50',
    ].join('\n');
    const problems = problemsOf(() => importSheet(sheetFromCsv(csv)));
    expect(problems.map((p) => p.row)).toEqual([3]);
    expect(problems[0]!.message).toContain('已作为末级指标评分');
  });

  it('refuses codes that contradict their parent', () => {
    const csv = [HEADER, 'A 部门决策（100分）,B1 决策机制（100分）,B11 决策制度,,决策制度建立完整的得100分,100'].join('\n');
    const problems = problemsOf(() => importSheet(sheetFromCsv(csv)));
    expect(problems).toContainEqual({ row: 2, message: '编码“B1”与上级指标编码“A”不一致' });
  });

  it('refuses a leaf without points, and lists every problem at once', () => {
    const csv = [
      HEADER,
      '部门决策（100分）,决策机制,决策制度,,决策制度建立完整的得分,',
      ',,决策流程,,决策流程科学的得2分,abc',
    ].join('\n');
    const problems = problemsOf(() => importSheet(sheetFromCsv(csv)));
    expect(problems.map((p) => p.row).sort()).toEqual([2, 3]);
  });
});

describe('the seed tables as .xlsx files', () => {
  it('imports 000 (points in names, codes, no 分值 column) and 002 (分值 and 自评分 columns) with the same outcomes as the sheet model', async () => {
    const { readFileSync } = await import('node:fs');
    const { createAnnexSheet, writeSheetsXlsx } = await import('../src/core/import/annex-sheet');
    const fixture = JSON.parse(readFileSync(new URL('./fixtures/import/seed-tables.json', import.meta.url), 'utf8')) as {
      rows: Array<Parameters<typeof createAnnexSheet>[0][number] & { seed: string }>;
    };
    for (const seed of ['000', '002']) {
      const rows = fixture.rows.filter((r) => r.seed === seed);
      const sheet = createAnnexSheet(rows, { title: `${seed} 指标得分表`, withPoints: seed === '002', withScore: true, total: 100 }, seed);
      const bytes = await writeSheetsXlsx([sheet], { numbers: true });
      const [read] = await readWorkbookSheets(bytes);
      const fromXlsx = importSheet(read!);
      const fromModel = importSheet(sheet);
      expect(fromXlsx.rows.map((r) => [r.code, r.points, r.outcome.status])).toEqual(fromModel.rows.map((r) => [r.code, r.points, r.outcome.status]));
      expect(fromXlsx.rows).toHaveLength(rows.length);
    }
  });
});

describe('the import core', () => {
  it('imports no Node-only modules (a Workers build follows)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = 'src/core/import';
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(`${dir}/${f}`, 'utf8');
      const imports = [...src.matchAll(/from '([^']+)'|import\('([^']+)'\)/g)].map((m) => m[1] ?? m[2]!);
      expect(imports.filter((i) => i.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'buffer', 'stream'].includes(i)), f).toEqual([]);
    }
  });
});

describe('level cells', () => {
  it('reads codes, names and points in the ways sheets write them', async () => {
    const { parseName } = await import('../src/core/import/importer');
    expect(parseName('A 部门决策(15 分)')).toEqual({ code: 'A', name: '部门决策', points: 15 });
    expect(parseName('A1 决策机 制(6 分)')).toEqual({ code: 'A1', name: '决策机制', points: 6 });
    expect(parseName('A13 决策执行监督制衡机制\n(2分)')).toEqual({ code: 'A13', name: '决策执行监督制衡机制', points: 2 });
    expect(parseName('A11决策制度的规范性（2. 5分）')).toEqual({ code: 'A11', name: '决策制度的规范性', points: 2.5 });
    expect(parseName('F 加减分项 (≤5 分)')).toEqual({ code: 'F', name: '加减分项', points: 5, cap: true });
    expect(parseName('决策机制（４分）')).toEqual({ name: '决策机制', points: 4 });
    expect(parseName('“三公”经费控制率')).toEqual({ name: '“三公”经费控制率' });
    expect(parseName('X光机购置')).toEqual({ name: 'X光机购置' });
    expect(parseName('OA系统建设（1分）')).toEqual({ name: 'OA系统建设', points: 1 });
  });
});

describe('importFile (what POST /api/frameworks will call)', () => {
  it('takes CSV bytes with a BOM, and an exported workbook with its data sheet', async () => {
    const { importFile } = await import('../src/core/import/index');
    const csv = new TextEncoder().encode(`\uFEFF${MESSY_CSV}`);
    checkMessy(await importFile({ name: 'messy.csv', bytes: csv }, { id: 'messy' }));
    const { exportFramework } = await import('../src/core/import/export');
    const { loadBuiltinFramework } = await import('../src/core/framework/builtin');
    const bytes = await exportFramework(loadBuiltinFramework('nanjing-2020')!);
    const draft = await importFile({ name: 'nanjing-2020.xlsx', bytes });
    expect(draft.id).toBe('nanjing-2020');
    expect(draft.rows.every((r) => r.outcome.status !== 'open')).toBe(true);
  });

  it('refuses bytes that are not a workbook, naming the file', async () => {
    const { importFile } = await import('../src/core/import/index');
    await expect(importFile({ name: 'report.xlsx', bytes: new TextEncoder().encode('not a zip') })).rejects.toThrow(/report\.xlsx/);
  });
});

describe('grade bands written in the sheet', () => {
  it('reads the common ways of writing them, and the explicit (含) wins over 以下', async () => {
    const { parseGradeNote } = await import('../src/core/import/importer');
    const nanjing = [{ grade: '优秀', gte: 90 }, { grade: '良好', gte: 80, lt: 90 }, { grade: '一般', gte: 60, lt: 80 }, { grade: '较差', lt: 60 }];
    expect(parseGradeNote('注：90分（含）以上为优秀，80（含）-90分为良好，60（含）-80分为一般，60分以下为较差。')).toEqual(nanjing);
    expect(parseGradeNote('评价结果分为优秀（90分及以上）、良好（80分（含）-90分）、一般（60分（含）-80分）、较差（60分以下）')).toEqual(nanjing);
    // 004's bands: 85 and 75 belong to the higher band.
    expect(parseGradeNote('得分 ≥ 85 分为优秀； 75 ≤ 得分 < 85 分为良好； 60 ≤ 得分 < 75 分为一般；得分 < 60 分为较差。')).toEqual([
      { grade: '优秀', gte: 85 },
      { grade: '良好', gte: 75, lt: 85 },
      { grade: '一般', gte: 60, lt: 75 },
      { grade: '较差', lt: 60 },
    ]);
  });

  it('ignores notes that leave a gap or an unmarked range, and says where the bands came from', async () => {
    const { parseGradeNote } = await import('../src/core/import/importer');
    expect(parseGradeNote('90分以上为优秀，80-90分为良好')).toBeUndefined();
    expect(parseGradeNote('90分（含）以上为优秀，60分以下为较差')).toBeUndefined();
    const withNote = `${MESSY_CSV}\r\n注：85分（含）以上为优秀，75（含）-85分为良好，60（含）-75分为一般，60分以下为较差。,,,,,`;
    const draft = importSheet(sheetFromCsv(withNote));
    expect(draft.gradesFrom).toBe('sheet');
    expect(draft.grades[0]).toEqual({ grade: '优秀', gte: 85 });
    expect(importSheet(sheetFromCsv(MESSY_CSV)).gradesFrom).toBe('default');
  });
});

describe('a 分值 column after each level', () => {
  it('takes level points from their own columns and checks them against the children', () => {
    const csv = [
      '一级指标,权重,二级指标,权重,三级指标,权重,指标说明,评分标准',
      '预算编制,30%,合理性,20%,预算编制合理性,20%,,预算编制合理的得20分，否则不得分',
      ',,目标设置,10%,目标完整性,10%,,目标完整的得10分，否则不得分',
      '预算执行,70%,支出管理,70%,支出完成率,70%,,支出完成率在95%以上得70分，每降低5%扣10分',
    ].join('\n');
    const draft = importSheet(sheetFromCsv(csv));
    expect(draft.tree.map((n) => [n.name, n.points, n.children.map((c) => [c.name, c.points])])).toEqual([
      ['预算编制', 30, [['合理性', 20], ['目标设置', 10]]],
      ['预算执行', 70, [['支出管理', 70]]],
    ]);
    expect(draft.rows.find((r) => r.code === 'B11')!.outcome).toMatchObject({ status: 'compiled', rule: { kind: 'steps', metric: 'spendingCompletionRate' } });
    const bad = csv.replace('预算编制,30%', '预算编制,35%');
    expect(problemsOf(() => importSheet(sheetFromCsv(bad)))[0]!.message).toContain('与35分不符');
  });
});

describe('workbooks as they come', () => {
  it('skips a cover sheet, and reads formula results without binary-float noise', async () => {
    const wb = new ExcelJS.Workbook();
    wb.addWorksheet('封面').getCell(1, 1).value = '某局2025年度部门整体绩效自评价指标体系';
    const ws = wb.addWorksheet('指标体系');
    ws.addRow(['一级指标', '二级指标', '三级指标', '指标说明', '评价要点', '分值']);
    ws.addRow(['部门管理（100分）', '制度建设（1分）', '制度健全', '', '制度健全的得0.3分，否则不得分', { formula: '0.1+0.2', result: 0.1 + 0.2 }]);
    ws.addRow(['', '', '制度执行', '', '制度有效执行的得0.7分，否则不得分', 0.7]);
    ws.addRow(['', '履职（99分）', '重点工作', '', '重点工作完成的得99分，否则不得分', 99]);
    ws.mergeCells(2, 1, 4, 1);
    ws.mergeCells(2, 2, 3, 2);
    const sheets = await readWorkbookSheets(new Uint8Array((await wb.xlsx.writeBuffer()) as ArrayBuffer));
    const { pickAnnexSheet } = await import('../src/core/import/export');
    const sheet = pickAnnexSheet(sheets)!;
    expect(sheet.name).toBe('指标体系');
    const draft = importSheet(sheet);
    expect(draft.rows.map((r) => [r.code, r.points, r.outcome.status])).toEqual([
      ['A11', 0.3, 'compiled'],
      ['A12', 0.7, 'compiled'],
      ['A21', 99, 'compiled'],
    ]);
  });
});
