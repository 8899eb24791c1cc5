/**
 * The report's structure, numbers, merges, styles and fonts, read back from the document XML.
 * Expected values come from the score result and the framework (the one source), and from 002's
 * published figures where the domain notes give them (97.5 + 1 = 98.5, 优秀).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAnnexTable, buildReport, buildReportContent, blockText, formatEvidence } from '../src/core/report/index';
import { FONTS, STYLE } from '../src/core/report/styles';
import { reportText } from '../src/core/locale/zh-CN';
import type { Framework } from '../src/core/framework/load';
import type { ScoreResult } from '../src/core/scoring/types';
import { attrOf, loadAnswers002, readDocx, reportInput002, reportInputFor, styleXml, type DocParagraph, type DocTable, type DocxParts } from './helpers/report';

const paragraphs = (d: DocxParts) => d.body.filter((b): b is DocParagraph => b.type === 'p');
const tables = (d: DocxParts) => d.body.filter((b): b is DocTable => b.type === 'tbl');
const num = (s: string) => Number(s);

/** Data rows of the annex table with level-1/level-2 texts carried down over merged cells. */
function annexRows(t: DocTable) {
  let l1 = '';
  let l2 = '';
  return t.rows
    .filter((r) => !r.header && r.cells.length > 1) // a note row is one cell across the table
    .map((r) => {
      const c = r.cells;
      if (c[0]!.gridSpan > 1) return { l1: c[0]!.text, l2: '', l3: '', points: c.at(-2)!.text, score: c.at(-1)!.text, total: true };
      if (c[0]!.vMerge !== 'continue') l1 = c[0]!.text;
      if (c[1]!.vMerge !== 'continue') l2 = c[1]!.text;
      return { l1, l2, l3: c[2]!.text, points: c[5]!.text, score: c[6]!.text, total: false };
    });
}

/**
 * Every number the text states against the annex table and the result: each level-1 part's points
 * and score, each level-2 item's points and "本项自评得N分", the base, bonus, penalty, total and grade.
 */
function expectNumbersAgree(doc: DocxParts, result: ScoreResult, framework: Framework): void {
  const texts = paragraphs(doc).map((p) => p.text);
  const rows = annexRows(tables(doc)[0]!);
  const adjName = framework.adjustmentsName ?? reportText.adjustmentsName;
  const body = rows.filter((r) => !r.total && !r.l1.startsWith(adjName));
  let level1 = 0;
  for (const t of texts) {
    const m = /^（[一二三四五六七八九十]+）(.+)（总分([\d.]+)分，自评价得分([\d.]+)分）$/.exec(t);
    if (!m) continue;
    level1++;
    const under = body.filter((r) => r.l1 === `${m[1]}（${m[2]}分）`);
    expect(under.length, m[1]).toBeGreaterThan(0);
    expect(round(sumOf(under.map((r) => r.points)))).toBe(num(m[2]!));
    expect(round(sumOf(under.map((r) => r.score)))).toBe(num(m[3]!));
  }
  expect(level1).toBe(result.roots.length);
  let level2 = 0;
  texts.forEach((t, i) => {
    const m = /^\d+\.(.+?)（([\d.]+)分）：/.exec(t);
    if (!m) return;
    level2++;
    const s = /^本项自评得([\d.]+)分。$/.exec(texts[i + 1] ?? '');
    expect(s, t).not.toBeNull();
    const under = body.filter((r) => r.l2 === `${m[1]}（${m[2]}分）`);
    expect(under.length, m[1]).toBeGreaterThan(0);
    expect(round(sumOf(under.map((r) => r.points)))).toBe(num(m[2]!));
    expect(round(sumOf(under.map((r) => r.score)))).toBe(num(s![1]!));
  });
  expect(level2).toBe(result.indicators.filter((e) => e.level === 2).length);
  const intro = texts.find((t) => t.startsWith('围绕'))!;
  const base = num(/自评基础分([\d.]+)分/.exec(intro)![1]!);
  const total = /自评总分([\d.]+)分/.exec(intro)![1]!;
  expect(base).toBe(result.base);
  // The table's rows add up to the base unless it was re-based (then a note row says so).
  if (!result.rebased) expect(round(sumOf(body.map((r) => r.score)))).toBe(base);
  else expect(tables(doc)[0]!.rows.some((r) => r.cells.length === 1 && r.cells[0]!.text === result.notes[0])).toBe(true);
  const totalRow = rows.find((r) => r.total)!;
  expect(totalRow.score).toBe(total);
  expect(num(total)).toBe(result.total);
  expect(totalRow.points).toBe(String(result.basePoints));
  expect(intro).toContain(`“${result.grade}”`);
  if (framework.bonus) {
    const bonusRow = rows.find((r) => r.l2 === framework.bonus!.name)!;
    expect(num(bonusRow.score)).toBe(result.bonus.score);
    if (result.bonus.score) expect(intro).toContain(`加${result.bonus.score}分`);
  }
  if (framework.penalty) {
    const penaltyRow = rows.find((r) => r.l2 === framework.penalty!.name)!;
    expect(num(penaltyRow.score)).toBe(result.penalty.score ? -result.penalty.score : 0);
    if (result.penalty.score) expect(intro).toContain(`减${result.penalty.score}分`);
  }
}

