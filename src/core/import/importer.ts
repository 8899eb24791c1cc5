/**
 * The importer: a sheet in the annex layout (一级指标 | 二级指标 | 三级指标 | 指标说明 | 评价要点 | 分值)
 * → a draft framework with one outcome per row (compiled rule, or open with the reason).
 *
 * What it reads: title rows before the header; merged level cells, or blank level cells that continue
 * the row above (CSV has no merges); line breaks inside cells; full-width digits and brackets;
 * "2. 5" for 2.5; level points from names ("决策机制（4分）", "(6 分)") or from the 分值 column; codes
 * written before names ("A1 决策机制"); the total row; the 加减分项 block (bonus table, discretionary
 * penalty). 指标说明 and 评价要点 are kept verbatim.
 *
 * What it refuses (ImportError, every problem with its row number): no header, points that do not
 * add up, inconsistent levels or codes, duplicate names under one parent, leaves without points.
 * Nothing is half-imported: a sheet either becomes a whole draft or an error.
 *
 * A workbook written by `exportFramework` carries a hidden data sheet with the rules, facts and
 * metrics the annex cannot show; a row whose 评价要点 and 分值 are unchanged keeps its rule from there,
 * an edited row is compiled afresh.
 *
 * @example const draft = importSheet(sheet, { id: 'my-unit-2025' }); listOpenRows(draft)
 */
import { dec, sum } from '../decimal';
import type {
  BonusSection,
  Fact,
  FrameworkInput,
  GradeBand,
  IndicatorInput,
  KeyTaskSlot,
  Metric,
  Narrative,
  PenaltySection,
  Rule,
} from '../framework/schema';
import { importText as T } from '../locale/zh-CN';
import { coverageProblems } from '../framework/load';
import { compileCriteria, parseBonusTable, parseComparison, type OpenKind, type RuleQuantities } from './compiler';
import { describeRule } from './describe';
import { normaliseText, parseNumber, toHalfWidth } from './numerals';
import { cellText, continuesMergeAbove, rowNumber, type Sheet } from './sheet';

// ---------------------------------------------------------------------------------------------
// Draft model (plain JSON, so a chat can keep it between messages).

/** What became of one row. */
export type RowOutcome =
  /** The compiler understood the prose. */
  | { status: 'compiled'; rule: Rule; text: string; assumptions: string[] }
  /** The rule came unchanged from the exported workbook's data sheet. */
  | { status: 'kept'; rule: Rule; text: string }
  /** An organiser supplied or overrode the rule. */
  | { status: 'confirmed'; rule: Rule; text: string; previous?: string }
  /** Needs an organiser's answer. */
  | { status: 'open'; kind: OpenKind | 'bonus'; reason: string; suggestion?: { rule: Rule; text: string; quantities: RuleQuantities } }
  /** A key-task slot: the unit fills in its items, which bring their own rules. */
  | { status: 'slot'; text: string }
  /** The bonus table, understood. */
  | { status: 'bonus'; section: BonusSection; text: string }
  /** The discretionary penalty block. */
  | { status: 'penalty'; section: PenaltySection; text: string };

/** One scored row of the sheet (a leaf, a key-task slot, or a bonus/penalty row). */
export interface DraftRow {
  /** Row number in the sheet as Excel shows it (1-based). */
  row: number;
  kind: 'indicator' | 'slot' | 'bonus' | 'penalty';
  /** Indicator code ('bonus' / 'penalty' for the adjustment rows). */
  code: string;
  name: string;
  level: number;
  /** 分值; undefined for bonus/penalty rows. */
  points?: number;
  /** Names of the level-1 and level-2 indicators above, for showing the row in context. */
  path: string[];
  description: string;
  criteria: string;
  outcome: RowOutcome;
  /** Metrics and facts the row's rule reads (added to the framework). */
  quantities: RuleQuantities;
  note?: string;
  required?: boolean;
  /** The cap written on the 加减分项 block ("≤5分"), for the bonus row. */
  cap?: number;
}

/** An indicator of the draft tree (rules live in `rows`, by code). */
export interface DraftNode {
  code: string;
  name: string;
  points: number;
  level: number;
  row: number;
  description?: string;
  criteria?: string;
  children: DraftNode[];
  keyTasks?: KeyTaskSlot;
  /** A parent's note and "required" flag, carried from an exported workbook (the annex has no cell for them). */
  note?: string;
  required?: boolean;
}

