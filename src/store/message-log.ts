/**
 * The message log's state, shared by both stores so they behave alike: dedupe claims with their expiry,
 * inbound events recorded but not yet processed (the inbox), and replies recorded but not yet sent
 * (the outbox). Every change is one JSON line (`LogLine`): the lowdb store appends the lines to
 * `messages.log` and replays them on open; the memory store only applies them.
 */
import type { Delivery, InboxEntry } from '../core/messages';

/** One change to the message log, as one line of `messages.log`. */
export type LogLine =
  /** Claims (key, expiry ms) and optionally the inbound event recorded with them. */
  | { c: Array<[string, number]>; in?: InboxEntry }
  /** An inbound event processed, with the replies it produced (now in the outbox). */
  | { done: string; out: Delivery[] }
  /** A reminder slot claimed (slot, expiry ms) with the replies it sends. */
  | { s: [string, number]; out: Delivery[] }
  /** Replies recorded unprompted (reminders). */
  | { out: Delivery[] }
  /** A reply sent (or given up on). */
  | { sent: string; failed?: boolean };

/** The log's live state. */
export class MessageLogState {
  readonly claims = new Map<string, number>();
  readonly inbound = new Map<string, InboxEntry>();
  readonly outbound = new Map<string, Delivery>();
  /** Reminder slots claimed, with their expiry (ms). */
  readonly slots = new Map<string, number>();

  /** True when every key is free at `nowMs` (none claimed, or only expired claims). */
  free(keys: string[], nowMs: number): boolean {
    for (const k of keys) {
      const until = this.claims.get(k);
      if (until !== undefined && until > nowMs) return false;
    }
    return true;
  }

  /** Applies one line. Replaying the same lines in order always gives the same state. */
  apply(line: LogLine): void {
    if ('c' in line) {
      for (const [k, until] of line.c) {
        const before = this.claims.get(k);
        // Moved to the end, so the map stays in (nearly) expiry order for `expire`.
        if (before !== undefined) this.claims.delete(k);
        this.claims.set(k, Math.max(until, before ?? 0));
      }
      if (line.in) this.inbound.set(line.in.id, line.in);
    } else if ('done' in line) {
      this.inbound.delete(line.done);
      for (const d of line.out) this.outbound.set(d.id, d);
    } else if ('s' in line) {
      this.slots.set(line.s[0], Math.max(line.s[1], this.slots.get(line.s[0]) ?? 0));
      for (const d of line.out) this.outbound.set(d.id, d);
    } else if ('sent' in line) {
      this.outbound.delete(line.sent);
    } else {
      for (const d of line.out) this.outbound.set(d.id, d);
    }
  }

  /**
   * Drops claims expired at `nowMs`, oldest first, stopping at the first live one: claims are kept in
   * the order they were made and mostly share one time to live, so this costs what it drops, not the
   * size of the map (a claim with a longer life ahead of shorter ones only delays their dropping).
   */
  expire(nowMs: number): void {
    // Few (a couple per evaluation a day): all looked at.
    for (const [k, until] of this.slots) if (until <= nowMs) this.slots.delete(k);
    for (const [k, until] of this.claims) {
      if (until > nowMs) return;
      this.claims.delete(k);
    }
  }

  /** How many lines a compacted log of this state has. */
  get size(): number {
    return this.claims.size + this.inbound.size + this.outbound.size + this.slots.size;
  }

  /** The lines of a log holding exactly this state (claims, then pending inbound, then pending outbound). */
  *lines(): Generator<LogLine> {
    const claimed: Array<[string, number]> = [];
    for (const e of this.claims) {
      claimed.push(e);
      if (claimed.length === 500) yield { c: claimed.splice(0) };
    }
    if (claimed.length) yield { c: claimed };
    for (const slot of this.slots) yield { s: slot, out: [] };
    for (const entry of this.inbound.values()) yield { c: [], in: entry };
    const out = [...this.outbound.values()];
    for (let i = 0; i < out.length; i += 100) yield { out: out.slice(i, i + 100) };
  }
}

/** Parses one log line; undefined for a line torn by a crash (that write was never acknowledged). */
export function parseLogLine(text: string): LogLine | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as LogLine) : undefined;
  } catch {
    return undefined;
  }
}
