/**
 * The file operations of the Node store, and the few ways it writes with them: appending to a journal
 * (cut back to where it was when the append fails), replacing a file whole (the old content stays when
 * the replacement fails) and setting a damaged file aside.
 *
 * Every write of the store goes through a `FileOps` object (default: `nodeFileOps`, node:fs as it is),
 * so a test can make any one of them fail, half-written, the way a full disk does.
 *
 * @example const fd = openForAppend(nodeFileOps, path); appendBytes(nodeFileOps, fd, Buffer.from('{}\n'))
 */
import { close, closeSync, existsSync, fdatasync, fstatSync, fsync, fsyncSync, ftruncateSync, linkSync, open, openSync, readFileSync, readSync, rename, renameSync, truncateSync, unlinkSync, write, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { StoreWriteError } from './port';

/**
 * The file operations the Node store writes with (reads go to node:fs directly). Descriptors are real
 * ones, so a wrapper may inject failures around the real calls.
 */
export interface FileOps {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, data: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  truncateSync(path: string, length: number): void;
  renameSync(from: string, to: string): void;
  linkSync(existing: string, link: string): void;
  unlinkSync(path: string): void;
  open(path: string, flags: string): Promise<number>;
  write(fd: number, data: Uint8Array, offset: number, length: number): Promise<number>;
  fdatasync(fd: number): Promise<void>;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

const done =
  (resolve: () => void, reject: (err: unknown) => void) =>
  (err: NodeJS.ErrnoException | null): void =>
    err ? reject(err) : resolve();

/** node:fs itself (the asynchronous calls on libuv's thread pool). */
export const nodeFileOps: FileOps = {
  openSync: (path, flags) => openSync(path, flags),
  writeSync: (fd, data, offset, length) => writeSync(fd, data, offset, length),
  fsyncSync: (fd) => fsyncSync(fd),
  closeSync: (fd) => closeSync(fd),
  ftruncateSync: (fd, length) => ftruncateSync(fd, length),
  truncateSync: (path, length) => truncateSync(path, length),
  renameSync: (from, to) => renameSync(from, to),
  linkSync: (existing, link) => linkSync(existing, link),
  unlinkSync: (path) => unlinkSync(path),
  open: (path, flags) => new Promise((resolve, reject) => open(path, flags, (err, fd) => (err ? reject(err) : resolve(fd)))),
  write: (fd, data, offset, length) => new Promise((resolve, reject) => write(fd, data, offset, length, null, (err, n) => (err ? reject(err) : resolve(n)))),
  fdatasync: (fd) => new Promise((resolve, reject) => fdatasync(fd, done(resolve, reject))),
  fsync: (fd) => new Promise((resolve, reject) => fsync(fd, done(resolve, reject))),
  close: (fd) => new Promise((resolve, reject) => close(fd, done(resolve, reject))),
  rename: (from, to) => new Promise((resolve, reject) => rename(from, to, done(resolve, reject))),
};

/** Wraps a failed write as a StoreWriteError naming what could not be written (once: one already wrapped passes). */
export function toStoreWriteError(err: unknown, what: string): StoreWriteError {
  if (err instanceof StoreWriteError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  return new StoreWriteError(`could not write ${what}: ${detail}`, { cause: err, ...(code ? { code } : {}) });
}

/** Runs a clean-up step of a failed write; its own failure must not hide the first one. */
function quietly(step: () => void): void {
  try {
    step();
  } catch {
    // the write already failed; what is left is ignored by readers or repaired by the next write
  }
}

/**
 * Opens a journal for appending (read too, to look at its end) and makes sure the next append starts
 * on a fresh line: a line left unfinished by a crash or a failed write gets its newline, so it stays
 * one unreadable line that readers skip instead of swallowing the next record.
 */
export function openForAppend(ops: FileOps, path: string): number {
  const fd = ops.openSync(path, 'a+');
  try {
    const size = fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) appendBytes(ops, fd, Buffer.from('\n'));
    }
  } catch (err) {
    quietly(() => ops.closeSync(fd));
    throw err;
  }
  return fd;
}

/**
 * Appends all of `bytes` to a descriptor opened for appending; returns the size the file had before.
 * When the write fails part-way (a full disk writes what fits), the file is cut back to that size.
 */
export function appendBytes(ops: FileOps, fd: number, bytes: Uint8Array): number {
  const before = fstatSync(fd).size;
  try {
    for (let off = 0; off < bytes.length; ) off += ops.writeSync(fd, bytes, off, bytes.length - off);
  } catch (err) {
    quietly(() => ops.ftruncateSync(fd, before));
    throw err;
  }
  return before;
}

/** Options of `replaceFile` and `replaceFileAsync`. */
export interface ReplaceOptions {
  /**
   * Flush the new content and the directory to the device before returning (default true). Without,
   * a crash of the machine may lose the change (a crash of the process does not).
   */
  durable?: boolean;
}

const tempPathOf = (path: string) => join(dirname(path), `.${basename(path)}.tmp`);
const previousPathOf = (path: string) => join(dirname(path), `.${basename(path)}.prev`);

/**
 * Keeps the current content of `path` under a second name (a hard link, no copy) while it is replaced,
 * so a failure after the rename (the directory's flush) can put it back. Undefined when there is none.
 */
function keepPrevious(ops: FileOps, path: string): string | undefined {
  const prev = previousPathOf(path);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      ops.linkSync(path, prev);
      return prev;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code !== 'EEXIST' || attempt > 0) throw err;
      // Left by a crash during an earlier replacement.
      ops.unlinkSync(prev);
    }
  }
  return undefined;
}

