/**
 * One call for concurrent callers of the same key (a token fetch, a name lookup), or, when sharing is
 * off, a call per caller.
 *
 * Sharing is off on Workers: a call's I/O belongs to the invocation that started it, and when that one
 * ends first (its client went away, its handler returned) the call never settles; an invocation waiting
 * for it is cancelled as hung ("A hanging Promise was canceled",
 * https://developers.cloudflare.com/workers/observability/errors/). Each invocation then makes its own
 * call; what a call learnt (a cached token) is still shared.
 */
export type SingleFlight = <T>(key: string, call: () => Promise<T>) => Promise<T>;

/** A single-flight runner; `share` false makes every caller run its own call. */
export function createSingleFlight(share: boolean): SingleFlight {
  const inFlight = new Map<string, Promise<unknown>>();
  return <T>(key: string, call: () => Promise<T>): Promise<T> => {
    if (!share) return call();
    let p = inFlight.get(key) as Promise<T> | undefined;
    if (!p) {
      const started: Promise<T> = call().finally(() => {
        if (inFlight.get(key) === started) inFlight.delete(key);
      });
      p = started;
      inFlight.set(key, p);
    }
    return p;
  };
}
