/**
 * Decimal arithmetic for scores and figures (big.js), so 0.1 + 0.2 is 0.3 and 2.5 stays 2.5.
 */
import BigJs from 'big.js';

BigJs.DP = 20;
BigJs.RM = BigJs.roundHalfUp;

export const Big = BigJs;
export type Big = BigJs;

/** A Big from a number or Big (numbers go through their shortest decimal string, so 0.1 is exactly 0.1). */
export function dec(x: number | Big): Big {
  return typeof x === 'number' ? new BigJs(x) : x;
}

/** Rounds to `decimals` places (half up) and returns a plain number. */
export function toNumber(x: Big, decimals = 4): number {
  return Number(x.round(decimals, BigJs.roundHalfUp).toString());
}

/**
 * Formats a figure for Chinese text: rounded to `decimals` places; trailing zeros dropped only when all
 * decimals are zero ("100", "80.90") unless `trim` drops every trailing zero ("2.5", "0.5").
 */
export function formatNumber(x: number | Big, decimals = 2, trim = false): string {
  const s = dec(x).round(decimals, BigJs.roundHalfUp).toFixed(decimals);
  if (!s.includes('.')) return s;
  if (trim) return s.replace(/\.?0+$/, '');
  return /\.0+$/.test(s) ? s.replace(/\.0+$/, '') : s;
}

/** Formats a score: as many decimals as it needs, at most 2 ("2", "2.5", "0.25"). */
export function formatScore(x: number | Big): string {
  return formatNumber(x, 2, true);
}

/** Sums numbers exactly. */
export function sum(values: Iterable<number | Big>): Big {
  let s = new BigJs(0);
  for (const v of values) s = s.plus(dec(v));
  return s;
}

/**
 * Scores are kept as integer units of 1/10000 point inside the engine: sums and differences of
 * integers are exact and much cheaper than decimal objects. Points in frameworks have ≤ 4 decimals.
 */
export const SCORE_SCALE = 10000;

/** Points → integer units (2.5 → 25000). */
export function toUnits(points: number): number {
  return Math.round(points * SCORE_SCALE);
}

/** Integer units → points (25000 → 2.5); the division is correctly rounded, so 1000 → 0.1 exactly. */
export function fromUnits(units: number): number {
  return units / SCORE_SCALE;
}

/** Formats integer units as a score with at most 2 decimals ("2", "2.5", "0.25"). */
export function formatUnits(units: number): string {
  return String(Math.round(units / 100) / 100);
}

/**
 * Formats a number already rounded to `decimals` places (so toFixed is exact); all-zero decimals are
 * dropped ("100", "80.90", "85.72").
 */
export function formatFixed(v: number, decimals: number): string {
  const s = v.toFixed(decimals);
  return decimals > 0 && /\.0+$/.test(s) ? s.slice(0, s.indexOf('.')) : s;
}
