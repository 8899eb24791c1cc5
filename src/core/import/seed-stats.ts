/**
 * The quality figure of the importer: over the score tables of the seed reports (retyped as row
 * records with the outcome each row must get), the share of 评价要点 compiled without confirmation,
 * and the rows compiled wrongly (a rule where a question was expected, or a different rule).
 *
 * Each seed table is built as an annex sheet and imported whole (not phrase by phrase), so the figure
 * covers header detection, merged cells, codes and points too. Bonus and penalty rows count as rows.
 *
 * @example const stats = computeSeedStats(fixture.rows); stats.share // 0.89
 */
import type { Rule } from '../framework/schema';
import { importText as T } from '../locale/zh-CN';
import { createAnnexSheet, type AnnexSheetRow } from './annex-sheet';
import { importSheet, type DraftRow } from './importer';

/** What a seed row must become. */
export type SeedExpectation =
  | (Partial<Rule> & { kind: Rule['kind'] })
  | { open: string }
  | { bonus: { cap: number; cumulative: boolean; points: number[] } }
  | { penalty: true };

/** One retyped row of a seed table. */
export interface SeedRow extends AnnexSheetRow {
  seed: string;
  expect: SeedExpectation;
}

/** The figure, and every row that did not come out as expected. */
export interface SeedStats {
  rows: number;
  /** Rows compiled (or understood as bonus/penalty) without confirmation. */
  compiled: number;
  open: number;
  share: number;
  /** Compiled, but not to the expected rule, or compiled where a question was expected. */
  wrong: Array<{ seed: string; code: string; criteria: string; got: string; expected: string }>;
  /** Open where a rule was expected (not wrong, but a miss). */
  missed: Array<{ seed: string; code: string; criteria: string; reason: string }>;
  perSeed: Record<string, { rows: number; compiled: number }>;
}

/** The scoring fields of a rule (texts such as questions and labels dropped), with defaults filled. */
export function scoringShape(rule: Partial<Rule> & { kind: Rule['kind'] }): unknown {
  const r = rule as Record<string, unknown>;
  switch (rule.kind) {
    case 'judgement':
      return { kind: 'judgement', noScore: r.noScore ?? 0, partial: r.partial ?? null };
    case 'bands':
      return { kind: 'bands', metric: r.metric, direction: r.direction ?? 'higher', bands: (r.bands as Array<Record<string, number>>).map(sortKeys), otherwise: r.otherwise ?? null };
    case 'steps':
      return { kind: 'steps', metric: r.metric, direction: r.direction, full: r.full, step: r.step, deduct: r.deduct, partial: r.partial ?? 'ceil', cutoff: r.cutoff ?? null };
    case 'proportional':
      return { kind: 'proportional', metric: r.metric, direction: r.direction, target: r.target ?? 100 };
    case 'checklist':
      return { kind: 'checklist', items: (r.items as Array<{ label: string; points: number }>).map((i) => ({ label: i.label, points: i.points })) };
    case 'per_violation':
      return { kind: 'per_violation', deduct: r.deduct };
    case 'graded':
      return { kind: 'graded', levels: r.levels };
    case 'not_exceeding':
      return { kind: 'not_exceeding', actual: r.actual, limit: r.limit, over: r.over };
    case 'discretionary':
      return { kind: 'discretionary' };
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const sortKeys = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

/** Compares a draft row's outcome with the expectation; returns what differs, or undefined. */
export function compareOutcome(row: DraftRow, expect: SeedExpectation): { wrong?: string; missed?: string } | undefined {
  const o = row.outcome;
  if ('open' in expect) {
    if (o.status === 'open') return undefined;
    return { wrong: JSON.stringify('rule' in o ? o.rule : o) };
  }
  if ('bonus' in expect) {
    if (o.status === 'open') return { missed: o.reason };
    if (o.status !== 'bonus') return { wrong: o.status };
    const got = { cap: o.section.cap, cumulative: o.section.cumulative, points: o.section.items.map((i) => i.points) };
    return same(got, expect.bonus) ? undefined : { wrong: JSON.stringify(got) };
  }
  if ('penalty' in expect) return o.status === 'penalty' ? undefined : o.status === 'open' ? { missed: o.reason } : { wrong: o.status };
  if (o.status === 'open') return { missed: o.reason };
  if (!('rule' in o)) return { wrong: o.status };
  return same(scoringShape(o.rule), scoringShape(expect)) ? undefined : { wrong: JSON.stringify(scoringShape(o.rule)) };
}

/** Builds each seed's table as a sheet, imports it, and compares every row with its expectation. */
export function computeSeedStats(rows: SeedRow[]): SeedStats {
  const seeds = [...new Set(rows.map((r) => r.seed))];
  const stats: SeedStats = { rows: 0, compiled: 0, open: 0, share: 0, wrong: [], missed: [], perSeed: {} };
  for (const seed of seeds) {
    const mine = rows.filter((r) => r.seed === seed);
    const withPoints = mine.some((r) => r.points !== undefined && r.points !== null && !/分[）)]$/.test(r.level3 || r.level2));
    const sheet = createAnnexSheet(mine, { title: T.seedTitle(seed), withPoints, withScore: true, total: 100 }, seed);
    const draft = importSheet(sheet, { id: `seed-${seed}` });
    const per = { rows: 0, compiled: 0 };
    draft.rows.forEach((row) => {
      // Sheet rows start after the title and header rows.
      const source = mine[row.row - 3];
      if (!source) return;
      per.rows++;
      if (row.outcome.status !== 'open') per.compiled++;
      const diff = compareOutcome(row, source.expect);
      if (diff?.wrong) stats.wrong.push({ seed, code: row.code, criteria: row.criteria, got: diff.wrong, expected: JSON.stringify(source.expect) });
      if (diff?.missed) stats.missed.push({ seed, code: row.code, criteria: row.criteria, reason: diff.missed });
    });
    stats.perSeed[seed] = per;
    stats.rows += per.rows;
    stats.compiled += per.compiled;
  }
  stats.open = stats.rows - stats.compiled;
  stats.share = stats.rows ? stats.compiled / stats.rows : 0;
  return stats;
}
