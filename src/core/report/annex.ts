/**
 * The annex score table (指标体系得分情况表) as rows: one row per scored leaf, the level-1 and level-2
 * cells carried on the first row they cover with a row span, then the bonus/penalty block and the
 * total row. The .docx annex, the .xlsx score table and the framework export all draw this model.
 *
 * @example const table = buildAnnexTable(framework, { result }) // table.rows[0].level1?.rowSpan === 8
 */
import { formatScore } from '../decimal';
import type { Framework, Indicator } from '../framework/load';
import { reportText as T } from '../locale/zh-CN';
import type { Answers } from '../scoring/answers';
import { instantiate } from '../scoring/engine';
import type { IndicatorScore, ScoreResult } from '../scoring/types';

/** A merged cell (一级指标 or 二级指标), on the first row it covers. */
export interface AnnexMergedCell {
  /** Indicator code; '' for the bonus/penalty block and the total row. */
  code: string;
  name: string;
  /** Points of the indicator (the cap for the bonus/penalty block); undefined when not shown. */
  points?: number;
  /** "部门决策（15分）" */
  text: string;
  /** Rows the cell covers, this one included (≥ 1). */
  rowSpan: number;
}

/** `note`: a sentence across the whole table (re-basing when indicators do not apply), in `criteria`. */
export type AnnexRowKind = 'indicator' | 'bonus' | 'penalty' | 'note' | 'total';

/** One row of the annex table. */
export interface AnnexRow {
  kind: AnnexRowKind;
  /** The 一级指标 cell; null where a cell above covers this row. */
  level1: AnnexMergedCell | null;
  /** The 二级指标 cell; null where a cell above covers this row. */
  level2: AnnexMergedCell | null;
  /** Code of the row's own indicator (the leaf); '' for the other kinds. */
  code: string;
  /** 三级指标 ('' when the leaf is a level-1 or level-2 indicator). */
  level3: string;
  /** The leaf's level (1–3); 0 for the other kinds. */
  level: number;
  description: string;
  criteria: string;
  /** 分值 (null for bonus/penalty rows, which have a cap rather than points). */
  points: number | null;
  /** 自评分: null when not scored (no result, missing, not applicable). A penalty row holds the points taken off. */
  score: number | null;
  /** The 自评分 cell's text: "2", "0.5", "-1", 待填写, 不适用, or '' without a result. */
  scoreText: string;
  /** Status of the leaf when a result was given. */
  status?: IndicatorScore['status'];
  /** A unit's own item (key task) under a slot. */
  keyTask?: boolean;
  /** An empty key-task slot (no items yet). */
  slot?: boolean;
}

/** The whole annex table. */
export interface AnnexTable {
  columns: readonly string[];
  rows: AnnexRow[];
  /** Whether the table carries scores (a result was given). */
  scored: boolean;
}

/** Options: a result fills in scores and key tasks; answers alone fill in key tasks without scores. */
export interface AnnexOptions {
  result?: ScoreResult;
  answers?: Answers;
}

function scoreCell(entry: IndicatorScore | undefined, scored: boolean): { score: number | null; text: string } {
  if (!scored) return { score: null, text: '' };
  if (!entry || entry.status === 'missing' || entry.score === null) {
    return entry?.status === 'not_applicable' ? { score: null, text: T.notApplicableCell } : { score: null, text: T.pendingCell };
  }
  if (entry.status === 'not_applicable') return { score: null, text: T.notApplicableCell };
  return { score: entry.score, text: formatScore(entry.score) };
}

/** The indicator tree the table shows: the framework's, with the evaluation's key tasks when known. */
function treeFor(framework: Framework, options: AnnexOptions): Indicator[] {
  if (options.answers) return instantiate(framework, options.answers);
  const result = options.result;
  if (!result) return framework.indicators;
  // Rebuild key-task items from the result, which carries them in tree order.
  const items = new Map<string, Indicator[]>();
  for (const e of result.indicators) {
    if (!e.keyTask || !e.parent) continue;
    const list = items.get(e.parent) ?? [];
    list.push({
      code: e.code,
      name: e.name,
      level: e.level,
      points: e.points,
      description: e.description,
      criteria: e.criteria,
      children: [],
      parent: e.parent,
      required: false,
      keyTask: true,
      ...(e.rule ? { rule: e.rule } : {}),
    });
    items.set(e.parent, list);
  }
  const fill = (ind: Indicator): Indicator => {
    if (ind.keyTasks) return { ...ind, children: items.get(ind.code) ?? [] };
    return ind.children.length ? { ...ind, children: ind.children.map(fill) } : ind;
  };
  return framework.indicators.map(fill);
}

