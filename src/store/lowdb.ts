/**
 * The Node store: lowdb JSON files under DATA_DIR.
 *
 * Layout (one file per evaluation, so recording an answer rewrites only that evaluation's file, whatever
 * the number of evaluations stored):
 * - `evaluations/<id>.json`: one evaluation record;
 * - `audit/<id>.jsonl`: its audit trail, one entry per line with the revision it belongs to (appended);
 * - `chats.json`: chat id → evaluation id (rewritten only when a chat is bound);
 * - `drafts.json`: chat drafts (新建自评 in progress) by chat and user;
 * - `messages.log`: the message log (see `lowdb-messages.ts`): dedupe claims, inbound events recorded
 *   but not yet processed, replies recorded but not yet sent; flushed before each change resolves;
 * - `channels.json`: small per-chat state of the platform channels (a DingTalk session webhook…);
 * - `overviews.json`: the bureau overview's bindings (汇总: the units each chat follows), by chat id, flushed;
 * - `files/<id>` and `files/<id>.json`: a stored file's bytes and its name, type and date;
 * - `frameworks/<id>.json`: one imported framework (draft and status), written like evaluations and
 *   read from disk on each request (there are few, and a read-only opening then sees new ones);
 * - `carried/<hash>.json`: the framework an evaluation carries (an imported one, as it was when the
 *   evaluation was created), once per content: the evaluation file names it by `frameworkRef` instead
 *   of holding a copy, so an answer neither parses nor writes the framework (tens of kilobytes), and
 *   every evaluation with the same framework shares one read-only object in memory;
 * - `store.lock`: the id and start time of the process that has the directory open (one writer at a
 *   time; see `lowdb-lock.ts`), removed by `close`.
 *
 * Evaluation files are journals of compact JSON: one whole record per line, the last whole line being
 * the record (see `writeRecord`); `tail -n 1 file | jq` shows it. A write appends a line, and the file is
 * rewritten with its last record alone (temp file, then rename) every few writes, so a crash leaves the
 * old record or the new one, never half of one. A write's audit entries are appended to the trail
 * just before its record; entries of a revision the record never reached (a crash in between) are
 * ignored when reading and dropped on the next write. An evaluation's writes resolve once its files
 * are flushed to the device (fdatasync), so an acknowledged answer survives a power cut too. The chat
 * index and the message log are flushed the same way; drafts, channel state and stored files are replaced
 * (temp file, then rename) unflushed, so a crash of the machine may lose their last change. Writes to one evaluation
 * are serialised; different evaluations write concurrently. Recently used evaluations are kept in a
 * small in-memory cache (as the JSON text written) that is only updated after the file is written.
 *
 * A write that fails (a full disk, an I/O error) leaves the store as it was: what it appended is cut
 * back (and the next append starts on a fresh line whatever is left), a replaced file keeps its old
 * content, the in-memory state is put back, and the caller gets a StoreWriteError (the chat then says
 * the answer was not saved; HTTP answers 507). Every write goes through `options.fileOps`, where tests
 * inject such failures.
 *
 * Damage found on opening does not stop the store: a chat index, drafts, channel or overview file that
 * cannot be read, is empty or is not what it should be is set aside as `<name>.broken-<timestamp>` and
 * logged; the chat index is rebuilt from the evaluation files, the others start empty. An evaluation
 * file that cannot be read is logged and skipped by `listEvaluations` (`listBrokenEvaluations` names it).
 *
 * @example const store = await openLowdbStore('./data')
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { JSONFile, TextFile } from 'lowdb/node';
import type { StoreOptions } from './memory';
import { openMessageLog } from './lowdb-messages';
import { lockDataDir, releaseDataDir } from './lowdb-lock';
import {
  appendBytes,
  cutBack,
  flushPath,
  isPlainObject,
  isRecordOf,
  nodeFileOps,
  openForAppend,
  readJsonOrSetAside,
  removeQuietly,
  replaceFile,
  replaceFileAsync,
  toStoreWriteError,
  type FileOps,
} from './lowdb-files';
import { isImportedFrameworkId } from '../core/framework-record';
import type { FrameworkInput } from '../core/framework/schema';
import { BrokenEvaluationError, callCountOf, type AuditEntry, type BrokenEvaluation, type EvaluationRecord, type FrameworkRecord, type FrameworkHead, type OverviewBinding, type Store, type StoredChatDraft, type StoredFile } from './port';
import { assertFrameworkId, assertSafeId, compareByCreation, copyRecord, createFileId, createKeyedQueue, frameworkHeadOf, frameworkKey, toDraftKey, isSafeId, pageOfIds } from './shared';

export { DataDirLockedError } from './lowdb-lock';
export type { FileOps } from './lowdb-files';

/** Options of the lowdb store. */
export interface LowdbStoreOptions extends StoreOptions {
  /** How many evaluations to keep in memory (default 200). */
  cacheSize?: number;
  /**
   * Open without taking the directory's lock, for tools that only read (an export while the server
   * runs); every write then throws. The chat index and cached records are read once: a snapshot.
   */
  readOnly?: boolean;
  /**
   * Flushes an appended evaluation file or trail to the device before the write resolves (default:
   * fdatasync on libuv's thread pool). Tests pass their own to see that writes wait for it.
   */
  syncFile?: (fd: number) => Promise<void>;
  /** The file operations every write goes through (default: node:fs); tests make them fail here. */
  fileOps?: FileOps;
  /** Where damaged files found on opening or reading are reported (default: a JSON line on stderr). */
  logger?: StoreLogger;
}

