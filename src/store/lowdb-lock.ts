/**
 * `DATA_DIR/store.lock`: one process writes a data directory at a time.
 *
 * The lock names the process that holds it by its id and its start time (`/proc/<pid>/stat`, field 22,
 * on Linux), so a lock left behind by a process that is gone is taken over even when the id has since
 * been given to another, unrelated process (after a reboot or in a container, ids are reused at once).
 * Where the start time cannot be read (not Linux), a live process with that id counts as the holder.
 * A lock of the older form (the id alone) is stale when the process with that id started after the
 * lock was written. The holder removes the lock when it closes the store (`releaseDataDir`).
 */
import { readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Thrown when another live process has the data directory open. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`${dataDir} is in use by process ${pid}; two processes must not write the same data directory`);
  }
}

/** What a lock file says: the holder's id and, when known, its start time (clock ticks since boot). */
export interface LockHolder {
  pid: number;
  startTime?: string;
}

/** The lock file's path. */
export const lockPathOf = (dataDir: string) => join(dataDir, 'store.lock');

/** A process's start time in clock ticks since boot (`/proc/<pid>/stat` field 22); undefined where unknown. */
export function readProcessStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 (the command name) is in parentheses and may hold spaces or parentheses: count from the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (the state), so field 22 is fields[19].
  const start = fields[19];
  return start && /^\d+$/.test(start) ? start : undefined;
}

/** The seconds since the epoch at which the machine booted (`btime` of /proc/stat); undefined where unknown. */
function readBootTime(): number | undefined {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The lock file's content for this process. */
export function describeThisProcess(): LockHolder {
  const startTime = readProcessStartTime(process.pid);
  return { pid: process.pid, ...(startTime ? { startTime } : {}) };
}

/** Parses a lock file: `{"pid":…,"startTime":"…"}`, or the older form, the id alone. */
export function parseLock(text: string): LockHolder | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { pid: Number(trimmed) };
  try {
    const v = JSON.parse(trimmed) as { pid?: unknown; startTime?: unknown };
    if (typeof v.pid !== 'number' || !Number.isInteger(v.pid) || v.pid <= 0) return undefined;
    return { pid: v.pid, ...(typeof v.startTime === 'string' && /^\d+$/.test(v.startTime) ? { startTime: v.startTime } : {}) };
  } catch {
    return undefined;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux architecture Node runs on). */
const USER_HZ = 100;

/**
 * True when the process the lock names still holds it: alive, and the same process (same start time,
 * or for a lock of the older form, started before the lock was written).
 */
export function isHolderAlive(holder: LockHolder, lockWrittenMs: number | undefined): boolean {
  if (!isProcessAlive(holder.pid)) return false;
  const started = readProcessStartTime(holder.pid);
  if (started === undefined) return true;
  if (holder.startTime !== undefined) return holder.startTime === started;
  const boot = readBootTime();
  if (boot === undefined || lockWrittenMs === undefined) return true;
  const startedMs = (boot + Number(started) / USER_HZ) * 1000;
  // A process started after the lock was written cannot have written it (a second's slack for rounding).
  return startedMs <= lockWrittenMs + 1000;
}

/**
 * Takes `DATA_DIR/store.lock` for this process: refuses when another live process holds it, takes it
 * over from a process that is gone (killed, or its id now another process's). The same process may
 * open the directory again.
 */
export function lockDataDir(dataDir: string): void {
  const path = lockPathOf(dataDir);
  const me = describeThisProcess();
  const content = JSON.stringify(me);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, content, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let text = '';
    let writtenMs: number | undefined;
    try {
      text = readFileSync(path, 'utf8');
      writtenMs = statSync(path).mtimeMs;
    } catch {
      // gone meanwhile, or unreadable: taken over below
    }
    const holder = parseLock(text);
    if (holder && holder.pid === me.pid && (holder.startTime === undefined || holder.startTime === me.startTime)) {
      // This process opened it before; record the start time if the lock lacked it.
      if (holder.startTime !== me.startTime) writeFileSync(path, content);
      return;
    }
    if (holder && holder.pid !== me.pid && isHolderAlive(holder, writtenMs)) throw new DataDirLockedError(dataDir, holder.pid);
    try {
      unlinkSync(path);
    } catch {
      // taken by someone else meanwhile: the next attempt sees it
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

/** Removes the lock if it still names this process (another may have taken over a lock it thought stale). */
export function releaseDataDir(dataDir: string): void {
  const path = lockPathOf(dataDir);
  let holder: LockHolder | undefined;
  try {
    holder = parseLock(readFileSync(path, 'utf8'));
  } catch {
    return;
  }
  const me = describeThisProcess();
  if (!holder || holder.pid !== me.pid || (holder.startTime !== undefined && holder.startTime !== me.startTime)) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
