/**
 * The SQL store: the port over a `SqlExecutor` (Cloudflare D1 on Workers; PostgreSQL through a shim
 * later). Several instances (Workers isolates) may share one database, so every check that guards a
 * write is made by the database inside the write's own batch (one transaction), never by a read
 * before it:
 *
 * - an evaluation write is `UPDATE … WHERE id = ? AND revision = ?` (compare-and-swap), tagged with a
 *   random write id; its audit entries, in the same batch, are inserted only where the evaluation row
 *   carries that write id, i.e. only when the update happened;
 * - a dedupe claim is an upsert that takes the key only when it is free or expired (`ON CONFLICT DO
 *   UPDATE … WHERE until <= now`); see `recordInbound` for several keys at once;
 * - a reminder slot and a chat lease are claimed the same way.
 *
 * Within one instance, writes to one evaluation (and one framework) are also queued, so they do not
 * conflict needlessly. The framework an evaluation carries (fixed at creation, tens of kilobytes) has
 * its own table, written once: an answer rewrites only the rest of the record (D1 rows are at most
 * 2 MB), and reads share one frozen parsed copy per evaluation.
 *
 * A write the database refuses or cannot make rejects with StoreWriteError (HTTP answers 507), and —
 * the batch being one transaction — leaves nothing of itself behind.
 *
 * @example const store = createSqlStore(createD1Executor(env.DB))
 */
import type { FrameworkInput } from '../../core/framework/schema';
import type { ChannelId, Delivery, InboxEntry } from '../../core/messages';
import type { StoreOptions } from '../memory';
import {
  BrokenEvaluationError,
  callCountOf,
  StoreWriteError,
  type AuditEntry,
  type EvaluationRecord,
  type FrameworkHead,
  type FrameworkRecord,
  type InboxOrder,
  type OverviewBinding,
  type Store,
  type StoredChatDraft,
  type StoredFile,
} from '../port';
import { assertFrameworkId, assertPageLimit, assertSafeId, compareByCreation, createFileId, createKeyedQueue, deepFreeze, frameworkKey, isSafeId } from '../shared';
import type { SqlExecutor, SqlStatement } from './executor';

/** Options of the SQL store. */
export type SqlStoreOptions = StoreOptions;

/** The largest stored file: a D1 row holds at most 2,000,000 bytes, and the name and type share it. */
export const MAX_FILE_BYTES = 1_900_000;
/** Carried frameworks kept parsed, least recently used dropped first. */
const CARRIED_CACHE = 64;
/** Expired claims, slots and leases are deleted with the first claim of an instance and every this many after. */
const CLEAN_EVERY = 64;
/** How often an update is tried again when another instance wrote in between. */
const MAX_ATTEMPTS = 20;
/** Values per `IN (…)` list (D1 binds at most 100 parameters per statement). */
const IN_CHUNK = 90;

const placeholders = (n: number) => Array.from({ length: n }, () => '?').join(', ');
const token = () => globalThis.crypto.randomUUID();

/** An evaluation as JSON without the framework it carries (that one has its own table). */
function bodyOf(rec: EvaluationRecord): string {
  const { framework: _carried, ...rest } = rec;
  return JSON.stringify(rest);
}

