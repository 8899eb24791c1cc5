/**
 * The port between the SQL store and a database: three calls, `?` placeholders, plain values in and
 * plain rows out. D1 implements it in `d1.ts`; a PostgreSQL shim only has to number the placeholders
 * (`$1`…) and run a batch inside BEGIN/COMMIT, since the store's SQL keeps to what both accept
 * (INSERT … ON CONFLICT … DO UPDATE/NOTHING, INSERT … SELECT … WHERE, no SQLite-only functions).
 *
 * @example const rows = await exec.all<{ id: string }>('SELECT id FROM evaluations WHERE id = ?', ['ev1'])
 */

/** One statement and its parameters (strings, numbers, null, Uint8Array for BLOBs). */
export interface SqlStatement {
  sql: string;
  params?: unknown[];
}

/** What a statement of a batch did: rows changed, and the rows it returned (for a SELECT). */
export interface SqlResult {
  changes: number;
  rows: unknown[];
}

/** Runs SQL against one database. BLOB columns come back as Uint8Array. */
export interface SqlExecutor {
  /** The rows of one query. */
  all<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** One writing statement: how many rows it changed. */
  run(sql: string, params?: unknown[]): Promise<{ changes: number }>;
  /**
   * Several statements as one transaction, in order: all of them take effect or (when one fails,
   * and the promise rejects) none. Later statements see what earlier ones wrote.
   */
  batch(stmts: SqlStatement[]): Promise<SqlResult[]>;
}