// Cells such as 不适用 count as no points scored.
const sumOf = (xs: string[]) => xs.reduce((a, x) => a + (/^-?[\d.]+$/.test(x) ? Number(x) : 0), 0);
const round = (x: number) => Math.round(x * 100) / 100;

describe('report for 002 (南京市数据局 2024)', () => {
  let doc: DocxParts;
  let result: ScoreResult;
  let missing: string[];

  beforeAll(async () => {
    const input = reportInput002();
    result = input.result;
    const built = await buildReport(input);
    missing = built.missing;
    doc = await readDocx(built.bytes);
  });

  it('is a complete evaluation with the published totals, and nothing is marked missing', () => {
    expect([result.base, result.bonus.score, result.total, result.grade]).toEqual([97.5, 1, 98.5, '优秀']);
    expect(missing).toEqual([]);
    expect(doc.document).not.toContain('【待填写');
  });

  it('has every section of 002, in order', () => {
    const texts = paragraphs(doc).map((p) => p.text);
    const T = reportText;
    const expected = [
      '南京市数据局',
      T.titleYearLine(2024),
      T.heading1(1, T.sections.overview),
      T.heading2(1, T.sections.basicInfo),
      T.heading2(2, T.sections.finances),
      T.heading2(3, T.sections.goals),
      T.heading1(2, T.sections.conclusion),
      ...result.roots.map((code, i) => T.heading2(i + 1, result.indicators.find((e) => e.code === code)!.name)),
      T.heading2(result.roots.length + 1, T.adjustmentsName),
      T.heading1(3, T.sections.achievements),
      T.heading1(4, T.sections.problems),
      T.heading1(5, T.sections.suggestions),
      T.heading1(6, T.sections.process),
      T.annexLabel,
      T.annexTitle('南京市数据局', 2024),
    ];
    let at = 0;
    for (const e of expected) {
      const found = texts.findIndex((t, i) => i >= at && t.startsWith(e));
      expect(found, `"${e}" after paragraph ${at}`).toBeGreaterThanOrEqual(at);
      at = found + 1;
    }
    // The annex table comes last, after the annex title.
    expect(doc.body.at(-1)!.type).toBe('tbl');
  });

  it('writes one numbered paragraph per level-2 indicator, each closed by its score', () => {
    const texts = paragraphs(doc).map((p) => p.text);
    for (const l2 of result.indicators.filter((e) => e.level === 2)) {
      const i = texts.findIndex((t) => t.includes(`.${l2.name}（${l2.points}分）：`));
      expect(i, l2.name).toBeGreaterThan(0);
      expect(texts[i + 1]).toBe(`本项自评得${l2.score}分。`);
    }
  });

  it('states the same numbers in the text as in the annex table', () => {
    expectNumbersAgree(doc, result, reportInput002().framework);
    const texts = paragraphs(doc).map((p) => p.text);
    // 002's adjustments part: 加1分.
    expect(texts.find((t) => t.startsWith('（六）'))).toBe(`（六）加减分项（≤5分，自评得分${result.bonus.score}分）`);
  });

  it('carries the reasons, the deductions and the evidence into the level-2 paragraphs', () => {
    const all = paragraphs(doc).map((p) => p.text).join('\n');
    for (const d of result.deductions) {
      expect(all).toContain(`${d.reasons.join('，')}，扣${d.lost}分`);
    }
    expect(all).toContain(formatEvidence({ title: '关于印发《中共南京市数据局党组工作规则》的通知', docNo: '宁数党发〔2024〕1号' }));
    expect(all).toContain('《关于印发〈中共南京市数据局党组工作规则〉的通知》（宁数党发〔2024〕1号）');
    expect(all).toContain('预算执行率为85.72%');
    expect(all).toContain(result.bonus.reasons[0]!);
    expect(all).toContain('5959.46 ÷ (6091.91 + 860.29)');
  });

  it('merges level-1 and level-2 cells over their children, with a bonus/penalty block and a total row', () => {
    const t = tables(doc)[0]!;
    expect(t.rows[0]!.header).toBe(true);
    expect(t.rows[0]!.cells.map((c) => c.text)).toEqual([...reportText.columns]);
    const data = t.rows.slice(1);
    const byCode = new Map(result.indicators.map((e) => [e.code, e]));
    const leavesUnder = (code: string): number => {
      const e = byCode.get(code)!;
      return e.children.length ? e.children.reduce((a, c) => a + leavesUnder(c), 0) : 1;
    };
    // Column 0: one restart per level-1 indicator (plus the bonus/penalty block), spanning its leaves.
    const spans = (col: number) => {
      const out: Array<{ text: string; span: number }> = [];
      for (const r of data) {
        const c = r.cells[col];
        if (r.cells.length < 7) break; // the total row
        if (c!.vMerge === 'continue') out.at(-1)!.span++;
        else out.push({ text: c!.text, span: 1 });
      }
      return out;
    };
    const l1 = spans(0);
    expect(l1.map((s) => s.span)).toEqual([...result.roots.map(leavesUnder), 2]);
    expect(l1.map((s) => s.text)).toEqual([
      ...result.roots.map((c) => `${byCode.get(c)!.name}（${byCode.get(c)!.points}分）`),
      '加减分项（≤5分）',
    ]);
    const l2 = spans(1);
    const level2 = result.indicators.filter((e) => e.level === 2);
    expect(l2.slice(0, level2.length).map((s) => s.span)).toEqual(level2.map((e) => leavesUnder(e.code)));
    // 002's own table: 部门决策 over 8 rows, 重点工作完成情况 over its 9 key tasks.
    expect(l1[0]!.span).toBe(8);
    expect(l2.find((s) => s.text.startsWith('重点工作完成情况'))!.span).toBe(9);
    // Key tasks are level-3 rows.
    for (const kt of result.indicators.filter((e) => e.keyTask)) expect(data.some((r) => r.cells.some((c) => c.text === kt.name))).toBe(true);
    // Total row: 合计 across five columns, then 分值 and 自评分.
    const total = data.at(-1)!;
    expect(total.cells.map((c) => c.text)).toEqual(['合计', '100', '98.5']);
    expect(total.cells[0]!.gridSpan).toBe(5);
    // The header repeats on each page, rows do not split.
    expect(t.xml.match(/<w:tblHeader\/>/g)).toHaveLength(1);
    expect(t.xml.match(/<w:cantSplit\/>/g)!.length).toBe(t.rows.length);
  });

  it('defines the GB/T 9704 styles once and leaves runs without direct formatting', () => {
    const s = doc.styles;
    const body = styleXml(s, STYLE.body);
    expect(attrOf(body, 'w:rFonts', 'w:eastAsia')).toBe(FONTS.body);
    expect(attrOf(body, 'w:rFonts', 'w:ascii')).toBe('Times New Roman');
    expect(attrOf(body, 'w:rFonts', 'w:hAnsi')).toBe('Times New Roman');
    expect(attrOf(body, 'w:sz', 'w:val')).toBe('32');
    expect(attrOf(body, 'w:spacing', 'w:line')).toBe('579');
    expect(attrOf(body, 'w:spacing', 'w:lineRule')).toBe('exact');
    expect(attrOf(body, 'w:ind', 'w:firstLineChars')).toBe('200');
    const title = styleXml(s, STYLE.title);
    expect(attrOf(title, 'w:rFonts', 'w:eastAsia')).toBe('方正小标宋简体');
    expect(attrOf(title, 'w:sz', 'w:val')).toBe('44');
    expect(attrOf(title, 'w:jc', 'w:val')).toBe('center');
    expect(attrOf(styleXml(s, STYLE.heading1), 'w:rFonts', 'w:eastAsia')).toBe('黑体');
    expect(attrOf(styleXml(s, STYLE.heading2), 'w:rFonts', 'w:eastAsia')).toBe('楷体_GB2312');
    // Document defaults: Times New Roman for Latin and digits, 仿宋_GB2312 for Chinese.
    const defaults = /<w:docDefaults>[\s\S]*?<\/w:docDefaults>/.exec(s)![0];
    expect(attrOf(defaults, 'w:rFonts', 'w:ascii')).toBe('Times New Roman');
    expect(attrOf(defaults, 'w:rFonts', 'w:eastAsia')).toBe('仿宋_GB2312');
    // Each style id is defined once.
    const ids = [...s.matchAll(/w:styleId="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    // Paragraphs name a style and carry nothing else; runs carry no fonts or sizes of their own.
    const ps = paragraphs(doc);
    expect(ps.filter((p) => p.text && !p.style)).toEqual([]);
    for (const p of ps) {
      const pPr = /<w:pPr>([\s\S]*?)<\/w:pPr>/.exec(p.xml)?.[1] ?? '';
      expect(pPr.replace(/<w:sectPr[\s\S]*<\/w:sectPr>/, '').replace(/<w:pStyle [^>]*\/>/, ''), p.text).toBe('');
    }
    for (const p of ps) for (const r of p.runs) expect(r.rPr.replace(/<w:rStyle [^>]*\/>/, '')).toBe('');
    const byStyle = (id: string) => ps.filter((p) => p.style === id).map((p) => p.text);
    expect(byStyle(STYLE.heading1).every((t) => /^[一二三四五六]、/.test(t))).toBe(true);
    expect(byStyle(STYLE.heading2).every((t) => /^（[一二三四五六七八九十]+）/.test(t))).toBe(true);
    expect(byStyle(STYLE.title)).toEqual(['南京市数据局', '2024年度部门整体绩效自评价报告']);
  });

  it('names a fallback for every East Asian font in the font table', () => {
    for (const f of [FONTS.title, FONTS.body, FONTS.heading1, FONTS.heading2]) {
      const entry = new RegExp(`<w:font w:name="${f}">([\\s\\S]*?)</w:font>`).exec(doc.fontTable);
      expect(entry, f).not.toBeNull();
      expect(entry![1]).toMatch(/<w:altName w:val="[^"]+"\/>/);
      expect(entry![1]).toContain('<w:charset w:val="86"/>');
    }
  });

  it('lays out A4 pages with GB/T 9704 margins, a landscape annex and alternating page numbers', () => {
    expect(doc.sections).toHaveLength(3);
    for (const sect of doc.sections) {
      expect(attrOf(sect, 'w:pgMar', 'w:top')).toBe('2098'); // 37 mm
      expect(attrOf(sect, 'w:pgMar', 'w:bottom')).toBe('1984'); // 35 mm
      expect(attrOf(sect, 'w:pgMar', 'w:left')).toBe('1587'); // 28 mm
      expect(attrOf(sect, 'w:pgMar', 'w:right')).toBe('1474'); // 26 mm
    }
    const [cover, body, annex] = doc.sections as [string, string, string];
    expect([attrOf(body, 'w:pgSz', 'w:w'), attrOf(body, 'w:pgSz', 'w:h')]).toEqual(['11906', '16838']);
    expect(attrOf(annex, 'w:pgSz', 'w:orient')).toBe('landscape');
    expect(Number(attrOf(annex, 'w:pgSz', 'w:w'))).toBeGreaterThan(Number(attrOf(annex, 'w:pgSz', 'w:h')));
    expect(cover).not.toContain('w:footerReference');
    expect(attrOf(body, 'w:pgNumType', 'w:start')).toBe('1');
    expect(body).toMatch(/w:footerReference w:type="default"/);
    expect(body).toMatch(/w:footerReference w:type="even"/);
    expect(doc.settings).toContain('<w:evenAndOddHeaders/>');
    const odd = doc.footers.filter((f) => f.includes(STYLE.pageNumberOdd));
    const even = doc.footers.filter((f) => f.includes(STYLE.pageNumberEven));
    expect(odd.length).toBeGreaterThan(0);
    expect(even.length).toBeGreaterThan(0);
    for (const f of [...odd, ...even]) {
      expect(f).toMatch(/PAGE/);
      expect(f).toContain('— ');
    }
    expect(attrOf(styleXml(doc.styles, STYLE.pageNumberOdd), 'w:jc', 'w:val')).toBe('right');
    expect(attrOf(styleXml(doc.styles, STYLE.pageNumberEven), 'w:jc', 'w:val')).toBe('left');
  });
});

describe('missing answers', () => {
  it('marks every gap 【待填写：…】, lists it, and states no total it does not have', async () => {
    const data = loadAnswers002();
    const narratives = data.narratives as Record<string, string>;
    delete narratives.problems;
    delete (data.facts as Record<string, number>).carryoverEnd;
    delete (data.judgements as Record<string, unknown>).A11;
    const input = reportInput002(data);
    const { bytes, missing } = await buildReport(input);
    const doc = await readDocx(bytes);
    const texts = paragraphs(doc).map((p) => p.text);
    const all = texts.join('\n');
    expect(missing).toEqual(expect.arrayContaining(['存在问题及原因分析', '年末结转和结余']));
    expect(missing.some((m) => m.startsWith('决策制度的规范性'))).toBe(true);
    for (const m of missing) expect(all).toContain(`【待填写：${m}】`);
    // Markers are runs in the marker style.
    const markers = paragraphs(doc).flatMap((p) => p.runs.filter((r) => r.text.startsWith('【待填写')));
    expect(markers.length).toBeGreaterThanOrEqual(missing.length);
    expect(markers.every((r) => r.style === STYLE.pending)).toBe(true);
    // No total, base or grade is claimed; the level-1 part and level-2 item say their score is pending.
    expect(all).not.toMatch(/自评总分[\d.]+分/);
    expect(texts.find((t) => t.startsWith('（一）部门决策'))).toContain('【待填写');
    expect(all).not.toMatch(/undefined|null|NaN/);
    // The table agrees: the leaf and the total are 待填写.
    const rows = tables(doc)[0]!.rows;
    expect(rows.find((r) => r.cells.some((c) => c.text === '决策制度的规范性'))!.cells.at(-1)!.text).toBe('待填写');
    expect(rows.at(-1)!.cells.at(-1)!.text).toBe('待填写');
  });

  it('marks an empty key-task slot and every narrative of an empty evaluation', () => {
    const input = reportInput002({ framework: 'nanjing-2021' });
    const content = buildReportContent(input);
    const text = content.blocks.map(blockText).join('\n');
    for (const n of input.framework.narratives!) {
      if (n.key === 'finances') continue; // the figures stand in for it
      expect(content.missing).toContain(n.title);
    }
    expect(content.missing.some((m) => m.startsWith('重点工作完成情况'))).toBe(true);
    expect(text).toContain('【待填写：重点工作完成情况');
    expect(content.missing).toEqual([...new Set(content.missing)]);
  });
});

describe('changed answers', () => {
  it('moves text and table together when a score changes', async () => {
    const data = loadAnswers002();
    (data.judgements as Record<string, unknown>).A11 = { value: false, reason: '议事规则未及时修订' };
    (data as { penalties: unknown[] }).penalties = [{ points: 0.5, reason: '工作人员违规' }];
    (data as { bonus: Array<Record<string, unknown>> }).bonus[0]!.evidence = { title: '关于2024年度市级机关绩效考核结果的通报', docNo: '宁考办〔2025〕1号' };
    const input = reportInput002(data);
    const doc = await readDocx((await buildReport(input)).bytes);
    const texts = paragraphs(doc).map((p) => p.text);
    const r = input.result;
    expect(r.total).toBe(96); // 97.5 − 2 + 1 − 0.5
    expect(texts).toContain('（一）部门决策（总分15分，自评价得分12分）');
    expect(texts.find((t) => t.startsWith('围绕'))).toContain(`自评总分${r.total}分`);
    expect(texts.join('\n')).toContain('议事规则未及时修订');
    expect(texts.join('\n')).toContain('工作人员违规，扣0.5分');
    expect(texts.find((t) => t.includes('得到市级考核一等奖'))).toContain('《关于2024年度市级机关绩效考核结果的通报》（宁考办〔2025〕1号）');
    const rows = tables(doc)[0]!.rows;
    expect(rows.at(-1)!.cells.at(-1)!.text).toBe(String(r.total));
    expect(rows.find((row) => row.cells.some((c) => c.text === '减分项'))!.cells.at(-1)!.text).toBe('-0.5');
  });
});

describe('annex rows model', () => {
  it('builds the blank framework table without scores, one row per empty key-task slot', () => {
    const { framework } = reportInput002();
    const t = buildAnnexTable(framework);
    expect(t.scored).toBe(false);
    expect(t.rows.every((r) => r.scoreText === '' && r.score === null)).toBe(true);
    const slots = t.rows.filter((r) => r.slot);
    expect(slots.map((r) => r.code)).toEqual(['C1', 'E1']);
    // Row spans cover the rows exactly.
    let covered1 = 0;
    let covered2 = 0;
    for (const r of t.rows) {
      if (r.level1) covered1 += r.level1.rowSpan;
      if (r.level2) covered2 += r.level2.rowSpan;
    }
    expect(covered1).toBe(t.rows.length);
    expect(covered2).toBe(t.rows.length);
  });
});

describe('figures that do not reconcile', () => {
  it('flags a failed balance check 【待核对：…】 and lists it', () => {
    const data = loadAnswers002();
    (data.facts as Record<string, number>).carryoverEnd = 900;
    const input = reportInput002(data);
    const failed = input.result.inconsistencies.filter((i) => i.kind === 'check_failed');
    expect(failed.length).toBe(1);
    const content = buildReportContent(input);
    const text = content.blocks.map(blockText).join('\n');
    expect(text).toContain(`【待核对：${failed[0]!.message}】`);
    expect(content.missing).toContain(failed[0]!.message);
  });
});

describe('the report core', () => {
  it('imports no Node-only modules (a Workers build follows)', () => {
    const dir = 'src/core/report';
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      const imports = [...src.matchAll(/from '([^']+)'|import\('([^']+)'\)/g)].map((m) => m[1] ?? m[2]!);
      expect(imports.filter((i) => i.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'buffer', 'stream'].includes(i)), f).toEqual([]);
    }
  });
});