/** Wraps a failed write as a StoreWriteError naming what could not be written. */
function toStoreWriteError(err: unknown, what: string): StoreWriteError {
  if (err instanceof StoreWriteError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new StoreWriteError(`could not write ${what}: ${detail}`, { cause: err });
}

type EvaluationRow = { id: string; body: string; revision: number; carried: number };

/** Claims `key` until `until` for `owner` when it is free or expired at `now` (changes 1), else nothing (changes 0). */
const CLAIM_SQL =
  'INSERT INTO claims (key, until, owner) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET until = excluded.until, owner = excluded.owner WHERE claims.until <= ?';
const OUTBOX_SQL = 'INSERT INTO outbox (id, delivery) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET delivery = excluded.delivery';

/** Creates the store over `exec`, whose database has the migrations applied (see `migrations.ts`). */
export function createSqlStore(exec: SqlExecutor, options: SqlStoreOptions = {}): Store & InboxOrder {
  const now = options.now ?? (() => new Date());
  const serialise = createKeyedQueue();

  const write = async (what: string, stmts: SqlStatement[]) => {
    try {
      return await exec.batch(stmts);
    } catch (err) {
      throw toStoreWriteError(err, what);
    }
  };
  const writeOne = async (what: string, sql: string, params: unknown[]) => {
    try {
      return (await exec.run(sql, params)).changes;
    } catch (err) {
      throw toStoreWriteError(err, what);
    }
  };

  let claimWrites = 0;
  /** Statements deleting what has expired, added to a claim's batch now and then. */
  const cleanup = (t: number): SqlStatement[] =>
    claimWrites++ % CLEAN_EVERY === 0
      ? [
          { sql: 'DELETE FROM claims WHERE until <= ?', params: [t] },
          { sql: 'DELETE FROM reminder_slots WHERE until <= ?', params: [t] },
          { sql: 'DELETE FROM chat_leases WHERE until <= ?', params: [t] },
        ]
      : [];

  // Carried frameworks, parsed and frozen, by evaluation id (they never change once written).
  const carried = new Map<string, FrameworkInput>();
  const rememberCarried = (id: string, fw: FrameworkInput) => {
    carried.delete(id);
    carried.set(id, fw);
    if (carried.size > CARRIED_CACHE) carried.delete(carried.keys().next().value as string);
    return fw;
  };
  /** The carried frameworks of `ids`, from memory or the database (one query per chunk of misses). */
  const carriedOf = async (ids: string[]): Promise<Map<string, FrameworkInput>> => {
    const found = new Map<string, FrameworkInput>();
    const missing: string[] = [];
    for (const id of ids) {
      const hit = carried.get(id);
      if (hit) found.set(id, rememberCarried(id, hit));
      else missing.push(id);
    }
    for (let i = 0; i < missing.length; i += IN_CHUNK) {
      const chunk = missing.slice(i, i + IN_CHUNK);
      const rows = await exec.all<{ evaluation_id: string; body: string }>(
        `SELECT evaluation_id, body FROM carried_frameworks WHERE evaluation_id IN (${placeholders(chunk.length)})`,
        chunk,
      );
      for (const r of rows) found.set(r.evaluation_id, rememberCarried(r.evaluation_id, deepFreeze(JSON.parse(r.body) as FrameworkInput)));
    }
    return found;
  };
  const toRecords = async (rows: EvaluationRow[]): Promise<EvaluationRecord[]> => {
    const frameworks = await carriedOf(rows.filter((r) => r.carried).map((r) => r.id));
    return rows.map((row) => {
      const rec = JSON.parse(row.body) as EvaluationRecord;
      rec.revision = row.revision;
      if (row.carried) {
        const fw = frameworks.get(row.id);
        if (!fw) throw new BrokenEvaluationError(row.id, 'the framework it carries is missing from carried_frameworks');
        rec.framework = fw;
      }
      return rec;
    });
  };
  const readRow = async (id: string) =>
    (await exec.all<EvaluationRow>('SELECT id, body, revision, carried FROM evaluations WHERE id = ?', [id]))[0];
  const exists = async (id: string) => (await exec.all('SELECT 1 AS x FROM evaluations WHERE id = ?', [id])).length > 0;

  /** Audit rows inserted only when the evaluation row carries `writeId` (the write they belong to happened). */
  const auditInserts = (id: string, writeId: string, audit: AuditEntry[]): SqlStatement[] =>
    audit.map((e) => ({
      sql: 'INSERT INTO audit (evaluation_id, entry) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM evaluations WHERE id = ? AND write_id = ?)',
      params: [id, JSON.stringify(e), id, writeId],
    }));

  /**
   * Writes `next` if the stored revision is still `revision`, with its audit entries, in one batch;
   * false (and `next` untouched) when another write came first. The carried framework is not written.
   */
  const compareAndSwap = async (next: EvaluationRecord, revision: number, audit: AuditEntry[]): Promise<boolean> => {
    const writeId = token();
    const written = { ...next, revision: revision + 1, updatedAt: now().toISOString() };
    const [update] = await write(`evaluation "${next.id}"`, [
      {
        sql: 'UPDATE evaluations SET body = ?, revision = ?, write_id = ?, updated_at = ? WHERE id = ? AND revision = ?',
        params: [bodyOf(written), written.revision, writeId, written.updatedAt, next.id, revision],
      },
      ...auditInserts(next.id, writeId, audit),
    ]);
    if (update!.changes !== 1) return false;
    next.revision = written.revision;
    next.updatedAt = written.updatedAt;
    return true;
  };

  const store: Store & InboxOrder = {
    async evaluationIdForChat(chatId) {
      return (await exec.all<{ evaluation_id: string }>('SELECT evaluation_id FROM chats WHERE chat_id = ?', [chatId]))[0]?.evaluation_id;
    },
    async getEvaluation(id) {
      const row = await readRow(id);
      return row && (await toRecords([row]))[0];
    },
    async listEvaluations() {
      return toRecords(await exec.all<EvaluationRow>('SELECT id, body, revision, carried FROM evaluations ORDER BY created_at, id'));
    },
    async listEvaluationPage(page) {
      assertPageLimit(page.limit);
      // One row more than the page tells whether another page follows. Ids are ASCII (safe ids), so
      // SQLite's BINARY order is the ports' code-unit order, and '' comes before every id.
      const rows = await exec.all<EvaluationRow>('SELECT id, body, revision, carried FROM evaluations WHERE id > ? ORDER BY id LIMIT ?', [page.after ?? '', page.limit + 1]);
      const recs = await toRecords(rows.slice(0, page.limit));
      return rows.length > page.limit ? { evaluations: recs, next: rows[page.limit - 1]!.id } : { evaluations: recs };
    },
    async createEvaluation(rec, audit = []) {
      assertSafeId(rec.id, 'evaluation id');
      const writeId = token();
      const chats = [...new Set(rec.chatIds)];
      const mine = 'EXISTS (SELECT 1 FROM evaluations WHERE id = ? AND write_id = ?)';
      const t = now().toISOString();
      const fw = rec.framework;
      // The row goes in only when no chat is bound yet and the id is new; everything else of the
      // batch only when the row went in (it carries this write's id).
      const stmts: SqlStatement[] = [
        {
          sql:
            'INSERT INTO evaluations (id, revision, body, carried, write_id, created_at, updated_at) SELECT ?, ?, ?, ?, ?, ?, ? ' +
            (chats.length ? `WHERE NOT EXISTS (SELECT 1 FROM chats WHERE chat_id IN (${placeholders(chats.length)})) ` : 'WHERE 1 = 1 ') +
            'ON CONFLICT (id) DO NOTHING',
          params: [rec.id, rec.revision, bodyOf(rec), fw ? 1 : 0, writeId, t, t, ...chats],
        },
        ...chats.map((c) => ({
          sql: `INSERT INTO chats (chat_id, evaluation_id) SELECT ?, ? WHERE ${mine} ON CONFLICT (chat_id) DO NOTHING`,
          params: [c, rec.id, rec.id, writeId],
        })),
        ...auditInserts(rec.id, writeId, audit),
      ];
      const fwText = fw && JSON.stringify(fw);
      if (fwText) {
        stmts.push({
          sql: `INSERT INTO carried_frameworks (evaluation_id, body) SELECT ?, ? WHERE ${mine} ON CONFLICT (evaluation_id) DO UPDATE SET body = excluded.body`,
          params: [rec.id, fwText, rec.id, writeId],
        });
      }
      const [inserted] = await write(`evaluation "${rec.id}"`, stmts);
      if (inserted!.changes === 1) {
        if (fwText) rememberCarried(rec.id, deepFreeze(JSON.parse(fwText) as FrameworkInput));
        return;
      }
      if (await exists(rec.id)) throw new Error(`evaluation "${rec.id}" already exists`);
      const bound = new Set<string>();
      for (let i = 0; i < chats.length; i += IN_CHUNK) {
        const chunk = chats.slice(i, i + IN_CHUNK);
        for (const r of await exec.all<{ chat_id: string }>(`SELECT chat_id FROM chats WHERE chat_id IN (${placeholders(chunk.length)})`, chunk)) bound.add(r.chat_id);
      }
      const first = rec.chatIds.find((c) => bound.has(c));
      throw new Error(first === undefined ? `evaluation "${rec.id}" was not created: try again` : `chat "${first}" already has an evaluation`);
    },
    updateEvaluation(id, mutate) {
      return serialise(id, async () => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const row = await readRow(id);
          if (!row) throw new Error(`evaluation "${id}" not found`);
          const current = (await toRecords([row]))[0]!;
          const audit: AuditEntry[] = [];
          const next = mutate(current, audit) ?? current;
          if (next.id !== id) throw new Error(`updateEvaluation may not change the id ("${id}" → "${next.id}")`);
          if (await compareAndSwap(next, row.revision, audit)) return next;
          // Another instance wrote in between: read again and redo the change on its record.
        }
        throw new StoreWriteError(`could not write evaluation "${id}": it changed under every one of ${MAX_ATTEMPTS} attempts`);
      });
    },
    replaceEvaluation(next, audit = []) {
      return serialise(next.id, async () => {
        if (await compareAndSwap(next, next.revision, audit)) return next;
        if (!(await exists(next.id))) throw new Error(`evaluation "${next.id}" not found`);
        return undefined;
      });
    },
    async listAudit(id) {
      const rows = await exec.all<{ entry: string }>('SELECT entry FROM audit WHERE evaluation_id = ? ORDER BY seq', [id]);
      return rows.map((r) => JSON.parse(r.entry) as AuditEntry);
    },
    async bindChat(chatId, evaluationId) {
      if (!(await exists(evaluationId))) throw new Error(`evaluation "${evaluationId}" not found`);
      const previous = await store.evaluationIdForChat(chatId);
      if (previous === evaluationId) return;
      if (previous !== undefined) {
        await store.updateEvaluation(previous, (r) => {
          r.chatIds = r.chatIds.filter((c) => c !== chatId);
        });
      }
      await writeOne(
        `the binding of chat "${chatId}"`,
        'INSERT INTO chats (chat_id, evaluation_id) VALUES (?, ?) ON CONFLICT (chat_id) DO UPDATE SET evaluation_id = excluded.evaluation_id',
        [chatId, evaluationId],
      );
      await store.updateEvaluation(evaluationId, (r) => {
        if (!r.chatIds.includes(chatId)) r.chatIds.push(chatId);
      });
    },
    async getChatDraft(chatId, userId) {
      const row = (await exec.all<{ body: string }>('SELECT body FROM chat_drafts WHERE chat_id = ? AND user_id = ?', [chatId, userId]))[0];
      return row && (JSON.parse(row.body) as StoredChatDraft);
    },
    async setChatDraft(draft) {
      if (draft.draft === undefined) {
        await writeOne('a chat draft', 'DELETE FROM chat_drafts WHERE chat_id = ? AND user_id = ?', [draft.chatId, draft.userId]);
        return;
      }
      const d = draft as StoredChatDraft;
      await writeOne(
        'a chat draft',
        'INSERT INTO chat_drafts (chat_id, user_id, updated_at, body) VALUES (?, ?, ?, ?) ON CONFLICT (chat_id, user_id) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body',
        [d.chatId, d.userId, d.updatedAt, JSON.stringify(d)],
      );
    },
    async deleteChatDraftsBefore(before) {
      return writeOne('chat drafts', 'DELETE FROM chat_drafts WHERE updated_at < ?', [before]);
    },
    async putFile(file) {
      if (file.bytes.byteLength > MAX_FILE_BYTES) {
        throw new StoreWriteError(
          `could not write file "${file.name}": it is ${file.bytes.byteLength} bytes, and a stored file may be at most ${MAX_FILE_BYTES} (a D1 row holds at most 2,000,000 bytes)`,
          { code: 'EFBIG' },
        );
      }
      const stored: StoredFile = { id: createFileId(), name: file.name, mime: file.mime, bytes: new Uint8Array(file.bytes), createdAt: now().toISOString() };
      await writeOne(`file "${file.name}"`, 'INSERT INTO files (id, name, mime, bytes, created_at) VALUES (?, ?, ?, ?, ?)', [
        stored.id,
        stored.name,
        stored.mime,
        stored.bytes,
        stored.createdAt,
      ]);
      return { ...stored, bytes: new Uint8Array(stored.bytes) };
    },
    async getFile(id) {
      if (!isSafeId(id)) return undefined;
      const row = (await exec.all<{ id: string; name: string; mime: string; bytes: Uint8Array; created_at: string }>('SELECT id, name, mime, bytes, created_at FROM files WHERE id = ?', [id]))[0];
      return row && { id: row.id, name: row.name, mime: row.mime, bytes: new Uint8Array(row.bytes), createdAt: row.created_at };
    },
    async claimEvent(key, ttlMs) {
      const t = now().getTime();
      const [claim] = await write('an event claim', [{ sql: CLAIM_SQL, params: [key, t + ttlMs, token(), t] }, ...cleanup(t)]);
      return claim!.changes === 1;
    },
    /*
     * One batch (one transaction): each key is claimed with the upsert that takes it only when free
     * or expired, tagged with this call's random owner token; the inbox row goes in only when every
     * key now carries that token (all were free), and is tagged with it too; last, this call's claims
     * are deleted again unless the inbox row carries its token. So when any key is live, the batch
     * commits with nothing of it left: no inbox row, no claim (an expired claim it took over is gone
     * too, which changes nothing, as an expired claim claims nothing). No statement can fail on a
     * live key, so a failure of the batch is always a write failure (StoreWriteError), never a
     * duplicate; and two concurrent calls cannot both win, since D1 runs batches one at a time (and
     * PostgreSQL locks the conflicting claim row until the first transaction ends).
     */
    async recordInbound(entry, keys, ttlMs) {
      const t = now().getTime();
      const owner = token();
      const ks = [...new Set(keys)];
      const ours = ks.length ? `key IN (${placeholders(ks.length)})` : '1 = 0';
      const stmts: SqlStatement[] = ks.map((k) => ({ sql: CLAIM_SQL, params: [k, t + ttlMs, owner, t] }));
      stmts.push({
        sql:
          'INSERT INTO inbox (id, channel, chat_id, entry, claim_owner) SELECT ?, ?, ?, ?, ? ' +
          `WHERE (SELECT COUNT(*) FROM claims WHERE owner = ? AND ${ours}) = ? ` +
          'ON CONFLICT (id) DO UPDATE SET channel = excluded.channel, chat_id = excluded.chat_id, entry = excluded.entry, claim_owner = excluded.claim_owner',
        params: [entry.id, entry.channel, entry.message.chatId, JSON.stringify(entry), owner, owner, ...ks, ks.length],
      });
      if (ks.length) {
        stmts.push({
          sql: `DELETE FROM claims WHERE owner = ? AND ${ours} AND NOT EXISTS (SELECT 1 FROM inbox WHERE id = ? AND claim_owner = ?)`,
          params: [owner, ...ks, entry.id, owner],
        });
      }
      const results = await write(`inbound event "${entry.id}"`, [...stmts, ...cleanup(t)]);
      return results[ks.length]!.changes === 1;
    },
    async settleInbound(id, deliveries) {
      await write(`inbound event "${id}" as processed`, [{ sql: 'DELETE FROM inbox WHERE id = ?', params: [id] }, ...deliveries.map(outboxInsert)]);
    },
    async enqueueOutbound(deliveries) {
      if (deliveries.length) await write('replies to send', deliveries.map(outboxInsert));
    },
    async claimSlot(slot, deliveries, ttlMs) {
      const t = now().getTime();
      const owner = token();
      const [claim] = await write(`reminder slot "${slot}"`, [
        {
          sql: 'INSERT INTO reminder_slots (slot, until, owner) VALUES (?, ?, ?) ON CONFLICT (slot) DO UPDATE SET until = excluded.until, owner = excluded.owner WHERE reminder_slots.until <= ?',
          params: [slot, t + ttlMs, owner, t],
        },
        // The replies only when the slot now carries this call's token (it was free).
        ...deliveries.map((d) => ({
          sql: 'INSERT INTO outbox (id, delivery) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM reminder_slots WHERE slot = ? AND owner = ?) ON CONFLICT (id) DO UPDATE SET delivery = excluded.delivery',
          params: [d.id, JSON.stringify(d), slot, owner],
        })),
      ]);
      return claim!.changes === 1;
    },
    async listSlots() {
      const rows = await exec.all<{ slot: string }>('SELECT slot FROM reminder_slots WHERE until > ? ORDER BY slot', [now().getTime()]);
      return rows.map((r) => r.slot);
    },
    async settleOutbound(id, _outcome) {
      await writeOne(`reply "${id}" as settled`, 'DELETE FROM outbox WHERE id = ?', [id]);
    },
    async listPending() {
      const [inbound, outbound] = await Promise.all([
        exec.all<{ entry: string }>('SELECT entry FROM inbox ORDER BY seq'),
        exec.all<{ delivery: string }>('SELECT delivery FROM outbox ORDER BY seq'),
      ]);
      return { inbound: inbound.map((r) => JSON.parse(r.entry) as InboxEntry), outbound: outbound.map((r) => JSON.parse(r.delivery) as Delivery) };
    },
    async getChannelState(key) {
      const row = (await exec.all<{ value: string }>('SELECT value FROM channel_state WHERE key = ?', [key]))[0];
      return row && (JSON.parse(row.value) as Record<string, unknown>);
    },
    async setChannelState(key, value) {
      if (value === undefined) await writeOne(`channel state "${key}"`, 'DELETE FROM channel_state WHERE key = ?', [key]);
      else
        await writeOne(`channel state "${key}"`, 'INSERT INTO channel_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [
          key,
          JSON.stringify(value),
        ]);
    },
    async getAssistantUsage(month) {
      const row = (await exec.all<{ tokens: number; calls: number }>('SELECT tokens, calls FROM assistant_usage WHERE month = ?', [month]))[0];
      return { tokens: Number(row?.tokens ?? 0), calls: Number(row?.calls ?? 0) };
    },
    async addChannelCall(key, month) {
      // One transaction: the increment (a new month starts again at one) and the read of its result.
      const first = JSON.stringify({ month, calls: 1 });
      const [, read] = await exec
        .batch([
          {
            sql:
              'INSERT INTO channel_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = CASE ' +
              "WHEN json_extract(channel_state.value, '$.month') = ? AND json_type(channel_state.value, '$.calls') = 'integer' " +
              "THEN json_object('month', ?, 'calls', json_extract(channel_state.value, '$.calls') + 1) ELSE excluded.value END",
            params: [key, first, month, month],
          },
          { sql: 'SELECT value FROM channel_state WHERE key = ?', params: [key] },
        ])
        .catch((err: unknown) => {
          throw toStoreWriteError(err, `channel call count "${key}"`);
        });
      const row = read!.rows[0] as { value: string } | undefined;
      return callCountOf(row ? (JSON.parse(row.value) as Record<string, unknown>) : undefined, month);
    },
    async addAssistantUsage(month, tokens) {
      // One transaction: the increment and the read of its result (instances add to the same row).
      const [, read] = await exec
        .batch([
        {
          sql: 'INSERT INTO assistant_usage (month, tokens, calls) VALUES (?, ?, 1) ON CONFLICT (month) DO UPDATE SET tokens = assistant_usage.tokens + excluded.tokens, calls = assistant_usage.calls + 1',
          params: [month, Math.round(tokens)],
        },
          { sql: 'SELECT tokens, calls FROM assistant_usage WHERE month = ?', params: [month] },
        ])
        .catch((err: unknown) => {
          throw toStoreWriteError(err, `assistant usage of ${month}`);
        });
      const row = read!.rows[0] as { tokens: number; calls: number } | undefined;
      return { tokens: Number(row?.tokens ?? 0), calls: Number(row?.calls ?? 0) };
    },
    async putFramework(rec) {
      assertFrameworkId(rec.id);
      const body = JSON.stringify(rec);
      const copy = JSON.parse(body) as FrameworkRecord;
      await serialise(frameworkKey(rec.id), () =>
        writeOne(
          `framework "${rec.id}"`,
          'INSERT INTO frameworks (id, name, status, created_at, updated_at, version, body) VALUES (?, ?, ?, ?, ?, 0, ?) ' +
            'ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status, created_at = excluded.created_at, updated_at = excluded.updated_at, version = frameworks.version + 1, body = excluded.body',
          [copy.id, copy.name, copy.status, copy.createdAt, copy.updatedAt, body],
        ),
      );
    },
    updateFramework(id, mutate) {
      return serialise(frameworkKey(id), async () => {
        for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
          const row = (await exec.all<{ body: string; version: number }>('SELECT body, version FROM frameworks WHERE id = ?', [id]))[0];
          if (!row) throw new Error(`framework "${id}" not found`);
          const draft = JSON.parse(row.body) as FrameworkRecord;
          const next = mutate(draft) ?? draft;
          if (next.id !== id) throw new Error(`updateFramework may not change the id ("${id}" → "${next.id}")`);
          next.updatedAt = now().toISOString();
          const changes = await writeOne(
            `framework "${id}"`,
            'UPDATE frameworks SET name = ?, status = ?, created_at = ?, updated_at = ?, version = ?, body = ? WHERE id = ? AND version = ?',
            [next.name, next.status, next.createdAt, next.updatedAt, row.version + 1, JSON.stringify(next), id, row.version],
          );
          if (changes === 1) return next;
        }
        throw new StoreWriteError(`could not write framework "${id}": it changed under every one of ${MAX_ATTEMPTS} attempts`);
      });
    },
    async getFramework(id) {
      const row = (await exec.all<{ body: string }>('SELECT body FROM frameworks WHERE id = ?', [id]))[0];
      return row && (JSON.parse(row.body) as FrameworkRecord);
    },
    async listFrameworks() {
      const rows = await exec.all<{ body: string }>('SELECT body FROM frameworks');
      return rows.map((r) => JSON.parse(r.body) as FrameworkRecord).sort(compareByCreation);
    },
    async listFrameworkHeads() {
      const rows = await exec.all<{ id: string; name: string; status: FrameworkHead['status']; created_at: string; updated_at: string }>(
        'SELECT id, name, status, created_at, updated_at FROM frameworks',
      );
      return rows.map((r): FrameworkHead => ({ id: r.id, name: r.name, status: r.status, createdAt: r.created_at, updatedAt: r.updated_at })).sort(compareByCreation);
    },
    async getOverviewBinding(chatId) {
      const row = (await exec.all<{ body: string }>('SELECT body FROM overview_bindings WHERE chat_id = ?', [chatId]))[0];
      return row && (JSON.parse(row.body) as OverviewBinding);
    },
    async setOverviewBinding(binding) {
      const what = `the overview binding of chat "${binding.chatId}"`;
      if (!binding.units.length) await writeOne(what, 'DELETE FROM overview_bindings WHERE chat_id = ?', [binding.chatId]);
      else
        await writeOne(what, 'INSERT INTO overview_bindings (chat_id, body) VALUES (?, ?) ON CONFLICT (chat_id) DO UPDATE SET body = excluded.body', [
          binding.chatId,
          JSON.stringify(binding),
        ]);
    },
    async listOverviewBindings() {
      const rows = await exec.all<{ body: string }>('SELECT body FROM overview_bindings');
      return rows.map((r) => JSON.parse(r.body) as OverviewBinding).sort((a, b) => a.chatId.localeCompare(b.chatId));
    },
    async leaseChat(chatKey, holder, ttlMs) {
      const t = now().getTime();
      const changes = await writeOne(
        `the lease of chat "${chatKey}"`,
        'INSERT INTO chat_leases (chat_key, holder, until) VALUES (?, ?, ?) ' +
          'ON CONFLICT (chat_key) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE chat_leases.holder = excluded.holder OR chat_leases.until <= ?',
        [chatKey, holder, t + ttlMs, t],
      );
      return changes === 1;
    },
    async releaseChat(chatKey, holder) {
      await writeOne(`the lease of chat "${chatKey}"`, 'DELETE FROM chat_leases WHERE chat_key = ? AND holder = ?', [chatKey, holder]);
    },
    async listPendingInbound(channel: ChannelId, chatId: string) {
      const rows = await exec.all<{ entry: string }>('SELECT entry FROM inbox WHERE channel = ? AND chat_id = ? ORDER BY seq', [channel, chatId]);
      return rows.map((r) => JSON.parse(r.entry) as InboxEntry);
    },
  };
  return store;
}

function outboxInsert(d: Delivery): SqlStatement {
  return { sql: OUTBOX_SQL, params: [d.id, JSON.stringify(d)] };
}
