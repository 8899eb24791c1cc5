/**
 * A misconfigured Workers deployment under `wrangler dev`: /healthz names what is missing (never a
 * value), webhooks are refused with 503 so the platform delivers again later, the Cron Trigger does
 * not fail, and the Worker keeps answering (no crash loop). An unmigrated D1 becomes ready once the
 * migrations are applied, without a restart.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_APP_ID, FAKE_ENCRYPT_KEY, fakeFeishuVars, feishuEvents, signFeishuRequest, startFakeFeishu, type FakeFeishu } from './fakes/feishu';
import { startWorkersDev, type WorkersDev } from './helpers/workers-dev';

const ROOT = resolve(import.meta.dirname, '..');
/** A secret that must never be echoed. */
const SECRET_ENCRYPT_KEY = 'encrypt-key-value-must-not-leak-4711';

let fake: FakeFeishu;
/** No D1 binding, Feishu half configured (no app secret), no ADMIN_TOKEN. */
let broken: WorkersDev;
/** D1 bound but not migrated; Feishu complete; no ADMIN_TOKEN. */
let unmigrated: WorkersDev;

beforeAll(async () => {
  fake = await startFakeFeishu();
  [broken, unmigrated] = await Promise.all([
    startWorkersDev({ vars: { FEISHU_APP_ID: FAKE_APP_ID, FEISHU_ENCRYPT_KEY: SECRET_ENCRYPT_KEY }, changes: { withoutD1: true } }),
    startWorkersDev({ vars: fakeFeishuVars(fake.url), migrate: false }),
  ]);
}, 180_000);
afterAll(async () => {
  await Promise.all([broken?.stop(), unmigrated?.stop()]);
  await fake?.close();
});

const signedEvent = (encryptKey: string) => signFeishuRequest(feishuEvents.text({ chatId: 'oc_cfg', sender: 'ou_cfg', text: '帮助' }), { encryptKey });
const postFeishu = (w: WorkersDev, encryptKey: string) => {
  const req = signedEvent(encryptKey);
  return fetch(`${w.baseUrl}/webhook/feishu`, { method: 'POST', headers: req.headers, body: req.body });
};

describe('a misconfigured deployment on Workers', () => {
  it('names the missing D1 binding and Feishu secret without values, refuses webhooks with 503 and keeps answering', async () => {
    for (let round = 0; round < 2; round++) {
      const health = await fetch(`${broken.baseUrl}/healthz`);
      const text = await health.text();
      expect(health.status).toBe(503);
      expect(JSON.parse(text)).toMatchObject({ ok: false, missing: expect.arrayContaining(['DB (D1 binding)', 'FEISHU_APP_SECRET']) });
      expect(text).not.toContain(SECRET_ENCRYPT_KEY);
      expect(text).not.toContain(FAKE_APP_ID);
      const hook = await postFeishu(broken, SECRET_ENCRYPT_KEY);
      const hookText = await hook.text();
      expect(hook.status).toBe(503);
      expect(hookText).not.toContain(SECRET_ENCRYPT_KEY);
      const dingtalk = await fetch(`${broken.baseUrl}/webhook/dingtalk`, { method: 'POST', body: '{}' });
      expect(dingtalk.status).toBe(503);
      await dingtalk.arrayBuffer();
      // The Cron Trigger finds nothing to do, and does not fail.
      const cron = await broken.scheduled();
      expect(`${cron.status} ${await cron.text()}`).toBe('200 ok');
    }
    expect(broken.child.exitCode).toBeNull();
  });

  it('names an unmigrated D1, then works once migrated (no restart) and names the missing ADMIN_TOKEN', { timeout: 120_000 }, async () => {
    for (let round = 0; round < 2; round++) {
      const health = await fetch(`${unmigrated.baseUrl}/healthz`);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { missing: string[] }).missing).toEqual([expect.stringContaining('DB (schema')]);
      const hook = await postFeishu(unmigrated, FAKE_ENCRYPT_KEY);
      expect(hook.status).toBe(503);
      await hook.arrayBuffer();
    }
    const applied = spawnSync(process.execPath, [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', unmigrated.persistDir], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CI: 'true' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(applied.status, applied.stderr).toBe(0);
    // The kept-alive connection may have been closed by workerd while the migrations ran (idle): a GET
    // that finds its socket closed is sent again on a new one, as a browser would.
    // The first requests of the ready app come at once: each is answered (none waits for another
    // invocation's build of the app, which workerd would cancel as hung).
    const cold = await Promise.all(Array.from({ length: 6 }, () => getAgain(`${unmigrated.baseUrl}/healthz`)));
    for (const health of cold) {
      const body = await health.text();
      // Ready now, but without ADMIN_TOKEN: the console and API are shut, and that is said by name.
      expect({ status: health.status, body }).toMatchObject({ status: 503, body: expect.stringContaining('"missing":["ADMIN_TOKEN"]') });
    }
    const apiRes = await fetch(`${unmigrated.baseUrl}/api/evaluations`);
    expect(apiRes.status).toBe(503);
    expect(((await apiRes.json()) as { missing: string[] }).missing).toEqual(['ADMIN_TOKEN']);
    // Webhooks work without it.
    const hook = await postFeishu(unmigrated, FAKE_ENCRYPT_KEY);
    expect(hook.status).toBe(200);
    await hook.arrayBuffer();
    expect(unmigrated.child.exitCode).toBeNull();
  });
});

/** GET, sent once more when the pooled socket turns out closed ("other side closed"). */
async function getAgain(url: string): Promise<Response> {
  try {
    return await fetch(url);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    return fetch(url);
  }
}