describe.each([
  'templates/examples/nanjing-2021-data-bureau-2024.json',
  'templates/examples/nanjing-2020-general-office-2020.json',
  'templates/examples/guangdong-2020-zhanjiang-office-2020.json',
  'templates/examples/goal-rate-gaoxin-office-2023.json',
])('report for %s', (file) => {
  it('states the same numbers in the text as in the annex table', async () => {
    const input = reportInputFor(file);
    const doc = await readDocx((await buildReport(input)).bytes);
    expectNumbersAgree(doc, input.result, input.framework);
  });
});

describe('report words', () => {
  it('writes Chinese ordinals and the cover date as official documents do', () => {
    expect([1, 9, 10, 11, 19, 20, 23, 99].map(reportText.ordinal)).toEqual(['一', '九', '十', '十一', '十九', '二十', '二十三', '九十九']);
    expect(reportText.coverDate(new Date(2025, 5, 1))).toBe('二〇二五年六月');
    expect(reportText.coverDate(new Date(2030, 11, 31))).toBe('二〇三〇年十二月');
    expect(formatEvidence('《南京市数据局预算管理办法》')).toBe('《南京市数据局预算管理办法》');
    expect(formatEvidence('南京市数据局预算管理办法')).toBe('《南京市数据局预算管理办法》');
  });
});