/**
 * Flattens a framework (and optionally one evaluation's result) into the annex table's rows.
 * Without a result the 自评分 cells are empty and key-task slots show as one row each (or their
 * items when `answers` are given).
 */
export function buildAnnexTable(framework: Framework, options: AnnexOptions = {}): AnnexTable {
  const result = options.result;
  const scored = result !== undefined;
  const byCode = new Map((result?.indicators ?? []).map((e) => [e.code, e]));
  const rows: AnnexRow[] = [];
  const merged = (ind: Indicator, rowSpan: number): AnnexMergedCell => ({
    code: ind.code,
    name: ind.name,
    points: ind.points,
    text: T.withPoints(ind.name, formatScore(ind.points)),
    rowSpan,
  });

  const leafRow = (leaf: Indicator, slotParent?: Indicator): AnnexRow => {
    const entry = byCode.get(leaf.code);
    const cell = scoreCell(entry, scored);
    const emptySlot = leaf.keyTasks !== undefined && leaf.children.length === 0;
    return {
      kind: 'indicator',
      level1: null,
      level2: null,
      code: leaf.code,
      level3: leaf.level === 3 ? leaf.name : '',
      level: leaf.level,
      // A key task without its own wording takes the slot's.
      description: leaf.description || slotParent?.description || '',
      criteria: leaf.criteria || slotParent?.criteria || '',
      points: leaf.points,
      score: cell.score,
      scoreText: cell.text,
      ...(entry ? { status: entry.status } : {}),
      ...(leaf.keyTask ? { keyTask: true } : {}),
      ...(emptySlot ? { slot: true } : {}),
    };
  };

  for (const l1 of treeFor(framework, options)) {
    const start = rows.length;
    if (!l1.children.length) {
      rows.push(leafRow(l1));
    } else {
      for (const l2 of l1.children) {
        const start2 = rows.length;
        if (!l2.children.length) rows.push(leafRow(l2));
        else for (const l3 of l2.children) rows.push(leafRow(l3, l2.keyTasks ? l2 : undefined));
        rows[start2]!.level2 = merged(l2, rows.length - start2);
      }
    }
    rows[start]!.level1 = merged(l1, rows.length - start);
    // A level-1 leaf has no level-2 cell of its own: an empty one.
    if (!l1.children.length) rows[start]!.level2 = { code: '', name: '', text: '', rowSpan: 1 };
  }

  const bonus = framework.bonus;
  const penalty = framework.penalty;
  if (bonus || penalty) {
    const start = rows.length;
    const name = framework.adjustmentsName ?? T.adjustmentsName;
    const cap = bonus?.cap ?? penalty?.cap;
    // One row each for the bonus and the penalty section; a penalty shows as a negative score.
    const adjustment = (kind: 'bonus' | 'penalty', section: { name: string; description?: string; criteria?: string }, s: number | null, scoreText: string) =>
      rows.push({
        kind,
        level1: null,
        level2: { code: '', name: section.name, text: section.name, rowSpan: 1 },
        code: '',
        level3: '',
        level: 0,
        description: section.description ?? '',
        criteria: section.criteria ?? '',
        points: null,
        score: s,
        scoreText,
      });
    if (bonus) {
      const s = result ? result.bonus.score : null;
      adjustment('bonus', bonus, s, s === null ? '' : formatScore(s));
    }
    if (penalty) {
      const s = result ? result.penalty.score : null;
      adjustment('penalty', penalty, s, s === null ? '' : s === 0 ? '0' : `-${formatScore(s)}`);
    }
    rows[start]!.level1 = {
      code: '',
      name,
      ...(cap !== undefined ? { points: cap } : {}),
      text: cap !== undefined ? T.withCap(name, formatScore(cap)) : name,
      rowSpan: rows.length - start,
    };
  }

  // Re-based totals: say so above the total, so the table explains its own sum.
  for (const note of result?.notes ?? []) {
    rows.push({
      kind: 'note',
      level1: null,
      level2: null,
      code: '',
      level3: '',
      level: 0,
      description: '',
      criteria: note,
      points: null,
      score: null,
      scoreText: '',
    });
  }

  const totalKnown = result && result.complete;
  rows.push({
    kind: 'total',
    level1: { code: '', name: T.totalRow, text: T.totalRow, rowSpan: 1 },
    level2: { code: '', name: '', text: '', rowSpan: 1 },
    code: '',
    level3: '',
    level: 0,
    description: '',
    criteria: '',
    points: framework.basePoints,
    score: totalKnown ? result.total : null,
    scoreText: !result ? '' : totalKnown ? formatScore(result.total) : T.pendingCell,
  });
  return { columns: T.columns, rows, scored };
}
