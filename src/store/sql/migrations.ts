/**
 * The SQL store's migrations as strings, so a Worker (no file system) and tests can apply them. Each is
 * a copy of a file in `migrations/` (wrangler d1 migrations format: `wrangler d1 migrations apply` runs
 * the files); a test (test/sql-store.test.ts) fails when a copy and its file differ. Applied migrations
 * are recorded in wrangler's own table (`d1_migrations`), so a database migrated either way is known to
 * the other.
 *
 * Why copies rather than importing the .sql files as text: that works in wrangler (a `[[rules]]` entry
 * of type "Text" for `**\/*.sql`) and in vitest (a transform plugin), but not under tsx on Node 20,
 * which runs the Node entries and scripts: Node has no text imports (import attributes take only
 * `json`), and tsx has no loader option, so a .sql import is parsed as JavaScript and fails. Copies
 * keep the module loadable by all three.
 *
 * @example await applyMigrations(exec); const ready = await schemaReady(exec)
 */
import type { SqlExecutor } from './executor';

/** A migration: its file name under `migrations/` and its SQL. */
export interface Migration {
  name: string;
  sql: string;
}

/** Every migration, oldest first (copies of the .sql files, kept equal by a test). */
export const MIGRATIONS: Migration[] = [
  {
    name: '0001_init.sql',
    sql: `-- The SQL store's tables (src/store/sql/store.ts). Times are ISO strings where the port has them as
-- strings, and milliseconds since the epoch (INTEGER) for expiries. JSON columns hold the port's records.

-- One row per evaluation: the record as JSON without its carried framework; write_id is a random id
-- per write, so statements of the same batch can tell whether the revision check let the write through.
CREATE TABLE evaluations (
  id TEXT PRIMARY KEY,
  revision INTEGER NOT NULL,
  body TEXT NOT NULL,
  carried INTEGER NOT NULL DEFAULT 0,
  write_id TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

-- The framework an evaluation carries (fixed at creation, can be large), written once.
CREATE TABLE carried_frameworks (
  evaluation_id TEXT PRIMARY KEY,
  body TEXT NOT NULL
);

-- Audit trails, oldest first by seq.
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  evaluation_id TEXT NOT NULL,
  entry TEXT NOT NULL
);
CREATE INDEX audit_by_evaluation ON audit (evaluation_id, seq);

-- Chat id → evaluation id.
CREATE TABLE chats (
  chat_id TEXT PRIMARY KEY,
  evaluation_id TEXT NOT NULL
);

-- Dedupe claims: free again once until (ms) has passed; owner is the random token of the write that took it.
CREATE TABLE claims (
  key TEXT PRIMARY KEY,
  until INTEGER NOT NULL,
  owner TEXT NOT NULL
);
CREATE INDEX claims_by_until ON claims (until);

-- Inbound events recorded and not yet processed, in arrival order (seq).
CREATE TABLE inbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  channel TEXT NOT NULL,
  chat_id TEXT NOT NULL,
  entry TEXT NOT NULL,
  claim_owner TEXT NOT NULL
);
CREATE INDEX inbox_by_chat ON inbox (channel, chat_id, seq);

-- Replies recorded and not yet sent, in the order recorded (seq).
CREATE TABLE outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  delivery TEXT NOT NULL
);

-- Reminder slots claimed, until when (ms).
CREATE TABLE reminder_slots (
  slot TEXT PRIMARY KEY,
  until INTEGER NOT NULL,
  owner TEXT NOT NULL
);

-- Per-chat leases of the inbox (InboxOrder).
CREATE TABLE chat_leases (
  chat_key TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  until INTEGER NOT NULL
);

-- Stored files (generated reports).
CREATE TABLE files (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  mime TEXT NOT NULL,
  bytes BLOB NOT NULL,
  created_at TEXT NOT NULL
);

-- Chat drafts by chat and user.
CREATE TABLE chat_drafts (
  chat_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (chat_id, user_id)
);
CREATE INDEX chat_drafts_by_time ON chat_drafts (updated_at);

-- Small per-chat state of the platform channels.
CREATE TABLE channel_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Imported frameworks: the head in columns (listed without reading the rows), the record as JSON.
CREATE TABLE frameworks (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL,
  body TEXT NOT NULL
);

-- Overview bindings by chat id.
CREATE TABLE overview_bindings (
  chat_id TEXT PRIMARY KEY,
  body TEXT NOT NULL
);
`,
  },
  {
    name: '0002_assistant_usage.sql',
    sql: `-- The language-model assistant's token use per month (YYYY-MM, China time), for the deployment's monthly cap.
CREATE TABLE assistant_usage (
  month TEXT PRIMARY KEY,
  tokens INTEGER NOT NULL,
  calls INTEGER NOT NULL
);
`,
  },
];

/** wrangler's table of applied migrations (its default name and schema). */
const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS d1_migrations(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;

/** The statements of a migration: comments dropped, split at `;` (the migrations have no `;` or `--` in strings). */
export function splitStatements(sql: string): string[] {
  return sql
    .replace(/--[^\n]*/g, '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The tables the migrations create, in order. */
export const TABLES: string[] = MIGRATIONS.flatMap((m) => [...m.sql.matchAll(/^CREATE TABLE (\w+)/gm)].map((x) => x[1]!));

/**
 * Applies the migrations not applied yet, each in one batch with its row in `d1_migrations` (so a
 * migration is applied whole or not at all). For tests and local runs; deployments use wrangler.
 */
export async function applyMigrations(exec: SqlExecutor): Promise<string[]> {
  await exec.run(MIGRATIONS_TABLE);
  const done = new Set((await exec.all<{ name: string }>('SELECT name FROM d1_migrations')).map((r) => r.name));
  const applied: string[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.name)) continue;
    await exec.batch([...splitStatements(m.sql).map((sql) => ({ sql })), { sql: 'INSERT INTO d1_migrations (name) VALUES (?)', params: [m.name] }]);
    applied.push(m.name);
  }
  return applied;
}

/**
 * True when every table of the store exists (for /healthz): one query that reads no row; false when
 * it fails (a table missing, or the database out of reach).
 */
export async function schemaReady(exec: SqlExecutor): Promise<boolean> {
  try {
    // Scalar subqueries rather than UNION ALL: D1 caps the terms of a compound SELECT.
    await exec.all(`SELECT ${TABLES.map((t, i) => `(SELECT 1 FROM ${t} WHERE 1 = 0) AS t${i}`).join(', ')}`);
    return true;
  } catch {
    return false;
  }
}