/** What the store logs with (the app's Logger fits). */
export interface StoreLogger {
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The lowdb store: the port, the damaged evaluations it skipped, and closing it. */
export interface LowdbStore extends Store {
  listBrokenEvaluations(): Promise<BrokenEvaluation[]>;
  /**
   * Waits for the writes in flight, closes the files kept open and removes `store.lock`; every write
   * after it throws. A graceful stop (SIGTERM) calls it, so the next start finds no lock.
   */
  close(): Promise<void>;
}

type FileMeta = Omit<StoredFile, 'bytes'>;

const CHATS_KEY = '\u0000chats';
const DRAFTS_KEY = '\u0000drafts';
const CHANNELS_KEY = '\u0000channels';
const OVERVIEWS_KEY = '\u0000overviews';
/** Appends to an evaluation file before it is rewritten with its last record alone... */
const COMPACT_AFTER = 64;
/** ...or bytes appended, whichever comes first. */
const COMPACT_BYTES = 256 * 1024;
/** Evaluations whose journal and trail stay open for appending (two descriptors each). */
const OPEN_FILES = 100;
/** Carried frameworks kept parsed in memory, least recently used dropped first (read from their file again when needed). */
const CARRIED_CACHE = 32;
/** How many evaluation files listEvaluations (and a page) reads at once. */
const LIST_BATCH = 32;

/** Opens (creating when needed) the store under `dataDir`; throws DataDirLockedError if another process has it. */
export async function openLowdbStore(dataDir: string, options: LowdbStoreOptions = {}): Promise<LowdbStore> {
  const now = options.now ?? (() => new Date());
  const ops = options.fileOps ?? nodeFileOps;
  const logger = options.logger ?? defaultLogger;
  const cacheSize = Math.max(1, options.cacheSize ?? 200);
  const evalDir = join(dataDir, 'evaluations');
  const fileDir = join(dataDir, 'files');
  const auditDir = join(dataDir, 'audit');
  const frameworkDir = join(dataDir, 'frameworks');
  const carriedDir = join(dataDir, 'carried');
  const readOnly = options.readOnly ?? false;
  if (!readOnly) {
    await mkdir(evalDir, { recursive: true });
    await mkdir(auditDir, { recursive: true });
    await mkdir(fileDir, { recursive: true });
    await mkdir(frameworkDir, { recursive: true });
    await mkdir(carriedDir, { recursive: true });
    lockDataDir(dataDir);
  }
  let closed = false;
  const assertWritable = () => {
    if (readOnly) throw new Error(`the store on ${dataDir} was opened read-only`);
    if (closed) throw new Error(`the store on ${dataDir} was closed`);
  };

  const syncFile = options.syncFile ?? ((fd: number) => ops.fdatasync(fd));
  const evalPath = (id: string) => join(evalDir, `${id}.json`);
  const auditPath = (id: string) => join(auditDir, `${id}.jsonl`);
  const frameworkPath = (id: string) => join(frameworkDir, `${id}.json`);
  const readFramework = async (id: string): Promise<FrameworkRecord | undefined> => {
    if (!isImportedFrameworkId(id) || !isSafeId(id)) return undefined;
    const text = await new TextFile(frameworkPath(id)).read().catch(() => null);
    if (text === null) return undefined;
    try {
      return JSON.parse(text) as FrameworkRecord;
    } catch {
      // Files are replaced by rename, so a torn file is one edited by hand: treat it as absent.
      return undefined;
    }
  };
  // Writes in flight, so `close` can wait for them.
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    const forget = () => void inFlight.delete(p);
    p.then(forget, forget);
    return p;
  };
  const queue = createKeyedQueue();
  const serialise = <T>(key: string, task: () => Promise<T>): Promise<T> => track(queue(key, task));
  // Evaluations found damaged on reading, by id (an id leaves when it reads well again).
  const broken = new Map<string, string>();
  const markBroken = (id: string, reason: string): BrokenEvaluationError => {
    if (broken.get(id) !== reason) logger.error('damaged evaluation file skipped', { evaluationId: id, file: evalPath(id), reason });
    broken.set(id, reason);
    return new BrokenEvaluationError(id, reason);
  };