/** A framework being imported: the tree, the rows with their outcomes, and the framework's other parts. */
export interface DraftFramework {
  version: 1;
  id: string;
  name: string;
  description?: string;
  source: FrameworkInput['source'];
  basePoints: number;
  tree: DraftNode[];
  rows: DraftRow[];
  grades: GradeBand[];
  /** Where the grade bands came from: the caller, an exported workbook, a note in the sheet, or 财预〔2020〕10号's default. */
  gradesFrom: 'options' | 'data' | 'sheet' | 'default';
  narratives?: Narrative[];
  adjustmentsName?: string;
  checks?: FrameworkInput['checks'];
  /** Facts and metrics carried from an exported workbook's data sheet. */
  facts: Fact[];
  metrics: Metric[];
  /** The sheet it came from. */
  sheetName: string;
}

/** A row-numbered problem. */
export interface ImportProblem {
  /** 1-based sheet row; 0 when the problem is not one row's. */
  row: number;
  message: string;
}

/** A sheet that cannot become a framework; `problems` names every row at fault. */
export class ImportError extends Error {
  constructor(
    readonly sheet: string,
    readonly problems: ImportProblem[],
  ) {
    super(`${sheet}: ${T.sheet.refused}\n${problems.map((p) => `  - ${p.row ? T.sheet.rowPrefix(p.row) : ''}${p.message}`).join('\n')}`);
    this.name = 'ImportError';
  }
}

/** Options for an import. */
export interface ImportOptions {
  /** Framework id (lower-case letters, digits, "-"); default "imported". */
  id?: string;
  /** Framework name; default the sheet's title row. */
  name?: string;
  /** Grade bands; default 财预〔2020〕10号 (90/80/60). */
  grades?: GradeBand[];
  /** Where the sheet came from (file name), for `source.documents`. */
  document?: string;
  /** The exported workbook's data (see `readFrameworkData`), to keep rules of unchanged rows. */
  data?: FrameworkInput;
}

/** 财预〔2020〕10号's bands with the grade names most reports use. */
export const DEFAULT_GRADES: GradeBand[] = [
  { grade: T.grades[0], gte: 90 },
  { grade: T.grades[1], gte: 80, lt: 90 },
  { grade: T.grades[2], gte: 60, lt: 80 },
  { grade: T.grades[3], gte: 0, lt: 60 },
];

// ---------------------------------------------------------------------------------------------
// Header.

type Column = 'level1' | 'level2' | 'level3' | 'description' | 'criteria' | 'points' | 'score' | 'points1' | 'points2';

const HEADER_WORDS: Array<[Column, RegExp]> = [
  ['level1', /^一级(指标)?$/],
  ['level2', /^二级(指标)?$/],
  ['level3', /^三级(指标)?$/],
  ['description', /^(指标说明|指标解释|指标内涵|指标定义|考核内容|评价内容)$/],
  ['criteria', /^(评价要点|评分标准|评分要点|评分细则|评分方法|计分方法|评分规则|考核标准|评价标准)$/],
  ['points', /^(分值|标准分|权重|权重分|满分|指标分值|分数)$/],
  ['score', /^(自评分|得分|自评得分|评分|实际得分)$/],
];

function headerKey(text: string): string {
  return toHalfWidth(text)
    .replace(/\s+/g, '')
    .replace(/[(（][^)）]*[)）]/g, '');
}

