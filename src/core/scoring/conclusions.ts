/**
 * Conclusions in place of figures. A unit that has no figure for a metric (a satisfaction survey never
 * run, a rate it cannot derive) can still say where the figure lies. The ranges worth telling apart are
 * the cells of the metric's line where every rule reading it gives one score: for 预算执行率 in Nanjing
 * 2021 (">90% 得2分" and "≥90% 得1分") they are 低于90% / 为90% / 高于90%. Pure.
 */
import { toUnits } from '../decimal';
import type { Bounds, Rule } from '../framework/schema';
import type { Framework, Indicator } from '../framework/load';
import type { Answers } from './answers';
import { instantiate } from './engine';
import { breakpointsOf, describeBounds, samplePoints, scoreAtValue, type Quantity } from './rules';

/** A leaf indicator whose rule reads the metric. */
export interface MetricReader {
  code: string;
  name: string;
  /** Points in integer units. */
  points: number;
  rule: Rule;
}

/** A range of the metric in which every rule reading it gives one score (or leaves it to a person). */
export interface MetricCell {
  bounds: Bounds;
  /** The range in words: "高于90%", "为90%", "不超过90%". */
  label: string;
  /** Every reader gets full points here. */
  full: boolean;
}

/** The applicable leaves whose rule reads `key`. */
export function metricReaders(framework: Framework, answers: Answers, key: string): MetricReader[] {
  const na = answers.notApplicable ?? {};
  const out: MetricReader[] = [];
  const walk = (list: Indicator[]) => {
    for (const i of list) {
      if (na[i.code] !== undefined) continue;
      const r = i.rule;
      if (r && (r.kind === 'bands' || r.kind === 'steps' || r.kind === 'proportional') && r.metric === key) {
        out.push({ code: i.code, name: i.name, points: toUnits(i.points), rule: r });
      }
      walk(i.children);
    }
  };
  walk(instantiate(framework, answers));
  return out;
}

function quantityFor(framework: Framework, key: string): Quantity {
  const m = framework.metricByKey.get(key);
  const f = framework.factByKey.get(key);
  return { value: NaN, label: m?.label ?? f?.label ?? key, unit: m?.unit ?? f?.unit ?? '', decimals: m?.decimals ?? 2 };
}

/** The readers whose score is not the same everywhere in `bounds` (a range or an approximate figure would not settle them). */
export function readersUnsettledWithin(framework: Framework, answers: Answers, key: string, bounds: Bounds): MetricReader[] {
  const q = quantityFor(framework, key);
  return metricReaders(framework, answers, key).filter((r) => {
    const scores = new Set(samplePoints(bounds, breakpointsOf(r.rule)).map((v) => scoreAtValue(r.rule, r.points, q, v)));
    return scores.size > 1;
  });
}

/** The cells of the metric's line, lowest first, inside the metric's min/max. */
export function metricCells(framework: Framework, answers: Answers, key: string): MetricCell[] {
  const readers = metricReaders(framework, answers, key);
  const q = quantityFor(framework, key);
  const m = framework.metricByKey.get(key);
  const marks = [...new Set(readers.flatMap((r) => breakpointsOf(r.rule)))].sort((a, b) => a - b);
  const elementary: Bounds[] = [];
  if (!marks.length) return [];
  elementary.push({ lt: marks[0]! });
  marks.forEach((b, i) => {
    elementary.push({ eq: b });
    elementary.push(i + 1 < marks.length ? { gt: b, lt: marks[i + 1]! } : { gt: b });
  });
  const signature = (b: Bounds) =>
    JSON.stringify(
      readers.map((r) => {
        const s = new Set(samplePoints(b, marks).map((v) => scoreAtValue(r.rule, r.points, q, v)));
        return s.size === 1 ? [...s][0] : 'varies';
      }),
    );
  const fullIn = (b: Bounds) => readers.every((r) => samplePoints(b, marks).every((v) => scoreAtValue(r.rule, r.points, q, v) === r.points));
  const min = m?.min;
  const max = m?.max;
  const cells: Array<{ parts: Bounds[]; sig: string }> = [];
  for (const b of elementary) {
    // Leave out ranges the metric cannot take (above 100% for a satisfaction rate).
    const lo = b.eq ?? b.gt ?? b.gte;
    const hi = b.eq ?? b.lt ?? b.lte;
    if (min !== undefined && hi !== undefined && (hi < min || (hi === min && b.eq === undefined && b.lte === undefined))) continue;
    if (max !== undefined && lo !== undefined && (lo > max || (lo === max && b.eq === undefined && b.gte === undefined))) continue;
    const sig = signature(b);
    const last = cells[cells.length - 1];
    if (last && last.sig === sig) last.parts.push(b);
    else cells.push({ parts: [b], sig });
  }
  return cells.map(({ parts }) => {
    const first = parts[0]!;
    const last = parts[parts.length - 1]!;
    const bounds: Bounds = {};
    if (first.eq !== undefined) bounds.gte = first.eq;
    else if (first.gt !== undefined) bounds.gt = first.gt;
    else if (first.gte !== undefined) bounds.gte = first.gte;
    if (last.eq !== undefined) bounds.lte = last.eq;
    else if (last.lt !== undefined) bounds.lt = last.lt;
    else if (last.lte !== undefined) bounds.lte = last.lte;
    const exact = bounds.gte !== undefined && bounds.gte === bounds.lte ? { eq: bounds.gte } : bounds;
    return { bounds: exact, label: describeBounds(exact, q.unit), full: parts.every(fullIn) };
  });
}

/** The cell that holds all of `bounds`, if one does. */
export function cellHolding(cells: MetricCell[], bounds: Bounds): MetricCell | undefined {
  return cells.find((c) => {
    const pts = samplePoints(bounds, [bounds.eq, bounds.gt, bounds.gte, bounds.lt, bounds.lte].filter((x): x is number => x !== undefined));
    return pts.length > 0 && pts.every((v) => matchesBounds(v, c.bounds));
  });
}

function matchesBounds(v: number, b: Bounds): boolean {
  if (b.eq !== undefined) return Math.abs(v - b.eq) < 1e-9;
  if (b.gt !== undefined && !(v > b.gt)) return false;
  if (b.gte !== undefined && !(v >= b.gte)) return false;
  if (b.lt !== undefined && !(v < b.lt)) return false;
  if (b.lte !== undefined && !(v <= b.lte)) return false;
  return true;
}
