-- The SQL store's tables (src/store/sql/store.ts). Times are ISO strings where the port has them as
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
