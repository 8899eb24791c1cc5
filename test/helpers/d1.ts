/** Test helpers: a D1 database from Miniflare, run from Node (each query goes through its proxy, ~15 ms). */
import type { D1Database } from '@cloudflare/workers-types';
import { Miniflare } from 'miniflare';
import { createD1Executor } from '../../src/store/sql/d1';
import type { SqlExecutor } from '../../src/store/sql/executor';
import { applyMigrations, TABLES } from '../../src/store/sql/migrations';

/** Starts Miniflare with one empty D1 database: the binding, its executor, and `dispose` to stop it. */
export async function startD1(): Promise<{ db: D1Database; exec: SqlExecutor; dispose: () => Promise<void> }> {
  const mf = new Miniflare({
    modules: true,
    script: 'export default { fetch() { return new Response(null) } }',
    d1Databases: { DB: `test-${globalThis.crypto.randomUUID()}` },
  });
  const db = (await mf.getD1Database('DB')) as unknown as D1Database;
  return { db, exec: createD1Executor(db), dispose: () => mf.dispose() };
}

/**
 * One migrated D1 database shared by a test file (starting Miniflare takes about half a second):
 * `fresh()` empties every table and hands out its executor; `dispose()` goes in afterAll.
 */
export function createD1Harness(): { fresh: () => Promise<SqlExecutor>; dispose: () => Promise<void> } {
  let started: Promise<{ exec: SqlExecutor; dispose: () => Promise<void> }> | undefined;
  return {
    async fresh() {
      started ??= startD1().then(async (d) => (await applyMigrations(d.exec), d));
      const { exec } = await started;
      await exec.batch(TABLES.map((t) => ({ sql: `DELETE FROM ${t}` })));
      return exec;
    },
    async dispose() {
      const s = started;
      started = undefined;
      if (s) await (await s).dispose();
    },
  };
}
