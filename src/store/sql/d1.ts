/**
 * The SQL executor over a Cloudflare D1 database (the Workers binding, or Miniflare's in tests). D1
 * runs a batch as one transaction, which is what `SqlExecutor.batch` promises.
 *
 * @example const store = createSqlStore(createD1Executor(env.DB))
 */
import type { D1Database, D1Result } from '@cloudflare/workers-types';
import type { SqlExecutor } from './executor';

/** Creates an executor running its SQL on `db`. */
export function createD1Executor(db: D1Database): SqlExecutor {
  const prepare = (sql: string, params: unknown[] = []) => db.prepare(sql).bind(...params);
  return {
    async all<T>(sql: string, params?: unknown[]) {
      const res = await prepare(sql, params).all();
      return normaliseRows(res.results) as T[];
    },
    async run(sql, params) {
      const res = await prepare(sql, params).run();
      return { changes: res.meta.changes ?? 0 };
    },
    async batch(stmts) {
      if (!stmts.length) return [];
      const results: D1Result[] = await db.batch(stmts.map((s) => prepare(s.sql, s.params)));
      return results.map((r) => ({ changes: r.meta.changes ?? 0, rows: normaliseRows(r.results ?? []) }));
    },
  };
}

/**
 * D1 hands BLOB columns back as arrays of byte values (or an ArrayBuffer, depending on the runtime);
 * the store expects Uint8Array. No other column type comes back as an array or buffer.
 */
function normaliseRows(rows: unknown[]): unknown[] {
  for (const row of rows) {
    if (!row || typeof row !== 'object') continue;
    const r = row as Record<string, unknown>;
    for (const [k, v] of Object.entries(r)) {
      if (Array.isArray(v)) r[k] = Uint8Array.from(v as number[]);
      else if (v instanceof ArrayBuffer) r[k] = new Uint8Array(v);
      else if (ArrayBuffer.isView(v) && !(v instanceof Uint8Array)) r[k] = new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    }
  }
  return rows;
}