  // Evaluation ids known on disk (names only; records are read on demand).
  const ids = new Set(
    (await readdir(evalDir).catch(() => [] as string[]))
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .map((n) => n.slice(0, -'.json'.length))
      .filter(isSafeId),
  );
  // Recently used records as their JSON text: a read is one parse, a write one stringify.
  const cache = new Map<string, { text: string; revision: number }>();
  const remember = (id: string, entry: { text: string; revision: number }) => {
    cache.delete(id);
    cache.set(id, entry);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value as string);
  };
  /** The record's JSON text, from the cache or the file. */
  const loadText = async (id: string): Promise<string | undefined> => {
    const hit = cache.get(id);
    if (hit) {
      remember(id, hit);
      return hit.text;
    }
    if (!ids.has(id)) return undefined;
    let file: string | null;
    try {
      file = await new TextFile(evalPath(id)).read();
    } catch (err) {
      throw markBroken(id, `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    // Not there (yet): an evaluation being created, or one deleted by hand.
    if (file === null) return undefined;
    const text = lastRecordLine(file);
    if (text === undefined) throw markBroken(id, file.trim() ? 'no whole record in the file' : 'empty file');
    const parsed = JSON.parse(text) as unknown;
    if (!isPlainObject(parsed) || typeof parsed.revision !== 'number' || parsed.id !== id) throw markBroken(id, 'the last record is not this evaluation');
    broken.delete(id);
    const revision = parsed.revision;
    // A write may have landed while we read; the cache then already holds the newer record.
    const newer = cache.get(id);
    if (newer && newer.revision >= revision) return newer.text;
    remember(id, { text, revision });
    return text;
  };
  // Carried frameworks by content hash, parsed and frozen (shared by every record that carries one),
  // and the hash of each such object, so writing a record back does not hash its framework again.
  const carried = new Map<string, FrameworkInput>();
  const hashOfCarried = new WeakMap<object, string>();
  const carriedPath = (hash: string) => join(carriedDir, `${hash}.json`);
  const shareCarried = (hash: string, text: string): FrameworkInput => {
    const fw = deepFreeze(JSON.parse(text) as FrameworkInput);
    hashOfCarried.set(fw, hash);
    carried.set(hash, fw);
    if (carried.size > CARRIED_CACHE) carried.delete(carried.keys().next().value as string);
    return fw;
  };
  /** The shared copy of a carried framework, from memory or its file. */
  const readCarried = async (hash: string, evaluationId: string): Promise<FrameworkInput> => {
    const hit = carried.get(hash);
    if (hit) {
      // Most recently used last, so the ones in use stay.
      carried.delete(hash);
      carried.set(hash, hit);
      return hit;
    }
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`evaluation "${evaluationId}" names a malformed framework reference "${hash}"`);
    const text = await readFile(carriedPath(hash), 'utf8').catch(() => undefined);
    if (text === undefined) throw new Error(`evaluation "${evaluationId}" carries framework ${carriedPath(hash)}, which is missing`);
    return carried.get(hash) ?? shareCarried(hash, text);
  };
  /** Writes a carried framework's file once (by its content's hash) and returns the hash. */
  const storeCarried = (fw: FrameworkInput): string => {
    const known = hashOfCarried.get(fw);
    if (known) return known;
    const text = JSON.stringify(fw);
    const hash = createHash('sha256').update(text).digest('hex');
    if (!existsSync(carriedPath(hash))) replaceFile(ops, carriedPath(hash), text);
    return hash;
  };
  const load = async (id: string): Promise<EvaluationRecord | undefined> => {
    const text = await loadText(id);
    if (text === undefined) return undefined;
    const rec = JSON.parse(text) as EvaluationRecord & { frameworkRef?: string; [JOURNAL_AUDIT]?: unknown };
    // A journal line carries its write's audit entries too (see `writeRecord`); they are not the record.
    if (rec[JOURNAL_AUDIT] !== undefined) delete rec[JOURNAL_AUDIT];
    if (rec.frameworkRef !== undefined) {
      try {
        rec.framework = await readCarried(rec.frameworkRef, id);
      } catch (err) {
        throw markBroken(id, (err as Error).message);
      }
      delete rec.frameworkRef;
    }
    return rec;
  };
  /**
   * The evaluations of these ids, in their order, a few files at a time so thousands of evaluations do
   * not exhaust file descriptors. A damaged one is logged and left out (see listBrokenEvaluations),
   * never the whole list.
   */
  const loadMany = async (list: string[]): Promise<EvaluationRecord[]> => {
    const recs: EvaluationRecord[] = [];
    const read = (id: string) =>
      load(id).catch((err: unknown) => {
        if (!(err instanceof BrokenEvaluationError)) markBroken(id, (err as Error).message);
        return undefined;
      });
    for (let i = 0; i < list.length; i += LIST_BATCH) {
      const batch = await Promise.all(list.slice(i, i + LIST_BATCH).map(read));
      for (const r of batch) if (r) recs.push(r);
    }
    return recs;
  };
  // Appends (count and bytes) since each file was last rewritten whole, for the files written by this process.
  const appended = new Map<string, { count: number; bytes: number }>();
  // Open descriptors (O_APPEND) of recently written journals and trails: an append is then one write
  // instead of open, write and close. Closed when the file is replaced and when evicted.
  const descriptors = new Map<string, number>();
  // Flushes in flight by descriptor: a descriptor is closed only after its flush (else the number
  // could be reused by another file meanwhile).
  const flushing = new Map<number, Promise<void>>();
  const flush = (fd: number): Promise<void> => {
    const pending = syncFile(fd).finally(() => {
      if (flushing.get(fd) === pending) flushing.delete(fd);
    });
    flushing.set(fd, pending);
    return pending;
  };
  /**
   * Appends to a file through its kept-open descriptor (a new one first makes sure the file ends on a
   * fresh line); returns the bytes written, the descriptor and the size before, to cut back to. A write
   * that fails part-way is cut back here.
   */
  const appendTo = (path: string, text: string) => {
    let fd = descriptors.get(path);
    if (fd === undefined) {
      fd = openForAppend(ops, path);
      descriptors.set(path, fd);
      if (descriptors.size > 2 * OPEN_FILES) forget(descriptors.keys().next().value as string);
    } else {
      descriptors.delete(path);
      descriptors.set(path, fd);
    }
    const bytes = Buffer.from(text, 'utf8');
    const before = appendBytes(ops, fd, bytes);
    return { bytes: bytes.length, fd, before };
  };
  const closeQuietly = (fd: number) => {
    try {
      ops.closeSync(fd);
    } catch {
      // already closed, or nothing left to lose on it
    }
  };
  const forget = (path: string) => {
    const fd = descriptors.get(path);
    if (fd === undefined) return;
    descriptors.delete(path);
    const pending = flushing.get(fd);
    if (pending) void pending.catch(() => {}).then(() => closeQuietly(fd));
    else closeQuietly(fd);
  };
  /**
   * Writes a record and caches its text. An evaluation file is a journal: one complete record per line,
   * the last whole line being the record. A write appends a line; every COMPACT_AFTER appends (and on
   * the first write after opening, which also drops a line torn by a crash) the file is rewritten with
   * the last record alone, through a temp file and a rename. A crash mid-append leaves a torn last line,
   * which reading skips: that write was never acknowledged.
   *
   * The write's audit entries go first, to the trail (a crash between the two: see `dropOrphanAudit`),
   * and also into the journal line, under JOURNAL_AUDIT.
   *
   * Durable before it resolves: the journal is flushed with fdatasync (on libuv's thread pool, so other
   * evaluations go on meanwhile); new and rewritten files are flushed before their rename and the rename
   * after it. So an acknowledged answer and its audit entries survive a power cut, not only a crash: the
   * trail is not flushed per write, and entries it lost are restored from the journal on the first write
   * after opening (the trail is flushed before the journal's older lines are dropped).
   *
   * A write that fails is undone: the lines it appended to the trail and the journal are cut back, a
   * rewrite leaves the old file, the files of a new evaluation go, and the next write of the evaluation
   * is treated as the first since opening (so it checks the trail and rewrites the journal whole, whatever
   * a failed cut left behind). It throws a StoreWriteError.
   *
   * The writes themselves are synchronous on purpose: under 50 people answering at once, async writes
   * waited in libuv's four-thread pool (server-side p99 132 ms against 6 ms), and rename on every write
   * took a third of the server's time; an append of a few kilobytes is cheap.
   */
  const writeRecord = async (rec: EvaluationRecord, audit: AuditEntry[]) => {
    const path = evalPath(rec.id);
    const trail = auditPath(rec.id);
    const done = appended.get(rec.id);
    // Records written before the trail had its own file carried it inline: move it out.
    const legacy = (rec as { audit?: AuditEntry[] }).audit;
    // What to take back if the write fails, last first.
    const undo: Array<() => void> = [];
    try {
      if (legacy) {
        delete (rec as { audit?: AuditEntry[] }).audit;
        undo.push(() => void ((rec as { audit?: AuditEntry[] }).audit = legacy));
        if (rec.revision > 0 && !existsSync(trail)) {
          replaceFile(ops, trail, formatAudit(legacy, 0));
          undo.push(() => removeQuietly(ops, trail));
        }
      }
      // A carried framework goes to its own file (once per content); the record names it.
      const text = rec.framework ? JSON.stringify({ ...rec, framework: undefined, frameworkRef: storeCarried(rec.framework) }) : JSON.stringify(rec);
      // The journal line: the record, plus this write's audit entries (so one flush makes both durable).
      const line = audit.length && rec.revision > 0 ? `${text.slice(0, -1)},${JSON.stringify(JOURNAL_AUDIT)}:${JSON.stringify(audit)}}\n` : `${text}\n`;
      if (rec.revision === 0) {
        forget(trail);
        replaceFile(ops, trail, formatAudit(audit, 0));
        // A new evaluation: its files go when it fails.
        undo.push(() => removeQuietly(ops, trail));
      } else {
        // First write since opening: drop entries a crash left behind, of this revision or later, and
        // restore from the journal those a machine crash kept from reaching the trail.
        if (done === undefined) {
          forget(trail);
          const kept = dropOrphanAudit(ops, trail, rec.revision);
          const lost = journalAuditAfter(existsSync(path) ? readFileSync(path, 'utf8') : '', kept);
          if (lost) appendTo(trail, lost);
        }
        if (audit.length) {
          const { fd, before } = appendTo(trail, formatAudit(audit, rec.revision));
          undo.push(() => cutBack(ops, fd, before));
        }
      }
      if (done === undefined || done.count >= COMPACT_AFTER || done.bytes >= COMPACT_BYTES) {
        // The journal's older lines (and their audit entries) go: the trail must be on the device first.
        if (rec.revision > 0) {
          const trailFd = descriptors.get(trail);
          await (trailFd !== undefined ? flush(trailFd) : flushPath(ops, trail));
        }
        forget(path);
        await replaceFileAsync(ops, path, line);
        appended.set(rec.id, { count: 0, bytes: 0 });
      } else {
        const { bytes, fd, before } = appendTo(path, line);
        undo.push(() => cutBack(ops, fd, before));
        await flush(fd);
        appended.set(rec.id, { count: done.count + 1, bytes: done.bytes + bytes });
      }
      remember(rec.id, { text, revision: rec.revision });
    } catch (err) {
      for (const step of undo.reverse()) step();
      // The next write starts over as the first since opening (trail checked, journal rewritten whole),
      // on fresh descriptors.
      appended.delete(rec.id);
      forget(path);
      forget(trail);
      throw toStoreWriteError(err, `evaluation "${rec.id}"`);
    }
  };

  /** Writes the record that follows `revision` (bumping it and `updatedAt`) with its audit entries; on failure `next` is as it was. */
  const commit = async (next: EvaluationRecord, revision: number, audit: AuditEntry[]) => {
    const before = { revision: next.revision, updatedAt: next.updatedAt };
    next.revision = revision + 1;
    next.updatedAt = now().toISOString();
    try {
      await writeRecord(next, audit);
    } catch (err) {
      next.revision = before.revision;
      next.updatedAt = before.updatedAt;
      throw err;
    }
    return next;
  };

  /** Logs a damaged file set aside at opening, and what the store does without it. */
  const reportDamage = (file: string, outcome: { reason: string; setAsideAs?: string }, instead: string) =>
    logger.error('damaged file set aside', { file: join(dataDir, file), reason: outcome.reason, ...(outcome.setAsideAs ? { setAsideAs: outcome.setAsideAs } : {}), instead });
  /**
   * A small JSON file written whole from a map (the chat index, drafts, channel state, overview
   * bindings), one write at a time. Changes are numbered: `save(n)` resolves once a write holding
   * change n is done, so one write may settle several callers. When a write fails, `undo` puts the
   * caller's change back before the next write takes its snapshot.
   */
  const createSnapshotFile = (key: string, name: string, snapshot: () => string, durable: boolean) => {
    const path = join(dataDir, name);
    let changes = 0;
    let written = 0;
    return {
      change: () => ++changes,
      save: (change: number, undo?: () => void) =>
        serialise(key, async () => {
          if (written >= change) return;
          const upTo = changes;
          try {
            await replaceFileAsync(ops, path, snapshot(), { durable });
          } catch (err) {
            undo?.();
            throw toStoreWriteError(err, path);
          }
          written = upTo;
        }),
    };
  };
  type SnapshotFile = ReturnType<typeof createSnapshotFile>;
  /** Sets (or with undefined, deletes) one entry of a map kept in a snapshot file; put back if the write fails. */
  const changeEntry = async <V>(map: Map<string, V>, file: SnapshotFile, key: string, value: V | undefined): Promise<void> => {
    const before = map.get(key);
    if (value === undefined) {
      if (!map.delete(key)) return;
    } else map.set(key, value);
    await file.save(file.change(), () => {
      // Unless a later call changed the entry again.
      if (map.get(key) !== value) return;
      if (before === undefined) map.delete(key);
      else map.set(key, before);
    });
  };
  const readIndex = <T>(name: string, accept: (v: unknown) => v is T) => readJsonOrSetAside(join(dataDir, name), accept, { ops, now, readOnly });

  // Chat bindings; rebuilt from the evaluation files when the index is missing or damaged.
  const chatsRead = readIndex('chats.json', isRecordOf((v): v is string => typeof v === 'string'));
  let chats = chatsRead.kind === 'ok' ? chatsRead.value : undefined;
  if (!chats) {
    chats = {};
    for (const id of ids) {
      // A damaged evaluation is logged by load and left out.
      const rec = await load(id).catch(() => undefined);
      for (const c of rec?.chatIds ?? []) chats[c] = id;
    }
  }
  const chatMap = new Map(Object.entries(chats));
  // Flushed like evaluation files: a binding lost in a machine crash would make the chat look new.
  const chatIndex = createSnapshotFile(CHATS_KEY, 'chats.json', () => JSON.stringify(Object.fromEntries(chatMap), null, 2), true);
  if (chatsRead.kind === 'broken') {
    reportDamage('chats.json', chatsRead, 'rebuilt from the evaluation files');
    if (!readOnly) await chatIndex.save(chatIndex.change()).catch((err: unknown) => logger.error('writing the rebuilt chat index failed', { error: (err as Error).message }));
  }

  // Drafts (新建自评 in progress): nothing can rebuild them, so damaged ones start empty.
  const draftsRead = readIndex('drafts.json', isRecordOf((v): v is StoredChatDraft => isPlainObject(v)));
  if (draftsRead.kind === 'broken') reportDamage('drafts.json', draftsRead, 'started without drafts');
  const draftMap = new Map(Object.entries(draftsRead.kind === 'ok' ? draftsRead.value : {}));
  const draftsFile = createSnapshotFile(DRAFTS_KEY, 'drafts.json', () => JSON.stringify(Object.fromEntries(draftMap), null, 2), false);

  const messages = openMessageLog(dataDir, { now, syncFile, ops, readOnly, assertWritable, onError: (message, fields) => logger.error(message, fields) });
  const channelsRead = readIndex('channels.json', isRecordOf(isPlainObject));
  if (channelsRead.kind === 'broken') reportDamage('channels.json', channelsRead, 'started without channel state');
  const channelState = new Map(Object.entries(channelsRead.kind === 'ok' ? channelsRead.value : {}));
  const channelsFile = createSnapshotFile(CHANNELS_KEY, 'channels.json', () => JSON.stringify(Object.fromEntries(channelState), null, 2), false);
  // Overview bindings grant a chat read access to units' figures: flushed like the chat index.
  const overviewsRead = readIndex('overviews.json', isRecordOf((v): v is OverviewBinding => isPlainObject(v)));
  if (overviewsRead.kind === 'broken') reportDamage('overviews.json', overviewsRead, 'started without overview bindings');
  const overviewMap = new Map(Object.entries(overviewsRead.kind === 'ok' ? overviewsRead.value : {}));
  const overviewsFile = createSnapshotFile(OVERVIEWS_KEY, 'overviews.json', () => JSON.stringify(Object.fromEntries(overviewMap), null, 2), true);

  // The heads of the imported frameworks, read from their files at the first call and kept up to date
  // by the writes below (this process is the only writer of the directory).
  let frameworkHeads: Map<string, FrameworkHead> | undefined;
  let frameworkWrites = 0;
  /** Writes an imported framework's file (durably: the port promises it); the old one stays if that fails. */
  const writeFramework = async (id: string, text: string, rec: FrameworkRecord) => {
    try {
      await replaceFileAsync(ops, frameworkPath(id), text);
    } catch (err) {
      throw toStoreWriteError(err, `framework "${id}"`);
    }
    frameworkWrites++;
    frameworkHeads?.set(id, frameworkHeadOf(rec));
  };

  const store: LowdbStore = {
    async evaluationIdForChat(chatId) {
      // A binding to an evaluation whose file is gone (deleted by hand) counts as no binding.
      const id = chatMap.get(chatId);
      return id !== undefined && ids.has(id) ? id : undefined;
    },
    async getEvaluation(id) {
      return isSafeId(id) ? load(id) : undefined;
    },
    async listEvaluations() {
      return loadMany([...ids]);
    },
    async listEvaluationPage(page) {
      const { ids: pageIds, next } = pageOfIds(ids, page);
      const recs = await loadMany(pageIds);
      return next === undefined ? { evaluations: recs } : { evaluations: recs, next };
    },
    async listBrokenEvaluations() {
      return [...broken].filter(([id]) => ids.has(id)).map(([id, reason]) => ({ id, reason })).sort((a, b) => a.id.localeCompare(b.id));
    },
    async createEvaluation(rec, audit = []) {
      assertWritable();
      assertSafeId(rec.id, 'evaluation id');
      if (ids.has(rec.id)) throw new Error(`evaluation "${rec.id}" already exists`);
      const bound = rec.chatIds.find((c) => ids.has(chatMap.get(c) ?? '\u0000'));
      if (bound !== undefined) throw new Error(`chat "${bound}" already has an evaluation`);
      // Reserve synchronously so concurrent creations see each other.
      ids.add(rec.id);
      for (const c of rec.chatIds) chatMap.set(c, rec.id);
      const release = () => {
        ids.delete(rec.id);
        for (const c of rec.chatIds) if (chatMap.get(c) === rec.id) chatMap.delete(c);
      };
      // The index first: a binding to an evaluation whose file never came (a crash, a failed write)
      // counts as no binding (see evaluationIdForChat), so either order of failure leaves no trace.
      await chatIndex.save(chatIndex.change(), release);
      try {
        await serialise(rec.id, () => writeRecord(rec, audit));
      } catch (err) {
        release();
        await chatIndex.save(chatIndex.change()).catch(() => {});
        throw err;
      }
    },
    updateEvaluation(id, mutate) {
      return serialise(id, async () => {
        assertWritable();
        // A fresh parse: the caller may change it freely, and the cache is untouched if anything fails.
        const draft = isSafeId(id) ? await load(id) : undefined;
        if (!draft) throw new Error(`evaluation "${id}" not found`);
        const revision = draft.revision;
        const audit: AuditEntry[] = [];
        const next = mutate(draft, audit) ?? draft;
        if (next.id !== id) throw new Error(`updateEvaluation may not change the id ("${id}" → "${next.id}")`);
        // The store keeps only the text it wrote, so handing back `next` shares nothing with it.
        return commit(next, revision, audit);
      });
    },
    replaceEvaluation(next, audit = []) {
      return serialise(next.id, async () => {
        assertWritable();
        const revision = cache.get(next.id)?.revision ?? (isSafeId(next.id) ? (await load(next.id))?.revision : undefined);
        if (revision === undefined) throw new Error(`evaluation "${next.id}" not found`);
        return revision === next.revision ? commit(next, revision, audit) : undefined;
      });
    },
    async listAudit(id) {
      const rec = isSafeId(id) ? await load(id) : undefined;
      if (!rec) return [];
      const text = await readFile(auditPath(id), 'utf8').catch(() => '');
      const entries = parseAudit(text);
      // Entries a machine crash kept from the trail are still in the journal (until the next write).
      const last = entries.reduce((m, e) => Math.max(m, e.rev), -1);
      const lost = journalAuditAfter(await readFile(evalPath(id), 'utf8').catch(() => ''), last);
      if (lost) entries.push(...parseAudit(lost));
      return entries.filter((e) => e.rev <= rec.revision).map(({ rev: _rev, ...entry }) => entry);
    },
    async bindChat(chatId, evaluationId) {
      assertWritable();
      if (!isSafeId(evaluationId) || !ids.has(evaluationId)) throw new Error(`evaluation "${evaluationId}" not found`);
      const previous = chatMap.get(chatId);
      if (previous === evaluationId) return;
      const restoreIndex = () => {
        if (chatMap.get(chatId) !== evaluationId) return;
        if (previous === undefined) chatMap.delete(chatId);
        else chatMap.set(chatId, previous);
      };
      chatMap.set(chatId, evaluationId);
      await chatIndex.save(chatIndex.change(), restoreIndex);
      // Three writes: when a later one fails, the earlier ones are taken back (best effort: a second
      // failure leaves the previous evaluation listing the chat one revision later, which nothing reads).
      let removedAt = -1;
      try {
        if (previous !== undefined && ids.has(previous)) {
          await store.updateEvaluation(previous, (r) => {
            removedAt = r.chatIds.indexOf(chatId);
            r.chatIds = r.chatIds.filter((c) => c !== chatId);
          });
        }
        await store.updateEvaluation(evaluationId, (r) => {
          if (!r.chatIds.includes(chatId)) r.chatIds.push(chatId);
        });
      } catch (err) {
        restoreIndex();
        await chatIndex.save(chatIndex.change()).catch(() => {});
        if (removedAt >= 0) {
          await store
            .updateEvaluation(previous!, (r) => {
              if (!r.chatIds.includes(chatId)) r.chatIds.splice(removedAt, 0, chatId);
            })
            .catch(() => {});
        }
        throw err;
      }
    },
    async getChatDraft(chatId, userId) {
      const d = draftMap.get(toDraftKey(chatId, userId));
      return d && copyRecord(d);
    },
    async setChatDraft(draft) {
      assertWritable();
      await changeEntry(draftMap, draftsFile, toDraftKey(draft.chatId, draft.userId), draft.draft === undefined ? undefined : copyRecord(draft as StoredChatDraft));
    },
    async deleteChatDraftsBefore(before) {
      assertWritable();
      const gone = [...draftMap].filter(([, d]) => d.updatedAt < before);
      if (!gone.length) return 0;
      for (const [key] of gone) draftMap.delete(key);
      await draftsFile.save(draftsFile.change(), () => {
        // A failed write puts them back, unless a later call set that entry again.
        for (const [key, d] of gone) if (!draftMap.has(key)) draftMap.set(key, d);
      });
      return gone.length;
    },
    async putFile(file) {
      assertWritable();
      const meta: FileMeta = { id: createFileId(), name: file.name, mime: file.mime, createdAt: now().toISOString() };
      const bytesPath = join(fileDir, meta.id);
      await track(
        (async () => {
          try {
            await replaceFileAsync(ops, bytesPath, file.bytes, { durable: false });
            // The meta file is written last: a file without it does not exist.
            await replaceFileAsync(ops, `${bytesPath}.json`, JSON.stringify(meta), { durable: false });
          } catch (err) {
            removeQuietly(ops, bytesPath);
            throw toStoreWriteError(err, `file ${meta.id}`);
          }
        })(),
      );
      return { ...meta, bytes: new Uint8Array(file.bytes) };
    },
    async getFile(id) {
      if (!isSafeId(id)) return undefined;
      const meta = await new JSONFile<FileMeta>(join(fileDir, `${id}.json`)).read().catch(() => null);
      if (!meta) return undefined;
      const buf = await readFile(join(fileDir, id)).catch(() => undefined);
      if (!buf) return undefined;
      return { ...meta, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) };
    },
    ...messages,
    async getChannelState(key) {
      const v = channelState.get(key);
      return v && copyRecord(v);
    },
    async setChannelState(key, value) {
      assertWritable();
      await changeEntry(channelState, channelsFile, key, value === undefined ? undefined : copyRecord(value));
    },
    async addChannelCall(key, month) {
      assertWritable();
      // Read and set with no await between: counts in this process never lose one another.
      const after = { month, calls: callCountOf(channelState.get(key), month).calls + 1 };
      await changeEntry(channelState, channelsFile, key, after);
      return { ...after };
    },
    // The assistant's monthly use lives in channels.json beside the channels' state (one small entry a month).
    async getAssistantUsage(month) {
      return usageOf(channelState.get(assistantUsageKey(month)));
    },
    async addAssistantUsage(month, tokens) {
      assertWritable();
      const before = usageOf(channelState.get(assistantUsageKey(month)));
      const after = { tokens: before.tokens + Math.round(tokens), calls: before.calls + 1 };
      // Read and set with no await between: increments in this process never lose one another.
      await changeEntry(channelState, channelsFile, assistantUsageKey(month), after);
      return { ...after };
    },
    async putFramework(rec) {
      assertWritable();
      assertFrameworkId(rec.id);
      const text = JSON.stringify(rec);
      await serialise(frameworkKey(rec.id), () => writeFramework(rec.id, text, rec));
    },
    updateFramework(id, mutate) {
      return serialise(frameworkKey(id), async () => {
        assertWritable();
        const draft = await readFramework(id);
        if (!draft) throw new Error(`framework "${id}" not found`);
        const next = mutate(draft) ?? draft;
        if (next.id !== id) throw new Error(`updateFramework may not change the id ("${id}" → "${next.id}")`);
        next.updatedAt = now().toISOString();
        await writeFramework(id, JSON.stringify(next), next);
        return next;
      });
    },
    async getFramework(id) {
      return readFramework(id);
    },
    async listFrameworks() {
      const names = await readdir(frameworkDir).catch(() => [] as string[]);
      const recs: FrameworkRecord[] = [];
      for (const n of names) {
        if (!n.endsWith('.json') || n.startsWith('.')) continue;
        const rec = await readFramework(n.slice(0, -'.json'.length));
        if (rec) recs.push(rec);
      }
      return recs.sort(compareByCreation);
    },
    async listFrameworkHeads() {
      while (!frameworkHeads) {
        const writes = frameworkWrites;
        const heads = new Map((await store.listFrameworks()).map((rec) => [rec.id, frameworkHeadOf(rec)] as const));
        // A write that finished while the files were read may be missing from them: read again.
        if (writes === frameworkWrites) frameworkHeads ??= heads;
      }
      return [...frameworkHeads.values()].map((h) => ({ ...h })).sort(compareByCreation);
    },
    async getOverviewBinding(chatId) {
      const b = overviewMap.get(chatId);
      return b && copyRecord(b);
    },
    async setOverviewBinding(binding) {
      assertWritable();
      await changeEntry(overviewMap, overviewsFile, binding.chatId, binding.units.length ? copyRecord(binding) : undefined);
    },
    async listOverviewBindings() {
      return [...overviewMap.values()].map(copyRecord).sort((a, b) => a.chatId.localeCompare(b.chatId));
    },
    async close() {
      if (closed) return;
      closed = true;
      while (inFlight.size) await Promise.allSettled([...inFlight]);
      await messages.close();
      const pending = [...flushing.values()];
      for (const path of [...descriptors.keys()]) forget(path);
      await Promise.allSettled(pending);
      if (!readOnly) releaseDataDir(dataDir);
    },
  };
  return store;
}

/** The default logger: one JSON line on stderr, like the app's. */
const defaultLogger: StoreLogger = {
  error: (message, fields) => console.error(JSON.stringify({ time: new Date().toISOString(), level: 'error', message, ...fields })),
};

/** Freezes an object and everything in it (a carried framework shared by many records must not change). */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** The last complete record in an evaluation file (one record per line; a torn last line is skipped). */
export function lastRecordLine(file: string): string | undefined {
  let end = file.length;
  while (end > 0) {
    const start = file.lastIndexOf('\n', end - 1) + 1;
    const line = file.slice(start, end).trim();
    if (line) {
      try {
        JSON.parse(line);
        return line;
      } catch {
        // a line cut short by a crash: the one before it is the record
      }
    }
    end = start - 1;
  }
  return undefined;
}

/** The key under which a journal line carries its write's audit entries. */
const JOURNAL_AUDIT = '_audit';

/** Trail lines for the audit entries journal lines carry, of revisions after `after` (empty when none). */
function journalAuditAfter(journal: string, after: number): string {
  let out = '';
  for (const line of journal.split('\n')) {
    if (!line.includes(`"${JOURNAL_AUDIT}":`)) continue;
    try {
      const rec = JSON.parse(line) as { revision?: unknown; [JOURNAL_AUDIT]?: unknown };
      if (typeof rec.revision === 'number' && rec.revision > after && Array.isArray(rec[JOURNAL_AUDIT])) out += formatAudit(rec[JOURNAL_AUDIT] as AuditEntry[], rec.revision);
    } catch {
      // a line torn by a crash: that write was never acknowledged
    }
  }
  return out;
}

/** Audit entries as trail lines, each with the revision it belongs to. */
function formatAudit(audit: AuditEntry[], revision: number): string {
  return audit.map((e) => `${JSON.stringify({ rev: revision, ...e })}\n`).join('');
}

/** The entries of a trail file; a line torn by a crash is skipped. */
function parseAudit(text: string): Array<AuditEntry & { rev: number }> {
  const out: Array<AuditEntry & { rev: number }> = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const e = JSON.parse(line) as AuditEntry & { rev: number };
      if (typeof e.rev === 'number') out.push(e);
    } catch {
      // torn last line
    }
  }
  return out;
}

/**
 * Cuts from a trail the entries of `revision` or later, left by a write that crashed before its record,
 * and a line torn by a crash; returns the revision of the last entry kept (-1 for none). Entries are
 * appended in revision order, so these can only be at the end: the file is read back to the first
 * older entry and truncated there, not parsed or rewritten whole.
 */
function dropOrphanAudit(ops: FileOps, path: string, revision: number): number {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return -1;
  }
  const NL = 0x0a;
  // The start of the line that ends just before `end` (which is after a newline, or the file's end).
  const lineStart = (end: number) => (end < 2 ? 0 : buf.lastIndexOf(NL, end - 2) + 1);
  let keep = buf.length;
  if (keep > 0 && buf[keep - 1] !== NL) keep = keep < 2 ? 0 : buf.lastIndexOf(NL, keep - 2) + 1;
  while (keep > 0) {
    const start = lineStart(keep);
    let rev: unknown;
    try {
      rev = (JSON.parse(buf.toString('utf8', start, keep - 1)) as { rev?: unknown }).rev;
    } catch {
      rev = undefined;
    }
    if (typeof rev === 'number' && rev < revision) {
      if (keep < buf.length) ops.truncateSync(path, keep);
      return rev;
    }
    keep = start;
  }
  if (keep < buf.length) ops.truncateSync(path, keep);
  return -1;
}

/** The channels.json key of the assistant's use in a month. */
function assistantUsageKey(month: string): string {
  return `assistant-usage:${month}`;
}

/** A stored month's use, zero when none (or not readable). */
function usageOf(v: Record<string, unknown> | undefined): { tokens: number; calls: number } {
  const n = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
  return { tokens: n(v?.tokens), calls: n(v?.calls) };
}
