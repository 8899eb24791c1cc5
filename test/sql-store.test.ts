import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isStoreWriteError, StoreWriteError, type AuditEntry } from '../src/store/port';
import { applyMigrations, MIGRATIONS, schemaReady, splitStatements, TABLES } from '../src/store/sql/migrations';
import { createSqlStore, MAX_FILE_BYTES } from '../src/store/sql/store';
import { createD1Harness, startD1 } from './helpers/d1';
import { makeEvaluation } from './helpers/records';
import { carriedFramework, inbox } from './helpers/store-fixtures';

/** A clock the test moves by hand. */
function createClock(start = Date.parse('2025-03-01T08:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

const entry = (path: string, value: unknown): AuditEntry => ({ at: 't', userId: 'u', path, new: value });

const d1 = createD1Harness();
afterAll(() => d1.dispose());

describe('SQL store on D1', () => {
  it('keeps the revision check across two stores over one database: one of two writers wins, with only its audit entries', async () => {
    const exec = await d1.fresh();
    const a = createSqlStore(exec);
    const b = createSqlStore(exec);
    await a.createEvaluation(makeEvaluation('ev1', ['c1']), [entry('evaluation', 1)]);
    await a.updateEvaluation('ev1', (r, audit) => {
      r.unit = '单位1';
      audit.push(entry('unit', '单位1'));
    });
    const fromA = (await a.getEvaluation('ev1'))!;
    const fromB = (await b.getEvaluation('ev1'))!;
    expect([fromA.revision, fromB.revision]).toEqual([1, 1]);
    fromA.answers.facts!['spending'] = 1;
    fromB.answers.facts!['budget'] = 2;
    const [savedA, savedB] = await Promise.all([
      a.replaceEvaluation(fromA, [entry('facts.spending', 1)]),
      b.replaceEvaluation(fromB, [entry('facts.budget', 2), entry('facts.note', 'b')]),
    ]);
    expect([savedA, savedB].filter(Boolean)).toHaveLength(1);
    const [winner, loser, winnerPaths] = savedA ? [fromA, fromB, ['facts.spending']] : [fromB, fromA, ['facts.budget', 'facts.note']];
    expect(winner.revision).toBe(2);
    // The loser's record is left as it was, to be read again.
    expect(loser.revision).toBe(1);
    for (const store of [a, b]) {
      const stored = (await store.getEvaluation('ev1'))!;
      expect(stored.revision).toBe(2);
      expect(stored.answers.facts).toEqual(winner.answers.facts);
      expect((await store.listAudit('ev1')).map((e) => e.path)).toEqual(['evaluation', 'unit', ...winnerPaths]);
    }
  });

  it('redoes an update another store wrote first, so concurrent updates from two stores all land', async () => {
    const exec = await d1.fresh();
    const stores = [createSqlStore(exec), createSqlStore(exec)];
    await stores[0]!.createEvaluation(makeEvaluation('ev1'));
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        stores[i % 2]!.updateEvaluation('ev1', (r, audit) => {
          r.answers.facts = { ...r.answers.facts, [`f${i}`]: i };
          audit.push(entry(`facts.f${i}`, i));
        }),
      ),
    );
    const rec = (await stores[1]!.getEvaluation('ev1'))!;
    expect(Object.keys(rec.answers.facts ?? {}).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `f${i}`).sort());
    expect(rec.revision).toBe(12);
    expect((await stores[0]!.listAudit('ev1')).map((e) => e.path).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `facts.f${i}`).sort());
  });

  it('records nothing and claims nothing when one key of several is live', async () => {
    const exec = await d1.fresh();
    const clock = createClock();
    const store = createSqlStore(exec, { now: clock.now });
    const other = createSqlStore(exec, { now: clock.now });
    expect(await other.claimEvent('k2', 1000)).toBe(true);
    expect(await store.recordInbound(inbox('e1'), ['k1', 'k2', 'k3'], 1000)).toBe(false);
    expect((await exec.all<{ key: string }>('SELECT key FROM claims ORDER BY key')).map((r) => r.key)).toEqual(['k2']);
    expect((await store.listPending()).inbound).toEqual([]);
    // Once k2 has expired, the same call records the event and claims every key.
    clock.advance(1000);
    expect(await store.recordInbound(inbox('e1'), ['k1', 'k2', 'k3', 'k1'], 1000)).toBe(true);
    expect((await exec.all<{ key: string }>('SELECT key FROM claims ORDER BY key')).map((r) => r.key)).toEqual(['k1', 'k2', 'k3']);
    expect(await other.claimEvent('k3', 1000)).toBe(false);
    expect((await other.listPending()).inbound.map((e) => e.id)).toEqual(['e1']);
  });

  it('deletes expired claims now and then', async () => {
    const exec = await d1.fresh();
    const clock = createClock();
    const store = createSqlStore(exec, { now: clock.now });
    for (let i = 0; i < 64; i++) expect(await store.claimEvent(`k${i}`, 1000)).toBe(true);
    expect((await exec.all<{ n: number }>('SELECT COUNT(*) AS n FROM claims'))[0]!.n).toBe(64);
    clock.advance(1000);
    expect(await store.claimEvent('k64', 1000)).toBe(true);
    expect((await exec.all<{ key: string }>('SELECT key FROM claims')).map((r) => r.key)).toEqual(['k64']);
  });

  it('leases a chat across two stores over one database', async () => {
    const exec = await d1.fresh();
    const clock = createClock();
    const [a, b] = [createSqlStore(exec, { now: clock.now }), createSqlStore(exec, { now: clock.now })];
    expect(await a.leaseChat('feishu:oc_1', 'isolate-a', 1000)).toBe(true);
    expect(await b.leaseChat('feishu:oc_1', 'isolate-b', 1000)).toBe(false);
    await a.releaseChat('feishu:oc_1', 'isolate-a');
    expect(await b.leaseChat('feishu:oc_1', 'isolate-b', 1000)).toBe(true);
  });

  it('writes a carried framework once, in its own table, and shares one frozen copy between reads', async () => {
    const exec = await d1.fresh();
    const store = createSqlStore(exec);
    await store.createEvaluation(makeEvaluation('ev1', ['c1'], { frameworkId: 'import-carried', framework: carriedFramework() }));
    await store.createEvaluation(makeEvaluation('ev2', ['c2']));
    for (let i = 0; i < 3; i++) await store.updateEvaluation('ev1', (r) => void (r.unit = `单位${i}`));
    const rows = await exec.all<{ id: string; body: string; carried: number }>('SELECT id, body, carried FROM evaluations ORDER BY id');
    expect(rows.map((r) => [r.id, r.carried])).toEqual([
      ['ev1', 1],
      ['ev2', 0],
    ]);
    expect(rows[0]!.body).not.toContain('决策');
    expect(JSON.parse(rows[0]!.body)).not.toHaveProperty('framework');
    const carried = await exec.all<{ evaluation_id: string; body: string }>('SELECT evaluation_id, body FROM carried_frameworks');
    expect(carried.map((r) => r.evaluation_id)).toEqual(['ev1']);
    expect(JSON.parse(carried[0]!.body)).toEqual(carriedFramework());
    const [x, y] = await Promise.all([store.getEvaluation('ev1'), store.getEvaluation('ev1')]);
    expect(x!.framework).toBe(y!.framework);
    expect(x).not.toBe(y);
    expect(x!.unit).toBe('单位2');
    expect(() => {
      x!.framework!.name = 'x';
    }).toThrow(TypeError);
    // Another store (another isolate) reads it from the database.
    const other = createSqlStore(exec);
    expect((await other.listEvaluations()).map((r) => [r.id, r.framework?.id])).toEqual([
      ['ev1', 'import-carried'],
      ['ev2', undefined],
    ]);
  });

  it('refuses a file over the D1 row limit with a StoreWriteError saying why, and returns bytes as Uint8Array', async () => {
    const exec = await d1.fresh();
    const store = createSqlStore(exec);
    const big = new Uint8Array(MAX_FILE_BYTES + 1);
    const err = await store.putFile({ name: 'big.docx', mime: 'application/octet-stream', bytes: big }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreWriteError);
    expect((err as Error).message).toMatch(/big\.docx.*1900001 bytes.*at most 1900000/);
    expect(await exec.all('SELECT id FROM files')).toEqual([]);
    const put = await store.putFile({ name: 'small.docx', mime: 'application/octet-stream', bytes: new Uint8Array([0, 1, 254, 255]) });
    const got = (await store.getFile(put.id))!;
    expect(got.bytes).toBeInstanceOf(Uint8Array);
    expect(Array.from(got.bytes)).toEqual([0, 1, 254, 255]);
  });

  it('turns a failed write into a StoreWriteError and keeps nothing of its batch', async () => {
    const exec = await d1.fresh();
    const clock = createClock();
    const store = createSqlStore(exec, { now: clock.now });
    await store.createEvaluation(makeEvaluation('ev1'));
    // The audit table gone, the evaluation's update (the batch's first statement) must be undone too.
    await exec.run('ALTER TABLE audit RENAME TO audit_away');
    const failed = await store.updateEvaluation('ev1', (r, audit) => {
      r.unit = '改了';
      audit.push(entry('unit', '改了'));
    }).catch((e: unknown) => e);
    expect(isStoreWriteError(failed)).toBe(true);
    expect((failed as Error).message).toMatch(/could not write evaluation "ev1"/);
    await exec.run('ALTER TABLE audit_away RENAME TO audit');
    expect(await store.getEvaluation('ev1')).toMatchObject({ unit: '南京市数据局', revision: 0 });
    // The inbox gone, the claims made before it in the batch must be undone too.
    await exec.run('ALTER TABLE inbox RENAME TO inbox_away');
    await expect(store.recordInbound(inbox('e1'), ['k1', 'k2'], 60_000)).rejects.toBeInstanceOf(StoreWriteError);
    await exec.run('ALTER TABLE inbox_away RENAME TO inbox');
    expect(await exec.all('SELECT key FROM claims')).toEqual([]);
    expect(await store.recordInbound(inbox('e1'), ['k1', 'k2'], 60_000)).toBe(true);
    expect((await store.updateEvaluation('ev1', (r) => void (r.unit = '改了'))).revision).toBe(1);
  });
});

