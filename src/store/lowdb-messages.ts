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
 *
 * A batch whose write or flush fails (a full disk) is cut back out of the file and undone in memory,
 * and its callers get a StoreWriteError; the next batch starts on a fresh line in any case.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Delivery, InboxEntry } from '../core/messages';
import type { MessageLog } from './port';
import { MessageLogState, parseLogLine, type LogLine } from './message-log';
import { copyRecord } from './shared';
import { appendBytes, cutBack, openForAppend, replaceFile, replaceFileAsync, toStoreWriteError, type FileOps } from './lowdb-files';

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
  /** The file operations the log writes with. */
  ops: FileOps;
  readOnly: boolean;
  assertWritable: () => void;
  /** Reports a rewrite at open that failed (the log is then appended to as it is). */
  onError: (message: string, fields: Record<string, unknown>) => void;
}

/** The message log, and closing it. */
export interface LowdbMessageLog extends MessageLog {
  /** Waits for the lines in flight, then closes the log's file. */
  close(): Promise<void>;
}

/** Opens `messages.log` under `dataDir` (taking over the claims of an older `events.log`). */
export function openMessageLog(dataDir: string, options: MessageLogOptions): LowdbMessageLog {
  const { now, syncFile, ops, assertWritable } = options;
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
  /** Closes the log's descriptor (after a failed write too, so the next write looks at the file's end again). */
  const closeFile = () => {
    const open = fd;
    fd = undefined;
    if (open !== undefined) {
      try {
        ops.closeSync(open);
      } catch {
        // nothing more to lose on this descriptor
      }
    }
  };
  const compact = () => {
    let text = '';
    for (const line of state.lines()) text += `${JSON.stringify(line)}\n`;
    closeFile();
    replaceFile(ops, path, text);
    lines = state.size;
    if (existsSync(legacyPath)) ops.unlinkSync(legacyPath);
  };
  if (!options.readOnly && (lines > state.size || existsSync(legacyPath))) {
    try {
      compact();
    } catch (err) {
      // A full disk at start-up: go on with the log as it is (a torn last line is skipped on reading,
      // and the next line written starts on a fresh one).
      options.onError('rewriting the message log failed', { file: path, error: (err as Error).message });
    }
  }

  /** The rewrite at run time: the same as `compact`, without blocking the event loop on the device. */
  const compactAsync = async () => {
    let text = '';
    let count = 0;
    for (const line of state.lines()) {
      text += `${JSON.stringify(line)}\n`;
      count++;
    }
    closeFile();
    await replaceFileAsync(ops, path, text);
    lines = count;
  };

  let checkAt = lines + COMPACT_SLACK;
  // Group commit: lines queued while a flush runs go out together in the next one.
  let queue: Array<{ text: string; resolve: () => void; reject: (err: unknown) => void }> = [];
  let running = false;
  // The run in progress (settled when none), for `close`.
  let idle: Promise<void> = Promise.resolve();
  const run = async () => {
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
          fd ??= openForAppend(ops, path);
          const bytes = Buffer.from(batch.map((b) => b.text).join(''), 'utf8');
          // A failed write is cut back by appendBytes; a failed flush here.
          const before = appendBytes(ops, fd, bytes);
          try {
            await syncFile(fd);
          } catch (err) {
            cutBack(ops, fd, before);
            throw err;
          }
          lines += batch.length;
        }
        for (const b of batch) b.resolve();
      } catch (err) {
        closeFile();
        const failure = toStoreWriteError(err, path);
        for (const b of batch) b.reject(failure);
      }
      // Busy (lines came in during that flush, but few): let more gather before the next flush. A flush
      // costs the machine about 0.15 ms of CPU on its own (measured on this kind of VM), so at thousands
      // of events a second one flush per event or two would take half a core; a millisecond's wait
      // makes the batches several times larger. An event arriving on a quiet log is flushed at once.
      if (queue.length > 0 && queue.length < LINGER_BELOW) await new Promise((r) => setTimeout(r, LINGER_MS));
    }
    running = false;
  };
  /**
   * Applies a line now (so the next caller sees it) and resolves once it is on the device. When the
   * write fails, `undo` takes the line back out of the state before the caller hears of it.
   */
  const commit = (line: LogLine, undo?: () => void): Promise<void> => {
    state.apply(line);
    return new Promise<void>((resolve, reject) => {
      queue.push({
        text: `${JSON.stringify(line)}\n`,
        resolve,
        reject: (err) => {
          undo?.();
          reject(err);
        },
      });
      if (!running) {
        running = true;
        idle = run();
      }
    });
  };
  /** Takes recorded replies back out of the outbox (those this line added, if still as it added them). */
  const dropAdded = (deliveries: Delivery[]) => {
    const fresh = deliveries.filter((d) => !state.outbound.has(d.id));
    return () => {
      for (const d of fresh) if (state.outbound.get(d.id) === d) state.outbound.delete(d.id);
    };
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
      const entry = state.inbound.get(id);
      const dropOut = dropAdded(deliveries);
      await commit({ done: id, out: deliveries }, () => {
        dropOut();
        if (entry && !state.inbound.has(id)) state.inbound.set(id, entry);
      });
    },
    async enqueueOutbound(deliveries) {
      assertWritable();
      await commit({ out: deliveries }, dropAdded(deliveries));
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
      const d = state.outbound.get(id);
      if (!d) return;
      await commit(outcome === 'failed' ? { sent: id, failed: true } : { sent: id }, () => {
        if (!state.outbound.has(id)) state.outbound.set(id, d);
      });
    },
    async listPending() {
      return copyRecord({ inbound: [...state.inbound.values()], outbound: [...state.outbound.values()] });
    },
    async close() {
      while (running) await idle;
      closeFile();
    },
  };
}