/** Puts back what `keepPrevious` kept after a replacement failed past its rename (or removes a new file). */
function restorePrevious(ops: FileOps, path: string, prev: string | undefined): void {
  quietly(() => (prev ? ops.renameSync(prev, path) : ops.unlinkSync(path)));
}

/**
 * Replaces a file so that a crash or a power cut leaves the old content or the new, never a mix, and a
 * failure (a full disk) leaves the old content: temp file written and flushed, renamed over the file,
 * directory flushed. Synchronous (for new files, small indexes and the occasional rewrite).
 */
export function replaceFile(ops: FileOps, path: string, text: string | Uint8Array, options: ReplaceOptions = {}): void {
  const durable = options.durable ?? true;
  const tmp = tempPathOf(path);
  try {
    const fd = ops.openSync(tmp, 'w');
    try {
      const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
      for (let off = 0; off < bytes.length; ) off += ops.writeSync(fd, bytes, off, bytes.length - off);
      if (durable) ops.fsyncSync(fd);
    } finally {
      ops.closeSync(fd);
    }
  } catch (err) {
    quietly(() => ops.unlinkSync(tmp));
    throw err;
  }
  if (!durable) {
    try {
      ops.renameSync(tmp, path);
    } catch (err) {
      quietly(() => ops.unlinkSync(tmp));
      throw err;
    }
    return;
  }
  let prev: string | undefined;
  try {
    prev = keepPrevious(ops, path);
    ops.renameSync(tmp, path);
  } catch (err) {
    quietly(() => ops.unlinkSync(tmp));
    if (prev) quietly(() => ops.unlinkSync(prev!));
    throw err;
  }
  try {
    flushDirectorySync(ops, dirname(path));
  } catch (err) {
    restorePrevious(ops, path, prev);
    throw err;
  }
  if (prev) quietly(() => ops.unlinkSync(prev!));
}

/**
 * The same as `replaceFile`, without holding the event loop while the device flushes: for the rewrites
 * that happen while the server answers (an evaluation's journal every few dozen answers, the message
 * log), where a synchronous flush stalled every request in flight.
 */
