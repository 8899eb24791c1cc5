/**
 * Counting failed attempts (wrong admin tokens) per client and in total, in fixed windows, so guessing
 * the token is slow: after `perKey.limit` failures of one client within `perKey.windowMs`, or
 * `global.limit` failures of everyone within `global.windowMs`, further attempts are refused until the
 * window ends. Only failures count: a client that never fails is never limited by its own requests.
 *
 * Memory is bounded: at most `maxKeys` clients are tracked. A client's window is re-inserted when it
 * starts, so the map is in order of window start and a full map drops its oldest window first (most
 * likely over already). A client evicted that way may guess again early; the global limit still
 * holds. State is this process's only (on Workers, per isolate). Web-standard code only.
 *
 * @example
 * const limiter = createFailureLimiter({ now: () => Date.now() });
 * if (limiter.check(key).blocked) return tooMany(); if (!ok) limiter.fail(key);
 */

/** A number of failures allowed in a window. */
export interface LimitRule {
  limit: number;
  windowMs: number;
}

/** Per client address: 10 wrong tokens in 10 minutes. */
export const PER_ADDRESS_RULE: LimitRule = { limit: 10, windowMs: 10 * 60_000 };
/** All clients together: 100 wrong tokens in 10 minutes. */
export const GLOBAL_RULE: LimitRule = { limit: 100, windowMs: 10 * 60_000 };
/** The most client addresses tracked at once. */
export const MAX_TRACKED_ADDRESSES = 10_000;

/** Options of the limiter; the clock is injectable for tests. */
export interface FailureLimiterOptions {
  now: () => number;
  perKey?: LimitRule;
  global?: LimitRule;
  maxKeys?: number;
}

/** Whether attempts are refused now, by which rule, and for how long. */
export type LimitVerdict = { blocked: false } | { blocked: true; scope: 'address' | 'global'; rule: LimitRule; retryAfterMs: number };

/** The limiter. */
export interface FailureLimiter {
  /** Whether an attempt by this client may go ahead (nothing is counted). */
  check(key: string): LimitVerdict;
  /** Counts one failure of this client (and of everyone). */
  fail(key: string): void;
  /** How many clients are tracked (for tests of the bound). */
  trackedKeys(): number;
}

interface Window {
  failures: number;
  startMs: number;
}

/** Creates a limiter. */
export function createFailureLimiter(options: FailureLimiterOptions): FailureLimiter {
  const { now } = options;
  const perKey = options.perKey ?? PER_ADDRESS_RULE;
  const globalRule = options.global ?? GLOBAL_RULE;
  const maxKeys = Math.max(1, options.maxKeys ?? MAX_TRACKED_ADDRESSES);
  const windows = new Map<string, Window>();
  let everyone: Window = { failures: 0, startMs: -Infinity };
  const open = (w: Window, rule: LimitRule, t: number) => t - w.startMs < rule.windowMs;

  return {
    check(key) {
      const t = now();
      let verdict: LimitVerdict = { blocked: false };
      const consider = (w: Window | undefined, rule: LimitRule, scope: 'address' | 'global') => {
        if (!w || !open(w, rule, t) || w.failures < rule.limit) return;
        const retryAfterMs = w.startMs + rule.windowMs - t;
        if (!verdict.blocked || retryAfterMs > verdict.retryAfterMs) verdict = { blocked: true, scope, rule, retryAfterMs };
      };
      consider(windows.get(key), perKey, 'address');
      consider(everyone, globalRule, 'global');
      return verdict;
    },
    fail(key) {
      const t = now();
      if (!open(everyone, globalRule, t)) everyone = { failures: 0, startMs: t };
      everyone.failures++;
      const w = windows.get(key);
      if (w && open(w, perKey, t)) {
        w.failures++;
        return;
      }
      windows.delete(key);
      while (windows.size >= maxKeys) windows.delete(windows.keys().next().value!);
      windows.set(key, { failures: 1, startMs: t });
    },
    trackedKeys: () => windows.size,
  };
}
