import { describe, expect, it } from 'vitest';
import { createSingleFlight } from '../src/lib/single-flight';

/** A call that resolves when told to, counting how often it was made. */
function gate() {
  let calls = 0;
  const opens: Array<(v: number) => void> = [];
  return {
    call: () => {
      calls++;
      return new Promise<number>((r) => opens.push(r));
    },
    open: (v: number) => opens.splice(0).forEach((o) => o(v)),
    calls: () => calls,
  };
}

describe('single flight', () => {
  it('shares one call among concurrent callers of a key, and calls again once it settled', async () => {
    const once = createSingleFlight(true);
    const g = gate();
    const a = once('token', g.call);
    const b = once('token', g.call);
    const other = once('other', g.call);
    expect(g.calls()).toBe(2);
    g.open(7);
    expect(await Promise.all([a, b, other])).toEqual([7, 7, 7]);
    const c = once('token', g.call);
    expect(g.calls()).toBe(3);
    g.open(8);
    expect(await c).toBe(8);
  });

  it('forgets a failed call, so the next caller tries again', async () => {
    const once = createSingleFlight(true);
    await expect(once('token', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await once('token', () => Promise.resolve(1))).toBe(1);
  });

  it('without sharing (Workers), makes a call per caller', async () => {
    const once = createSingleFlight(false);
    const g = gate();
    const both = Promise.all([once('token', g.call), once('token', g.call)]);
    expect(g.calls()).toBe(2);
    g.open(1);
    expect(await both).toEqual([1, 1]);
  });
});