export async function replaceFileAsync(ops: FileOps, path: string, text: string | Uint8Array, options: ReplaceOptions = {}): Promise<void> {
  const durable = options.durable ?? true;
  const tmp = tempPathOf(path);
  try {
    const fd = await ops.open(tmp, 'w');
    try {
      const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
      for (let off = 0; off < bytes.length; ) off += await ops.write(fd, bytes, off, bytes.length - off);
      if (durable) await ops.fdatasync(fd);
    } finally {
      await ops.close(fd);
    }
  } catch (err) {
    quietly(() => ops.unlinkSync(tmp));
    throw err;
  }
  let prev: string | undefined;
  try {
    if (durable) prev = keepPrevious(ops, path);
    await ops.rename(tmp, path);
  } catch (err) {
    quietly(() => ops.unlinkSync(tmp));
    if (prev) quietly(() => ops.unlinkSync(prev!));
    throw err;
  }
  if (!durable) return;
  try {
    await flushPath(ops, dirname(path));
  } catch (err) {
    restorePrevious(ops, path, prev);
    throw err;
  }
  if (prev) quietly(() => ops.unlinkSync(prev!));
}

/** Flushes a directory's entries (a rename in it) to the device. */
function flushDirectorySync(ops: FileOps, dir: string): void {
  let fd: number;
  try {
    fd = ops.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    ops.fsyncSync(fd);
  } finally {
    ops.closeSync(fd);
  }
}

/** Flushes a file or directory to the device by opening it, off the event loop; nothing to do when it is gone. */
export async function flushPath(ops: FileOps, path: string): Promise<void> {
  let fd: number;
  try {
    fd = await ops.open(path, 'r');
  } catch {
    return;
  }
  try {
    await ops.fsync(fd);
  } finally {
    await ops.close(fd);
  }
}

/** What became of a small JSON file read at start-up. */
export type ReadJsonOutcome<T> =
  | { kind: 'missing' }
  | { kind: 'ok'; value: T }
  /** Unreadable, empty, not JSON or not the expected shape: `reason` says which; `setAsideAs` where it went. */
  | { kind: 'broken'; reason: string; setAsideAs?: string };

/**
 * Reads a JSON file kept whole by the store (an index, the drafts). A file that cannot be read, is
 * empty, is not JSON or fails `accept` is set aside as `<name>.broken-<timestamp>` (unless `readOnly`),
 * so the store can start without it and the damaged content stays for a person to look at.
 */
export function readJsonOrSetAside<T>(path: string, accept: (value: unknown) => value is T, options: { ops: FileOps; now: () => Date; readOnly: boolean }): ReadJsonOutcome<T> {
  let reason: string;
  try {
    const text = readFileSync(path, 'utf8');
    if (!text.trim()) reason = 'empty';
    else {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        value = undefined;
        reason = 'not JSON';
      }
      if (value !== undefined) {
        if (accept(value)) return { kind: 'ok', value };
        reason = 'unexpected content';
      } else reason = 'not JSON';
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'missing' };
    reason = `unreadable (${code ?? (err instanceof Error ? err.message : String(err))})`;
  }
  if (options.readOnly) return { kind: 'broken', reason };
  const setAsideAs = setAside(options.ops, path, options.now());
  return { kind: 'broken', reason, ...(setAsideAs ? { setAsideAs } : {}) };
}

/** Renames a damaged file to `<name>.broken-<timestamp>` (a free name); returns the new path, or undefined when that failed. */
export function setAside(ops: FileOps, path: string, at: Date): string | undefined {
  const stamp = at.toISOString().replace(/[:.]/g, '-');
  for (let n = 0; n < 100; n++) {
    const target = `${path}.broken-${stamp}${n ? `-${n}` : ''}`;
    if (existsSync(target)) continue;
    try {
      ops.renameSync(path, target);
      return target;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** True for a plain JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True for an object whose every value passes `each`. */
export function isRecordOf<T>(each: (v: unknown) => v is T): (value: unknown) => value is Record<string, T> {
  return (value): value is Record<string, T> => isPlainObject(value) && Object.values(value).every(each);
}

/** Cuts a file back to `length` through a descriptor (after a failed flush); a failure here is left to the readers. */
export function cutBack(ops: FileOps, fd: number, length: number): void {
  quietly(() => ops.ftruncateSync(fd, length));
}

/** Removes a file if it is there (clean-up after a failed write). */
export function removeQuietly(ops: FileOps, path: string): void {
  quietly(() => ops.unlinkSync(path));
}
