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
 * - `store.lock`: the id of the process that has the directory open (one writer at a time).
 *
 * Evaluation files are journals of compact JSON: one whole record per line, the last whole line being
 * the record (see `writeRecord`); `tail -n 1 file | jq` shows it. A write appends a line, and the file is
 * rewritten with its last record alone (temp file, then rename) every few writes, so a crash leaves the
 * old record or the new one, never half of one. A write's audit entries are appended to the trail
 * just before its record; entries of a revision the record never reached (a crash in between) are
 * ignored when reading and dropped on the next write. An evaluation's writes resolve once its files
 * are flushed to the device (fdatasync), so an acknowledged answer survives a power cut too. The chat
 * index and the message log are flushed the same way; drafts and channel state go through lowdb's steno
 * (temp file, then rename) unflushed, so a crash of the machine may lose their last change. Writes to one evaluation
 * are serialised; different evaluations write concurrently. Recently used evaluations are kept in a
 * small in-memory cache (as the JSON text written) that is only updated after the file is written.
 *
 * @example const store = await openLowdbStore('./data')
 */
import { mkdir, open, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { closeSync, existsSync, fdatasync, fsyncSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { JSONFile, TextFile } from 'lowdb/node';
import type { StoreOptions } from './memory';
import { openMessageLog } from './lowdb-messages';
import { isImportedFrameworkId } from '../core/framework-record';
import type { FrameworkInput } from '../core/framework/schema';
import type { AuditEntry, EvaluationRecord, FrameworkRecord, OverviewBinding, Store, StoredChatDraft, StoredFile } from './port';
import { assertFrameworkId, assertSafeId, compareByCreation, copyRecord, createFileId, createKeyedQueue, frameworkKey, toDraftKey, isSafeId } from './shared';

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
/** How many evaluation files listEvaluations reads at once. */
const LIST_BATCH = 32;

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

/**
 * Takes `DATA_DIR/store.lock` for this process: refuses when another live process holds it, takes it
 * over from a process that is gone (e.g. killed). The same process may open the directory again.
 */
async function lockDataDir(dataDir: string): Promise<void> {
  const path = join(dataDir, 'store.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (holder === process.pid) return;
    if (Number.isInteger(holder) && holder > 0 && isProcessAlive(holder)) throw new DataDirLockedError(dataDir, holder);
    await unlink(path).catch(() => {});
  }
  throw new Error(`could not lock ${dataDir}`);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Opens (creating when needed) the store under `dataDir`; throws DataDirLockedError if another process has it. */
export async function openLowdbStore(dataDir: string, options: LowdbStoreOptions = {}): Promise<Store> {
  const now = options.now ?? (() => new Date());
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
    await lockDataDir(dataDir);
  }
  const assertWritable = () => {
    if (readOnly) throw new Error(`the store on ${dataDir} was opened read-only`);
  };

  const syncFile = options.syncFile ?? ((fd: number) => new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve()))));
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
  const chatsFile = new JSONFile<Record<string, string>>(join(dataDir, 'chats.json'));
  const draftsFile = new JSONFile<Record<string, StoredChatDraft>>(join(dataDir, 'drafts.json'));
  const serialise = createKeyedQueue();

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
    const file = await new TextFile(evalPath(id)).read();
    const text = file === null ? undefined : lastRecordLine(file);
    if (text === undefined) return undefined;
    const revision = (JSON.parse(text) as EvaluationRecord).revision;
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
    if (!existsSync(carriedPath(hash))) replaceFileDurably(carriedPath(hash), text);
    return hash;
  };
  const load = async (id: string): Promise<EvaluationRecord | undefined> => {
    const text = await loadText(id);
    if (text === undefined) return undefined;
    const rec = JSON.parse(text) as EvaluationRecord & { frameworkRef?: string; [JOURNAL_AUDIT]?: unknown };
    // A journal line carries its write's audit entries too (see `writeRecord`); they are not the record.
    if (rec[JOURNAL_AUDIT] !== undefined) delete rec[JOURNAL_AUDIT];
    if (rec.frameworkRef !== undefined) {
      rec.framework = await readCarried(rec.frameworkRef, id);
      delete rec.frameworkRef;
    }
    return rec;
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
  /** Appends to a file through its kept-open descriptor; returns the bytes written and the descriptor. */
  const appendTo = (path: string, text: string) => {
    let fd = descriptors.get(path);
    if (fd === undefined) {
      fd = openSync(path, 'a');
      descriptors.set(path, fd);
      if (descriptors.size > 2 * OPEN_FILES) forget(descriptors.keys().next().value as string);
    } else {
      descriptors.delete(path);
      descriptors.set(path, fd);
    }
    const bytes = Buffer.from(text, 'utf8');
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    return { bytes: bytes.length, fd };
  };
  const forget = (path: string) => {
    const fd = descriptors.get(path);
    if (fd === undefined) return;
    descriptors.delete(path);
    const pending = flushing.get(fd);
    if (pending) void pending.catch(() => {}).then(() => closeSync(fd));
    else closeSync(fd);
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
   * The writes themselves are synchronous on purpose: under 50 people answering at once, async writes
   * waited in libuv's four-thread pool (server-side p99 132 ms against 6 ms), and rename on every write
   * took a third of the server's time; an append of a few kilobytes is cheap.
   */
  const writeRecord = async (rec: EvaluationRecord, audit: AuditEntry[]) => {
    // Records written before the trail had its own file carried it inline: move it out.
    const legacy = (rec as { audit?: AuditEntry[] }).audit;
    if (legacy) {
      delete (rec as { audit?: AuditEntry[] }).audit;
      if (rec.revision > 0 && !existsSync(auditPath(rec.id))) replaceFileDurably(auditPath(rec.id), formatAudit(legacy, 0));
    }
    // A carried framework goes to its own file (once per content); the record names it.
    const text = rec.framework ? JSON.stringify({ ...rec, framework: undefined, frameworkRef: storeCarried(rec.framework) }) : JSON.stringify(rec);
    const path = evalPath(rec.id);
    const done = appended.get(rec.id);
    const trail = auditPath(rec.id);
    // The journal line: the record, plus this write's audit entries (so one flush makes both durable).
    const line = audit.length && rec.revision > 0 ? `${text.slice(0, -1)},${JSON.stringify(JOURNAL_AUDIT)}:${JSON.stringify(audit)}}\n` : `${text}\n`;
    if (rec.revision === 0) {
      forget(trail);
      replaceFileDurably(trail, formatAudit(audit, 0));
    } else {
      // First write since opening: drop entries a crash left behind, of this revision or later, and
      // restore from the journal those a machine crash kept from reaching the trail.
      if (done === undefined) {
        const kept = dropOrphanAudit(trail, rec.revision);
        const lost = journalAuditAfter(existsSync(path) ? readFileSync(path, 'utf8') : '', kept);
        if (lost) appendTo(trail, lost);
      }
      if (audit.length) appendTo(trail, formatAudit(audit, rec.revision));
    }
    if (done === undefined || done.count >= COMPACT_AFTER || done.bytes >= COMPACT_BYTES) {
      // The journal's older lines (and their audit entries) go: the trail must be on the device first.
      if (rec.revision > 0) {
        const trailFd = descriptors.get(trail);
        await (trailFd !== undefined ? flush(trailFd) : flushPath(trail));
      }
      forget(path);
      await replaceFileDurablyAsync(path, line);
      appended.set(rec.id, { count: 0, bytes: 0 });
    } else {
      const { bytes, fd } = appendTo(path, line);
      appended.set(rec.id, { count: done.count + 1, bytes: done.bytes + bytes });
      await flush(fd);
    }
    remember(rec.id, { text, revision: rec.revision });
  };

  /** Writes the record that follows `revision` (bumping it and `updatedAt`) with its audit entries. */
  const commit = async (next: EvaluationRecord, revision: number, audit: AuditEntry[]) => {
    next.revision = revision + 1;
    next.updatedAt = now().toISOString();
    await writeRecord(next, audit);
    return next;
  };

  // Chat bindings; rebuilt from the evaluation files when the index is missing.
  let chats = await chatsFile.read();
  if (!chats) {
    chats = {};
    for (const id of ids) {
      const rec = await load(id);
      for (const c of rec?.chatIds ?? []) chats[c] = id;
    }
  }
  const chatMap = new Map(Object.entries(chats));
  // Flushed like evaluation files: a binding lost in a machine crash would make the chat look new.
  const saveChats = () => serialise(CHATS_KEY, async () => replaceFileDurably(join(dataDir, 'chats.json'), JSON.stringify(Object.fromEntries(chatMap), null, 2)));

  const draftMap = new Map(Object.entries((await draftsFile.read()) ?? {}));
  const saveDrafts = () => serialise(DRAFTS_KEY, () => draftsFile.write(Object.fromEntries(draftMap)));

  const messages = openMessageLog(dataDir, { now, syncFile, replaceFile: replaceFileDurably, replaceFileAsync: replaceFileDurablyAsync, readOnly, assertWritable });
  const channelStateFile = new JSONFile<Record<string, Record<string, unknown>>>(join(dataDir, 'channels.json'));
  const channelState = new Map(Object.entries((await channelStateFile.read()) ?? {}));
  const saveChannelState = () => serialise(CHANNELS_KEY, () => channelStateFile.write(Object.fromEntries(channelState)));
  // Overview bindings grant a chat read access to units' figures: flushed like the chat index.
  const overviewMap = new Map(Object.entries((await new JSONFile<Record<string, OverviewBinding>>(join(dataDir, 'overviews.json')).read()) ?? {}));
  const saveOverviews = () =>
    serialise(OVERVIEWS_KEY, () => replaceFileDurablyAsync(join(dataDir, 'overviews.json'), JSON.stringify(Object.fromEntries(overviewMap), null, 2)));

  const store: Store = {
    async evaluationIdForChat(chatId) {
      // A binding to an evaluation whose file is gone (deleted by hand) counts as no binding.
      const id = chatMap.get(chatId);
      return id !== undefined && ids.has(id) ? id : undefined;
    },
    async getEvaluation(id) {
      return isSafeId(id) ? load(id) : undefined;
    },
    async listEvaluations() {
      // A few files at a time, so thousands of evaluations do not exhaust file descriptors.
      const all = [...ids];
      const recs: EvaluationRecord[] = [];
      for (let i = 0; i < all.length; i += LIST_BATCH) {
        const batch = await Promise.all(all.slice(i, i + LIST_BATCH).map((id) => load(id)));
        for (const r of batch) if (r) recs.push(r);
      }
      return recs;
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
      try {
        await serialise(rec.id, () => writeRecord(rec, audit));
      } catch (err) {
        ids.delete(rec.id);
        for (const c of rec.chatIds) chatMap.delete(c);
        throw err;
      }
      await saveChats();
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
      chatMap.set(chatId, evaluationId);
      await saveChats();
      if (previous !== undefined && ids.has(previous)) {
        await store.updateEvaluation(previous, (r) => {
          r.chatIds = r.chatIds.filter((c) => c !== chatId);
        });
      }
      await store.updateEvaluation(evaluationId, (r) => {
        if (!r.chatIds.includes(chatId)) r.chatIds.push(chatId);
      });
    },
    async getChatDraft(chatId, userId) {
      const d = draftMap.get(toDraftKey(chatId, userId));
      return d && copyRecord(d);
    },
    async setChatDraft(draft) {
      assertWritable();
      const key = toDraftKey(draft.chatId, draft.userId);
      if (draft.draft === undefined) {
        if (!draftMap.delete(key)) return;
      } else draftMap.set(key, copyRecord(draft as StoredChatDraft));
      await saveDrafts();
    },
    async putFile(file) {
      assertWritable();
      const meta: FileMeta = { id: createFileId(), name: file.name, mime: file.mime, createdAt: now().toISOString() };
      const bytesPath = join(fileDir, meta.id);
      await writeFile(`${bytesPath}.tmp`, file.bytes);
      await rename(`${bytesPath}.tmp`, bytesPath);
      // The meta file is written last: a file without it does not exist.
      await new JSONFile<FileMeta>(`${bytesPath}.json`).write(meta);
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
      if (value === undefined) {
        if (!channelState.delete(key)) return;
      } else channelState.set(key, copyRecord(value));
      await saveChannelState();
    },
    async putFramework(rec) {
      assertWritable();
      assertFrameworkId(rec.id);
      const text = JSON.stringify(rec);
      await serialise(frameworkKey(rec.id), () => new TextFile(frameworkPath(rec.id)).write(text));
    },
    updateFramework(id, mutate) {
      return serialise(frameworkKey(id), async () => {
        assertWritable();
        const draft = await readFramework(id);
        if (!draft) throw new Error(`framework "${id}" not found`);
        const next = mutate(draft) ?? draft;
        if (next.id !== id) throw new Error(`updateFramework may not change the id ("${id}" → "${next.id}")`);
        next.updatedAt = now().toISOString();
        await new TextFile(frameworkPath(id)).write(JSON.stringify(next));
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
    async getOverviewBinding(chatId) {
      const b = overviewMap.get(chatId);
      return b && copyRecord(b);
    },
    async setOverviewBinding(binding) {
      assertWritable();
      if (binding.units.length) overviewMap.set(binding.chatId, copyRecord(binding));
      else if (!overviewMap.delete(binding.chatId)) return;
      await saveOverviews();
    },
    async listOverviewBindings() {
      return [...overviewMap.values()].map(copyRecord).sort((a, b) => a.chatId.localeCompare(b.chatId));
    },
  };
  return store;
}

/**
 * Replaces a file so that a crash or a power cut leaves the old content or the new, never a mix, and
 * the new one is on the device when this returns: temp file flushed, renamed, directory flushed.
 * Synchronous (only for new files and the occasional rewrite; appends are flushed asynchronously).
 */
function replaceFileDurably(path: string, text: string): void {
  const tmp = join(dirname(path), `.${path.slice(dirname(path).length + 1)}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    const bytes = Buffer.from(text, 'utf8');
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  flushFileSync(dirname(path), undefined);
}

/**
 * The same as `replaceFileDurably`, without holding the event loop while the device flushes: for the
 * rewrites that happen while the server answers (an evaluation's journal every few dozen answers, the
 * message log), where a synchronous flush stalled every request in flight (tens of milliseconds at
 * the disk's p99).
 */
async function replaceFileDurablyAsync(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${path.slice(dirname(path).length + 1)}.tmp`);
  const file = await open(tmp, 'w');
  try {
    await file.writeFile(text, 'utf8');
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(tmp, path);
  await flushPath(dirname(path));
}

/** Flushes a file or directory to the device by opening it, off the event loop; nothing to do when it is gone. */
async function flushPath(path: string): Promise<void> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

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

/** Flushes a file to the device now, through its open descriptor or by opening it. */
function flushFileSync(path: string, fd: number | undefined): void {
  if (fd !== undefined) return fsyncSync(fd);
  let own: number;
  try {
    own = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(own);
  } finally {
    closeSync(own);
  }
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
function dropOrphanAudit(path: string, revision: number): number {
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
      if (keep < buf.length) truncateSync(path, keep);
      return rev;
    }
    keep = start;
  }
  if (keep < buf.length) truncateSync(path, keep);
  return -1;
}
