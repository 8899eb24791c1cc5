/**
 * The lowdb store's message log: `DATA_DIR/messages.log`, one JSON line per change (see `LogLine`).
 *
 * Every change resolves once its line is flushed to the device (fdatasync). Lines that arrive while a
 * flush is running are written and flushed together next (group commit), so a burst of webhook events
 * costs one flush per batch, not one per event. The log is rewritten with just its live state (claims
 * not yet expired, events not yet processed, replies not yet sent) on open and whenever it has grown
 * well past that state: temp file flushed, renamed, directory flushed. At run time that rewrite is
 * asynchronous (the log can hold a day of claims: megabytes), so the event loop goes on meanwhile;
 * changes made during it wait and are appended to the new file.
 */
import { closeSync, existsSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { InboxEntry } from '../core/messages';
import type { MessageLog } from './port';
import { MessageLogState, parseLogLine, type LogLine } from './message-log';
import { copyRecord } from './shared';

/** Lines the log may gain beyond twice its live state before it is rewritten. */
const COMPACT_SLACK = 1000;
/** While lines keep coming, a flush waits this long for more when fewer than LINGER_BELOW are queued. */
const LINGER_MS = 1;
const LINGER_BELOW = 32;
/** Claims kept in memory before expired ones are dropped on the next claim. */
const EXPIRE_EVERY = 10_000;

/** What the message log needs from its store. */
export interface MessageLogOptions {
  now: () => Date;
  /** Flushes the log's descriptor to the device. */
  syncFile: (fd: number) => Promise<void>;
  /** Replaces a file durably (temp file flushed, renamed, directory flushed). */
  replaceFile: (path: string, text: string) => void;
  /** The same, off the event loop (for rewrites while the server answers). */
  replaceFileAsync: (path: string, text: string) => Promise<void>;
  readOnly: boolean;
  assertWritable: () => void;
}

/** Opens `messages.log` under `dataDir` (taking over the claims of an older `events.log`). */
export function openMessageLog(dataDir: string, options: MessageLogOptions): MessageLog {
  const { now, syncFile, replaceFile, replaceFileAsync, assertWritable } = options;
  const path = join(dataDir, 'messages.log');
  const legacyPath = join(dataDir, 'events.log');
  const state = new MessageLogState();
  let lines = 0;
  for (const file of [legacyPath, path]) {
    if (!existsSync(file)) continue;
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (!text) continue;
      lines++;
      if (file === legacyPath) {
        // events.log: [key, expiry] per line.
        const pair = parseLogLine(`{"c":[${text}]}`);
        if (pair) state.apply(pair);
        continue;
      }
      const line = parseLogLine(text);
      // A line torn by a crash was never acknowledged: dropping it is right.
      if (line) state.apply(line);
    }
  }
  state.expire(now().getTime());

  let fd: number | undefined;
  const compact = () => {
    let text = '';
    for (const line of state.lines()) text += `${JSON.stringify(line)}\n`;
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    replaceFile(path, text);
    lines = state.size;
    if (existsSync(legacyPath)) unlinkSync(legacyPath);
  };
  if (!options.readOnly && (lines > state.size || existsSync(legacyPath))) compact();

  /** The rewrite at run time: the same as `compact`, without blocking the event loop on the device. */
  const compactAsync = async () => {
    let text = '';
    let count = 0;
    for (const line of state.lines()) {
      text += `${JSON.stringify(line)}\n`;
      count++;
    }
    if (fd !== undefined) closeSync(fd);
    fd = undefined;
    await replaceFileAsync(path, text);
    lines = count;
  };

  let checkAt = lines + COMPACT_SLACK;
  // Group commit: lines queued while a flush runs go out together in the next one.
  let queue: Array<{ text: string; resolve: () => void; reject: (err: unknown) => void }> = [];
  let running = false;
  const run = async () => {
    running = true;
    while (queue.length) {
      const batch = queue;
      queue = [];
      try {
        // Every COMPACT_SLACK lines: drop expired claims, and rewrite the log if it is mostly dead lines.
        // Every queued line is already applied to the state, so a rewrite includes them.
        const due = lines + batch.length >= checkAt;
        if (due) {
          state.expire(now().getTime());
          checkAt = lines + batch.length + COMPACT_SLACK;
        }
        if (due && lines + batch.length > 2 * state.size + COMPACT_SLACK) {
          await compactAsync();
          checkAt = lines + COMPACT_SLACK;
        } else {
          fd ??= openSync(path, 'a');
          const bytes = Buffer.from(batch.map((b) => b.text).join(''), 'utf8');
          for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
          lines += batch.length;
          await syncFile(fd);
        }
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
      // Busy (lines came in during that flush, but few): let more gather before the next flush. A flush
      // costs the machine about 0.15 ms of CPU on its own (measured on this kind of VM), so at thousands
      // of events a second one flush per event or two would take half a core; a millisecond's wait
      // makes the batches several times larger. An event arriving on a quiet log is flushed at once.
      if (queue.length > 0 && queue.length < LINGER_BELOW) await new Promise((r) => setTimeout(r, LINGER_MS));
    }
    running = false;
  };
  /** Applies a line now (so the next caller sees it) and resolves once it is on the device. */
  const commit = (line: LogLine): Promise<void> => {
    state.apply(line);
    return new Promise<void>((resolve, reject) => {
      queue.push({ text: `${JSON.stringify(line)}\n`, resolve, reject });
      if (!running) void run();
    });
  };
  let expireAt = state.claims.size + EXPIRE_EVERY;
  /** Claims keys and records an entry with them; on a failed write both are undone. */
  const claim = async (keys: string[], ttlMs: number, entry?: InboxEntry) => {
    assertWritable();
    const t = now().getTime();
    if (!state.free(keys, t)) return false;
    if (state.claims.size > expireAt) {
      state.expire(t);
      expireAt = state.claims.size + EXPIRE_EVERY;
    }
    const until = t + ttlMs;
    const line: LogLine = { c: keys.map((k) => [k, until] as [string, number]), ...(entry ? { in: entry } : {}) };
    try {
      await commit(line);
    } catch (err) {
      for (const k of keys) if (state.claims.get(k) === until) state.claims.delete(k);
      if (entry) state.inbound.delete(entry.id);
      throw err;
    }
    return true;
  };

  return {
    claimEvent: (key, ttlMs) => claim([key], ttlMs),
    recordInbound: (entry, keys, ttlMs) => claim(keys, ttlMs, entry),
    async settleInbound(id, deliveries) {
      assertWritable();
      await commit({ done: id, out: deliveries });
    },
    async enqueueOutbound(deliveries) {
      assertWritable();
      await commit({ out: deliveries });
    },
    async claimSlot(slot, deliveries, ttlMs) {
      assertWritable();
      const t = now().getTime();
      const until = state.slots.get(slot);
      if (until !== undefined && until > t) return false;
      const line: LogLine = { s: [slot, t + ttlMs], out: deliveries };
      try {
        await commit(line);
      } catch (err) {
        if (until === undefined) state.slots.delete(slot);
        else state.slots.set(slot, until);
        for (const d of deliveries) state.outbound.delete(d.id);
        throw err;
      }
      return true;
    },
    async listSlots() {
      const t = now().getTime();
      return [...state.slots].filter(([, until]) => until > t).map(([k]) => k);
    },
    async settleOutbound(id, outcome) {
      assertWritable();
      if (!state.outbound.has(id)) return;
      await commit(outcome === 'failed' ? { sent: id, failed: true } : { sent: id });
    },
    async listPending() {
      return copyRecord({ inbound: [...state.inbound.values()], outbound: [...state.outbound.values()] });
    },
  };
}