/** Finds the header row (within the first 30 rows) and the columns it names. */
export function findHeader(sheet: Sheet): { row: number; columns: Partial<Record<Column, number>> } | undefined {
  const limit = Math.min(sheet.rows.length, 30);
  for (let r = 0; r < limit; r++) {
    const columns: Partial<Record<Column, number>> = {};
    const pointsColumns: number[] = [];
    sheet.rows[r]!.forEach((_, c) => {
      // A header cell merged down over two header rows reads the same in both.
      const key = headerKey(cellText(sheet, r, c));
      for (const [col, re] of HEADER_WORDS) {
        if (!re.test(key)) continue;
        if (col === 'points') pointsColumns.push(c);
        else if (columns[col] === undefined) columns[col] = c;
      }
    });
    if (columns.level1 !== undefined && columns.criteria !== undefined && (columns.level2 !== undefined || columns.level3 !== undefined)) {
      // 分值 columns: one after each level ("一级指标 | 分值 | 二级指标 | 分值 | …"), the leaf's after the deepest.
      const levels = (['level1', 'level2', 'level3'] as const).filter((l) => columns[l] !== undefined);
      const deepest = levels[levels.length - 1]!;
      for (const c of pointsColumns) {
        const left = levels.filter((l) => columns[l]! < c).pop();
        const key: Column = !left || left === deepest ? 'points' : left === 'level1' ? 'points1' : 'points2';
        if (columns[key] === undefined) columns[key] = c;
      }
      return { row: r, columns };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Names: "A1 决策机制（4分）", "决策机\n制(6 分)", "加减分项（≤5分）".

/** A level cell's parts. */
export interface NameParts {
  code?: string;
  name: string;
  points?: number;
  /** "≤5分": a cap rather than points. */
  cap?: boolean;
}

/** Words that mark a key-task slot in the 三级指标 column (the export writes the first). */
export const SLOT_MARKERS = [/^[（(]?(由单位|各单位|单位)?(自行)?(填报|填列|自定|确定)(重点工作|具体工作|项目)?[)）]?$/, /^[（(]?重点工作(由单位)?(填报|自定|填列)[)）]?$/];

/** Splits a level cell into code, name and points. */
export function parseName(raw: string): NameParts {
  // Join lines: PDF- or Excel-wrapped names ("决策机\n制") carry no meaning in their breaks. Parsing
  // reads a half-width copy (same length), the name keeps the original characters (，“”…).
  let orig = raw.replace(/\s*\n\s*/g, '').trim();
  let s = toHalfWidth(orig);
  let points: number | undefined;
  let cap = false;
  const pm = /[(]\s*(≤|<=|不超过|最高|上限)?\s*(\d+(?:\s*\.\s*\d+)?)\s*分\s*[)]\s*$/.exec(s);
  if (pm) {
    points = Number(pm[2]!.replace(/\s+/g, ''));
    cap = pm[1] !== undefined;
    s = s.slice(0, pm.index);
    orig = orig.slice(0, pm.index);
  }
  let code: string | undefined;
  // "A 部门决策", "A1 决策机制", "A11决策制度": a letter alone needs a separator ("X光机购置" is a name).
  const cm = /^([A-Z](?:\d{1,3}(?:[.-]\d{1,3})*)?)(?:[\s.、:]+|(?<=\d)(?=[\u3400-\u9fff"“]))/.exec(s);
  if (cm && cm[0].length < s.trim().length) {
    code = cm[1];
    orig = orig.slice(cm[0].length);
  }
  // Spaces between Chinese characters come from wrapping.
  const name = orig.trim().replace(/(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])/g, '');
  return { ...(code ? { code } : {}), name, ...(points !== undefined ? { points } : {}), ...(cap ? { cap } : {}) };
}

const TOTAL = /^(合\s*计|总\s*计|总\s*分|总得分|得分合计|合计得分)/;
const NOTE = /^(注|说明|备注)[:：]/;
const ADJUSTMENTS = /加减分|加分项|减分项|附加分|加扣分/;
const BONUS = /加分/;
const PENALTY = /减分|扣分/;

// ---------------------------------------------------------------------------------------------
// Building the draft.

interface RawLeaf {
  row: number;
  level1: NameParts;
  level2?: NameParts;
  level3?: NameParts;
  description: string;
  criteria: string;
  points?: number;
  slot: boolean;
}

interface Building {
  parts: NameParts;
  row: number;
  level: number;
  children: Building[];
  leaf?: RawLeaf;
  adjustments?: boolean;
  /** Rows where the name appeared (to tell a repeat from a continuation). */
  lastRow: number;
  /** The children by name (duplicate names are refused without scanning the siblings). */
  childByName?: Map<string, Building>;
}

/** Adds `child` under `parent` (or to `roots`), indexed by name. */
function addChild(siblings: Building[], index: Map<string, Building>, child: Building): void {
  siblings.push(child);
  if (!index.has(child.parts.name)) index.set(child.parts.name, child);
}

function childIndex(b: Building): Map<string, Building> {
  return (b.childByName ??= new Map());
}

/**
 * Imports a sheet in the annex layout. Throws ImportError listing every row at fault; otherwise
 * returns a draft whose rows are compiled or open (see `listOpenRows`, `applyConfirmation`).
 */
export function importSheet(sheet: Sheet, options: ImportOptions = {}): DraftFramework {
  const problems: ImportProblem[] = [];
  const fail = (r: number, message: string) => problems.push({ row: r, message });
  const header = findHeader(sheet);
  if (!header) {
    throw new ImportError(sheet.name, [{ row: 0, message: T.sheet.noHeader(Math.min(sheet.rows.length, 30)) }]);
  }
  const col = header.columns;
  const get = (r: number, c: number | undefined) => (c === undefined ? '' : cellText(sheet, r, c).trim());
  const continues = (r: number, c: number | undefined) => c !== undefined && continuesMergeAbove(sheet, r, c);
  // A level's own 分值 column: its points unless the name carries them, which must then agree.
  const withColumnPoints = (parts: NameParts, text: string, n: number): NameParts => {
    if (!text) return parts;
    const p = parseNumber(text);
    if (p === undefined) {
      fail(n, T.sheet.badPoints(text));
      return parts;
    }
    if (parts.points !== undefined && !parts.cap && parts.points !== p) {
      fail(n, T.sheet.pointsDisagree(parts.name, parts.points, p));
      return parts;
    }
    return parts.points !== undefined ? parts : { ...parts, points: p };
  };

  // Title: the first non-empty text above the header.
  let title = '';
  for (let r = 0; r < header.row && !title; r++) title = sheet.rows[r]!.find((c) => c.trim())?.trim() ?? '';
  title = title.replace(/\s*\n\s*/g, '');

  const roots: Building[] = [];
  const rootByName = new Map<string, Building>();
  let totalPoints: number | undefined;
  let totalRow: number | undefined;
  let prev: { l1?: Building; l2?: Building; l1Text: string; l2Text: string } = { l1Text: '', l2Text: '' };
  const leaves: RawLeaf[] = [];

  let tableEnd = sheet.rows.length;
  for (let r = header.row + 1; r < sheet.rows.length; r++) {
    const n = rowNumber(r);
    const cells = sheet.rows[r]!.map((_, c) => cellText(sheet, r, c).trim());
    if (cells.every((c) => !c)) continue;
    const first = cells.find((c) => c) ?? '';
    const l1Raw = get(r, col.level1);
    if (TOTAL.test(headerKey(l1Raw || first))) {
      const p = col.points !== undefined ? parseNumber(get(r, col.points)) : undefined;
      totalPoints = p ?? parseName(l1Raw || first).points;
      totalRow = n;
      tableEnd = r + 1;
      break;
    }
    if (NOTE.test(toHalfWidth(first))) {
      tableEnd = r;
      break;
    }
    // A repeated header (a table split over pages).
    if (headerKey(l1Raw) === '一级指标') continue;

    const l2Raw = get(r, col.level2);
    const l3Raw = col.level3 !== undefined && !continues(r, col.level3) ? get(r, col.level3) : '';
    const l1Continues = !l1Raw || continues(r, col.level1) || (l1Raw === prev.l1Text && !!prev.l1);
    // Level 1.
    let l1: Building;
    if (l1Continues) {
      if (!prev.l1) {
        fail(n, T.sheet.noLevel1);
        continue;
      }
      l1 = prev.l1;
    } else {
      const parts = withColumnPoints(parseName(l1Raw), get(r, col.points1), n);
      if (!parts.name) {
        fail(n, T.sheet.noLevel1);
        continue;
      }
      const dup = rootByName.get(parts.name);
      if (dup) {
        fail(n, T.sheet.duplicateName(parts.name, dup.row));
        continue;
      }
      l1 = { parts, row: n, level: 1, children: [], lastRow: n, ...(ADJUSTMENTS.test(parts.name) ? { adjustments: true } : {}) };
      addChild(roots, rootByName, l1);
      prev = { l1, l1Text: l1Raw, l2Text: '' };
    }
    // Level 2.
    let l2: Building | undefined;
    const l2SameAsAbove = l1Continues && prev.l2 && (continues(r, col.level2) || (!l2Raw && col.level2 !== undefined && !!l3Raw) || l2Raw === prev.l2Text);
    if (l2SameAsAbove) l2 = prev.l2;
    else if (l2Raw) {
      const parts = withColumnPoints(parseName(l2Raw), get(r, col.points2), n);
      const dup = childIndex(l1).get(parts.name);
      if (dup) {
        fail(n, T.sheet.duplicateName(parts.name, dup.row));
        continue;
      }
      if (l1.leaf) {
        fail(n, T.sheet.leafHasChildren(l1.parts.name, l1.row));
        continue;
      }
      l2 = { parts, row: n, level: 2, children: [], lastRow: n };
      addChild(l1.children, childIndex(l1), l2);
      prev.l2 = l2;
      prev.l2Text = l2Raw;
    } else {
      prev.l2 = undefined;
      prev.l2Text = '';
    }

    const description = col.description !== undefined ? cellText(sheet, r, col.description) : '';
    const criteria = col.criteria !== undefined ? cellText(sheet, r, col.criteria) : '';
    const pointsText = get(r, col.points);
    let points: number | undefined;
    if (pointsText) {
      points = parseNumber(pointsText);
      if (points === undefined) {
        fail(n, T.sheet.badPoints(pointsText));
        continue;
      }
    }
    const l3Parts = l3Raw ? parseName(l3Raw) : undefined;
    const slot = !!l3Raw && SLOT_MARKERS.some((re) => re.test(normaliseText(l3Raw)));
    const leafParts = l3Parts && !slot ? l3Parts : (l2?.parts ?? l1.parts);
    if (leafParts.points !== undefined && !leafParts.cap && points !== undefined && leafParts.points !== points) {
      fail(n, T.sheet.pointsDisagree(leafParts.name, leafParts.points, points));
      continue;
    }
    points ??= leafParts.cap ? undefined : leafParts.points;
    const leaf: RawLeaf = {
      row: n,
      level1: l1.parts,
      ...(l2 ? { level2: l2.parts } : {}),
      ...(l3Parts && !slot ? { level3: l3Parts } : {}),
      description,
      criteria,
      ...(points !== undefined ? { points } : {}),
      slot,
    };
    if (l3Parts && !slot) {
      if (!l2) {
        fail(n, T.sheet.noLevel2);
        continue;
      }
      if (l2.leaf) {
        fail(n, T.sheet.leafHasChildren(l2.parts.name, l2.row));
        continue;
      }
      const dup = childIndex(l2).get(l3Parts.name);
      if (dup) {
        fail(n, T.sheet.duplicateName(l3Parts.name, dup.row));
        continue;
      }
      addChild(l2.children, childIndex(l2), { parts: l3Parts, row: n, level: 3, children: [], leaf, lastRow: n });
    } else if (l2) {
      if (l2.children.length || l2.leaf) {
        fail(n, l2.leaf ? T.sheet.duplicateName(l2.parts.name, l2.row) : T.sheet.noLevel3);
        continue;
      }
      l2.leaf = leaf;
    } else {
      if (l1.children.length || l1.leaf) {
        fail(n, l1.leaf ? T.sheet.duplicateName(l1.parts.name, l1.row) : T.sheet.noLevel2);
        continue;
      }
      l1.leaf = leaf;
    }
    leaves.push(leaf);
  }

  if (!leaves.length && !problems.length) fail(rowNumber(header.row), T.sheet.noRows);

  // Points: parents from their names or their children; checks that they add up.
  const base = roots.filter((b) => !b.adjustments);
  const adjustments = roots.filter((b) => b.adjustments);
  // Sums are only checked on a sheet whose rows all read: a skipped row would make every sum above it wrong.
  const rowsRead = problems.length === 0;
  const settle = (b: Building): number | undefined => {
    if (b.leaf) {
      if (b.leaf.points === undefined) {
        fail(b.leaf.row, T.sheet.noPoints(b.parts.name));
        return undefined;
      }
      return b.leaf.points;
    }
    const kids = b.children.map(settle);
    if (kids.some((k) => k === undefined)) return b.parts.points;
    const total = sum(kids as number[]);
    if (rowsRead && b.parts.points !== undefined && !total.eq(dec(b.parts.points))) {
      const last = lastRowOf(b);
      fail(b.row, T.sheet.childrenDisagree(b.parts.name, b.parts.points, total.toString(), b.row, last));
      return b.parts.points;
    }
    return b.parts.points ?? Number(total.toString());
  };
  const basePointsList = base.map(settle);
  const baseTotal = sum(basePointsList.filter((p): p is number => p !== undefined));
  const basePoints = totalPoints ?? 100;
  if (!problems.length && !baseTotal.eq(dec(basePoints))) {
    if (totalRow !== undefined) fail(totalRow, T.sheet.totalDisagree(baseTotal.toString(), basePoints));
    else fail(0, T.sheet.baseNot100(baseTotal.toString()));
  }

  // Codes: written ones are checked, missing ones assigned.
  const codes = new Map<string, number>();
  // Written codes are reserved first, so a row added without a code never takes one written further down.
  const written = new Set<string>();
  const reserve = (b: Building) => {
    if (b.parts.code) written.add(b.parts.code);
    b.children.forEach(reserve);
  };
  roots.forEach(reserve);
  const taken = (c: string) => codes.has(c) || written.has(c);
  const assign = (b: Building, parentCode: string | undefined, index: number, siblings: number): string => {
    let code = b.parts.code;
    if (code) {
      if (parentCode && !code.startsWith(parentCode)) fail(b.row, T.sheet.codeParent(code, parentCode));
    } else if (!parentCode) {
      code = String.fromCharCode(65 + index);
      while (taken(code)) code = String.fromCharCode(code.charCodeAt(0) + 1);
    } else {
      const sep = siblings >= 10 ? '.' : '';
      let k = index + 1;
      code = `${parentCode}${sep}${k}`;
      while (taken(code)) code = `${parentCode}${sep}${++k}`;
    }
    if (codes.has(code)) fail(b.row, T.sheet.duplicateCode(code, codes.get(code)!));
    codes.set(code, b.row);
    (b as Building & { code?: string }).code = code;
    b.children.forEach((c, i) => assign(c, code, i, b.children.length));
    return code;
  };
  base.forEach((b, i) => assign(b, undefined, i, base.length));

  if (problems.length) throw new ImportError(sheet.name, problems);

  // Rows and outcomes.
  const data = options.data;
  const dataByCode = new Map<string, IndicatorInput>();
  const walkData = (list: IndicatorInput[] | undefined) => {
    for (const i of list ?? []) {
      dataByCode.set(i.code, i);
      walkData(i.children);
    }
  };
  walkData(data?.indicators);
  // Looked up once per key: a large exported workbook has as many metrics as rows.
  const metricByKey = firstByKey(data?.metrics ?? []);
  const factByKey = firstByKey(data?.facts ?? []);
  const labelFor = (key: string) => metricByKey.get(key)?.label ?? factByKey.get(key)?.label ?? key;
  const unitFor = (key: string) => metricByKey.get(key)?.unit ?? factByKey.get(key)?.unit ?? '%';

  const rows: DraftRow[] = [];
  const toNode = (b: Building, path: string[]): DraftNode => {
    const code = (b as Building & { code: string }).code;
    const points = b.leaf?.points ?? b.parts.points ?? Number(sum(b.children.map((c) => leafPoints(c))).toString());
    const node: DraftNode = { code, name: b.parts.name, points, level: b.level, row: b.row, children: [] };
    const same = dataByCode.get(code);
    if (!b.leaf && same && same.name === b.parts.name && same.points === points) {
      // A parent unchanged from the exported workbook keeps what the annex cannot show.
      if (same.description) node.description = same.description;
      if (same.criteria) node.criteria = same.criteria;
      if (same.note) node.note = same.note;
      if (same.required) node.required = true;
    }
    if (b.leaf) {
      const leaf = b.leaf;
      node.description = leaf.description;
      node.criteria = leaf.criteria;
      const known = dataByCode.get(code);
      const unchanged = known && sameText(known.criteria, leaf.criteria) && known.points === points;
      const base = { row: leaf.row, code, name: b.parts.name, level: b.level, points, path, description: leaf.description, criteria: leaf.criteria };
      if (leaf.slot || (unchanged && known?.keyTasks)) {
        node.keyTasks = known?.keyTasks ?? { question: T.slotQuestion(b.parts.name, String(points)) };
        if (unchanged && known?.note) node.note = known.note;
        if (unchanged && known?.required) node.required = true;
        rows.push({ ...base, kind: 'slot', outcome: { status: 'slot', text: T.slotText }, quantities: { metrics: [], facts: [] } });
      } else if (unchanged && known?.rule) {
        rows.push({
          ...base,
          kind: 'indicator',
          outcome: { status: 'kept', rule: known.rule, text: describeRule(known.rule, points, labelFor, [], unitFor) },
          quantities: { metrics: [], facts: [] },
          ...(known.note ? { note: known.note } : {}),
          ...(known.required ? { required: true } : {}),
        });
      } else {
        const result = compileCriteria(leaf.criteria, { code, name: b.parts.name, points, description: leaf.description });
        rows.push({
          ...base,
          kind: 'indicator',
          outcome: result.ok
            ? { status: 'compiled', rule: result.rule, text: result.text, assumptions: result.assumptions }
            : { status: 'open', kind: result.kind, reason: result.reason, ...(result.suggestion ? { suggestion: result.suggestion } : {}) },
          quantities: result.ok ? result.quantities : { metrics: [], facts: [] },
          ...(result.ok && result.assumptions.length ? { note: result.assumptions.join('；') } : {}),
        });
      }
    }
    node.children = b.children.map((c) => toNode(c, [...path, b.parts.name]));
    return node;
  };
  const tree = base.map((b) => toNode(b, []));

  // The 加减分项 block: bonus rows make one bonus table, penalty rows one discretionary section.
  let adjustmentsName: string | undefined;
  for (const a of adjustments) {
    adjustmentsName = a.parts.name;
    const cap = a.parts.points;
    const items = a.leaf ? [{ it: a, group: a.parts.name }] : a.children.flatMap((c) => (c.leaf ? [{ it: c, group: c.parts.name }] : c.children.map((it) => ({ it, group: c.parts.name }))));
    const bonusRows: Array<{ it: Building; group: string }> = [];
    for (const entry of items) {
      const { it, group } = entry;
      const leaf = it.leaf!;
      const text = normaliseText(`${it.parts.name}${leaf.criteria}`);
      const isBonus = BONUS.test(group) || BONUS.test(it.parts.name) || (!PENALTY.test(group) && !PENALTY.test(it.parts.name) && /加\d/.test(text));
      if (isBonus) {
        bonusRows.push(entry);
        continue;
      }
      const known = data?.penalty;
      const itemCap = it.parts.points ?? leaf.points ?? cap;
      // Unchanged from an exported workbook: the section as it was (the block's cap may be the bonus's).
      const section: PenaltySection =
        known && sameText(known.criteria, leaf.criteria)
          ? known
          : {
              name: PENALTY.test(group) ? group : it.parts.name,
              ...(leaf.description ? { description: leaf.description } : {}),
              ...(leaf.criteria ? { criteria: leaf.criteria } : {}),
              ...(itemCap !== undefined ? { cap: itemCap } : {}),
            };
      rows.push({
        row: leaf.row, level: it.level, path: [a.parts.name], description: leaf.description, criteria: leaf.criteria,
        quantities: { metrics: [], facts: [] }, kind: 'penalty', code: 'penalty', name: section.name,
        outcome: { status: 'penalty', section, text: T.penaltyText(section.cap) },
      });
    }
    if (bonusRows.length) {
      const first = bonusRows[0]!;
      const leaf = first.it.leaf!;
      const criteria = bonusRows.map((b) => b.it.leaf!.criteria).filter(Boolean).join('\n');
      const description = bonusRows.map((b) => b.it.leaf!.description).filter(Boolean).join('\n');
      const name = BONUS.test(first.group) ? first.group : first.it.parts.name;
      const itemCap = bonusRows.length === 1 ? (first.it.parts.points !== undefined && first.it.parts.cap ? first.it.parts.points : cap) : cap;
      const known = data?.bonus;
      const base = {
        row: leaf.row, level: first.it.level, path: [a.parts.name], description, criteria,
        quantities: { metrics: [], facts: [] }, kind: 'bonus' as const, code: 'bonus', name,
        ...(itemCap !== undefined ? { cap: itemCap } : {}),
      };
      if (known && sameText(known.criteria, criteria) && known.cap === (itemCap ?? known.cap)) {
        rows.push({ ...base, outcome: { status: 'bonus', section: known, text: describeBonus(known) } });
      } else {
        // Awards listed one per row ("受到国务院嘉奖 | 3") or as one prose table.
        const perRow = bonusRows.length > 1 ? bonusRows.map((b) => ({ label: b.it.parts.name, points: b.it.leaf!.points })) : undefined;
        rows.push({ ...base, outcome: compileBonus(name, description, criteria, itemCap, perRow) });
      }
    }
  }

  rows.sort((a, b) => a.row - b.row);
  // Grade bands written in a note below the table or in the title rows ("90分（含）以上为优秀…").
  const notes = [...sheet.rows.slice(tableEnd), ...sheet.rows.slice(0, header.row)].map((r) => r.filter(Boolean).join(' ')).join('\n');
  const sheetGrades = parseGradeNote(notes);
  const id = options.id ?? data?.id ?? 'imported';
  const draft: DraftFramework = {
    version: 1,
    id,
    name: options.name ?? data?.name ?? (title || T.defaultName),
    ...(data?.description ? { description: data.description } : {}),
    source: data?.source ?? {
      documents: [options.document ?? sheet.name],
      weights: 'document',
      note: T.sourceNote,
    },
    basePoints,
    tree,
    rows,
    grades: options.grades ?? data?.grades ?? sheetGrades ?? DEFAULT_GRADES,
    gradesFrom: options.grades ? 'options' : data?.grades ? 'data' : sheetGrades ? 'sheet' : 'default',
    narratives: data?.narratives ?? T.defaultNarratives.map((n) => ({ ...n })),
    ...(adjustmentsName ?? data?.adjustmentsName ? { adjustmentsName: adjustmentsName ?? data?.adjustmentsName } : {}),
    ...(data?.checks ? { checks: data.checks } : {}),
    facts: data?.facts ?? [],
    metrics: data?.metrics ?? [],
    sheetName: sheet.name,
  };
  return draft;
}

/** The longest condition of a grade band in a grade note ("综合得分在90分（含）以上"). */
const MAX_GRADE_CONDITION_CHARS = 80;

const GRADE_WORDS = ['优秀', '良好', '合格', '一般', '较差', '不合格', '优', '良', '中', '差'];

/**
 * Grade bands from a note such as "90分（含）以上为优秀，80（含）-90分为良好，60（含）-80分为一般，
 * 60分以下为较差" or 004's "得分≥85分为优秀；75≤得分<85分为良好…". Returns bands only when they
 * cover every score from 0 without gaps or overlaps; otherwise undefined (the caller keeps its default).
 */
export function parseGradeNote(text: string): GradeBand[] | undefined {
  const t = normaliseText(text);
  const bands: GradeBand[] = [];
  const seen = new Set<string>();
  const grade = GRADE_WORDS.join('|');
  // "<condition>为<grade>" and "<grade>(<condition>)".
  const forms = [
    // The condition is bounded (a real one is a few words), so a long cell without separators is read
    // in linear time rather than rescanned from every position.
    new RegExp(`([^，,；;。:：\n]{0,${MAX_GRADE_CONDITION_CHARS}}?)(?:的)?(?:为|评为|属于)(${grade})(?:等级|等次|档)?(?=$|[，,；;。、\n])`, 'g'),
    new RegExp(`(${grade})\\(((?:[^()]|\\(含\\))+)\\)`, 'g'),
  ];
  // "60分以下" next to "60（含）-80分": the explicit (含) wins over the boundary word's default.
  const soft: Array<{ band: GradeBand; at: number; side: 'lo' | 'hi' }> = [];
  for (const [i, re] of forms.entries()) {
    for (const m of t.matchAll(re)) {
      const [cond, name] = i === 0 ? [m[1]!, m[2]!] : [m[2]!, m[1]!];
      const c = cond
        .replace(/综合得分|评价得分|得分|总分|分数/g, 'S')
        .replace(/分/g, '')
        .replace(/^在/, '');
      const cmp = parseComparison(c);
      if (!cmp || cmp.bounds.eq !== undefined || cmp.unmarkedRange) continue;
      if (seen.has(name)) return undefined;
      seen.add(name);
      const { eq: _eq, ...bounds } = cmp.bounds;
      const band: GradeBand = { grade: name, ...bounds };
      bands.push(band);
      if (!/含|及|或/.test(c) && /以上|以下/.test(c)) {
        if (band.gte !== undefined) soft.push({ band, at: band.gte, side: 'lo' });
        if (band.lte !== undefined) soft.push({ band, at: band.lte, side: 'hi' });
      }
    }
    if (bands.length) break;
  }
  if (bands.length < 2) return undefined;
  for (const { band, at, side } of soft) {
    const claimed = bands.some((b) => b !== band && (side === 'hi' ? b.gte === at : b.lte === at));
    if (!claimed) continue;
    if (side === 'hi') {
      delete band.lte;
      band.lt = at;
    } else {
      delete band.gte;
      band.gt = at;
    }
  }
  const cov = coverageProblems(bands.map(({ grade: _g, ...b }) => b), 0);
  if (cov.gaps.length || cov.overlaps.length) return undefined;
  return bands;
}

/** The first item with each key (as `find` would give it). */
function firstByKey<X extends { key: string }>(items: X[]): Map<string, X> {
  const out = new Map<string, X>();
  for (const x of items) if (!out.has(x.key)) out.set(x.key, x);
  return out;
}

function leafPoints(b: Building): number {
  if (b.leaf) return b.leaf.points ?? 0;
  return b.parts.points ?? Number(sum(b.children.map(leafPoints)).toString());
}

function lastRowOf(b: Building): number {
  if (!b.children.length) return b.row;
  return lastRowOf(b.children[b.children.length - 1]!);
}

function sameText(a: string | undefined, b: string | undefined): boolean {
  return normaliseText(a ?? '') === normaliseText(b ?? '');
}

/** The bonus table in plain Chinese. */
export function describeBonus(section: BonusSection): string {
  return T.bonusText(
    section.items.map((i) => `${i.label}加 ${i.points} 分`).join('；'),
    section.cumulative,
    section.cap,
  );
}

/** Compiles a bonus row: the table of awards, whether they add up, and the cap. */
export function compileBonus(
  name: string,
  description: string,
  criteria: string,
  cap: number | undefined,
  perRow?: Array<{ label: string; points: number | undefined }>,
): RowOutcome {
  let table = parseBonusTable(criteria);
  if (perRow && perRow.every((r) => r.points !== undefined)) {
    table = { items: perRow.map((r, i) => ({ key: `bonus${i + 1}`, label: r.label, points: r.points! })), cumulative: table?.cumulative ?? parseBonusTable(`x加1分；${criteria}`)?.cumulative };
  }
  if (!table) return { status: 'open', kind: 'bonus', reason: T.open.bonusNoItems };
  if (table.cumulative === undefined) return { status: 'open', kind: 'bonus', reason: T.open.bonusCumulative };
  if (cap === undefined) return { status: 'open', kind: 'bonus', reason: T.open.bonusCap };
  const section: BonusSection = {
    name,
    ...(description ? { description } : {}),
    ...(criteria ? { criteria } : {}),
    cap,
    cumulative: table.cumulative,
    items: table.items,
  };
  return { status: 'bonus', section, text: describeBonus(section) };
}
