/**
 * The bureau overview (汇总): a chat that follows several units' evaluations and sees, for each, how
 * far it is filled (items, see scoring/summary), its total and its grade — nothing else. The units a
 * chat follows, and whose consent allowed it, are an `OverviewBinding` kept by the store per chat.
 *
 * Consent: a unit joins a chat's overview only once an organiser of that unit's evaluation agrees
 * (同意汇总 <code> in the unit's own chat, or the request comes from one of its organisers) or the
 * admin binds it over the API. Until then it is `pending` and shows no figures.
 *
 * Pure: the rows are computed from evaluation records the caller loads.
 */
import type { EvaluationRecord } from './evaluation';
import { foldText } from './dialog/parse';
import { resolveFramework } from './framework/resolve';
import { scoreEvaluation } from './scoring/engine';
import { gradeStatus, itemCounts } from './scoring/summary';

/** One unit a chat follows. */
export interface OverviewUnit {
  /** The unit's name, as its evaluations name it. */
  unit: string;
  /** `approved` once the unit's organiser (or the admin) agreed; `pending` until then (no figures shown). */
  status: 'pending' | 'approved';
  /** While pending: the code an organiser of the unit sends in the unit's chat (同意汇总 <code>). */
  code?: string;
  requestedBy: string;
  requestedByName?: string;
  requestedAt: string;
  /** The organiser who agreed (user id); the consent covers the evaluations they organise. */
  approvedBy?: string;
  /** Bound by the admin (the console/API): covers every evaluation of the unit. */
  byAdmin?: boolean;
  approvedAt?: string;
}

/** The units a chat follows (the store keeps one per chat; no units left means none is kept). */
export interface OverviewBinding {
  chatId: string;
  /** The year shown; absent, each unit's latest evaluation. */
  year?: number;
  units: OverviewUnit[];
  updatedAt: string;
}

/** One unit's line of the overview. */
export interface OverviewRow {
  unit: string;
  /** `ok`: an evaluation was found and scored; `none`: the unit has no evaluation (for the year); `error`: its framework could not be loaded. */
  status: 'ok' | 'none' | 'error';
  /** The evaluation's year (null without one). */
  year: number | null;
  /** Items scored of the items that count, and those marked not applicable (as 进度 counts them). */
  completion: { scored: number; applicable: number; notApplicable: number } | null;
  /** The total, provisional until `final`. */
  total: number | null;
  /** The grade band, only once final (as 得分 and the report show it). */
  grade: string | null;
  final: boolean;
}

/** A unit name's comparing form (full-width folded, spaces dropped). */
export function unitKey(name: string): string {
  return foldText(name).replace(/\s+/g, '').toLowerCase();
}

/**
 * The evaluation shown for a unit: of `year` when given, else the latest year; the most recently changed
 * of those. `allowed` narrows the evaluations considered (those the consenting organiser organises).
 */
export function evaluationOfUnit(unit: string, evaluations: readonly EvaluationRecord[], year?: number, allowed?: (rec: EvaluationRecord) => boolean): EvaluationRecord | undefined {
  const key = unitKey(unit);
  const own = evaluations.filter((r) => unitKey(r.unit) === key && (!allowed || allowed(r)));
  const wanted = year ?? Math.max(...own.map((r) => r.year));
  return own.filter((r) => r.year === wanted).sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
}

/** The row of one unit, scoring its evaluation as 得分 does. */
export function overviewRow(unit: string, rec: EvaluationRecord | undefined): OverviewRow {
  if (!rec) return { unit, status: 'none', year: null, completion: null, total: null, grade: null, final: false };
  let result;
  try {
    result = scoreEvaluation(resolveFramework(rec.frameworkId, rec.framework), rec.answers);
  } catch {
    return { unit: rec.unit, status: 'error', year: rec.year, completion: null, total: null, grade: null, final: false };
  }
  const c = itemCounts(result);
  const { grade, final } = gradeStatus(result);
  return {
    unit: rec.unit,
    status: 'ok',
    year: rec.year,
    completion: { scored: c.scored, applicable: c.applicable, notApplicable: c.notApplicable },
    total: result.total,
    grade,
    final,
  };
}

/** Share of the items filled, 0..1. */
export function completionRatio(row: OverviewRow): number {
  const c = row.completion;
  return c && c.applicable > 0 ? c.scored / c.applicable : 0;
}

/**
 * The order of the overview: final totals first, highest first; then unfinished evaluations, furthest
 * filled first (then by provisional total); then units without a usable evaluation; ties by name.
 */
export function compareRows(a: OverviewRow, b: OverviewRow): number {
  const rank = (r: OverviewRow) => (r.status !== 'ok' ? 2 : r.final ? 0 : 1);
  return (
    rank(a) - rank(b) ||
    (rank(a) === 1 ? completionRatio(b) - completionRatio(a) : 0) ||
    (b.total ?? 0) - (a.total ?? 0) ||
    a.unit.localeCompare(b.unit, 'zh-Hans-CN')
  );
}

/** The overview of some units (sorted), each from its evaluation of `year` or its latest. */
export function buildOverview(units: readonly string[], evaluations: readonly EvaluationRecord[], year?: number): OverviewRow[] {
  return units.map((u) => overviewRow(u, evaluationOfUnit(u, evaluations, year))).sort(compareRows);
}

/**
 * The overview a chat's binding shows: its approved units only, each from the evaluations its consent
 * covers — those organised by the organiser who agreed (anyone may create an evaluation under any
 * unit's name, so a name alone grants nothing), or any of the unit's when the admin bound it.
 */
export function overviewOfBinding(binding: OverviewBinding | undefined, evaluations: readonly EvaluationRecord[]): OverviewRow[] {
  if (!binding) return [];
  return binding.units
    .filter((u) => u.status === 'approved')
    .map((u) => {
      const by = u.approvedBy;
      const allowed = u.byAdmin ? undefined : (r: EvaluationRecord) => by !== undefined && r.organisers.includes(by);
      return overviewRow(u.unit, evaluationOfUnit(u.unit, evaluations, binding.year, allowed));
    })
    .sort(compareRows);
}

/** Splits a list of unit names ("南京市数据局 南京市财政局", "甲、乙，丙"). */
export function splitUnits(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const part of text.split(/[\s、，,；;]+/)) {
    const name = part.trim();
    if (!name || seen.has(unitKey(name))) continue;
    seen.add(unitKey(name));
    out.push(name);
  }
  return out;
}