describe('SQL store migrations', () => {
  // MIGRATIONS are copies (tsx on Node cannot import a .sql file as text; see migrations.ts): they must not drift.
  it('keeps MIGRATIONS equal to the .sql files wrangler applies', async () => {
    const dir = 'src/store/sql/migrations';
    const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
    expect(MIGRATIONS.map((m) => m.name)).toEqual(files);
    for (const m of MIGRATIONS) expect(m.sql).toBe(await readFile(join(dir, m.name), 'utf8'));
    expect(TABLES).toContain('evaluations');
    expect(TABLES).toContain('chat_leases');
    expect(splitStatements(MIGRATIONS[0]!.sql).every((s) => /^CREATE (TABLE|INDEX) /.test(s))).toBe(true);
  });

  it('applies the migrations once, recorded where wrangler looks, and reports the schema ready', async () => {
    const { exec, dispose } = await startD1();
    try {
      expect(await schemaReady(exec)).toBe(false);
      expect(await applyMigrations(exec)).toEqual(MIGRATIONS.map((m) => m.name));
      expect(await schemaReady(exec)).toBe(true);
      expect(await applyMigrations(exec)).toEqual([]);
      expect((await exec.all<{ name: string }>('SELECT name FROM d1_migrations ORDER BY id')).map((r) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
      await exec.run('DROP TABLE chat_leases');
      expect(await schemaReady(exec)).toBe(false);
    } finally {
      await dispose();
    }
  });
});
