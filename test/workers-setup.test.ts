/**
 * The Workers deployment's configuration check and its console sessions kept in the store: what is
 * missing is named (never its value), the assistant reaches the bot (the entry driven from Node over a
 * Miniflare D1, no wrangler dev), and sessions hold across isolates.
 */
import { describe, expect, it } from 'vitest';
import { assistantConfigOf } from '../src/config';
import { readWorkersConfig } from '../src/platform/workers/config';
import worker from '../src/platform/workers/index';
import { applyMigrations } from '../src/store/sql/migrations';
import { startFakeOpenAi } from './fakes/openai';
import { startD1 } from './helpers/d1';
import { createStoredSessions } from '../src/server/sessions';
import { createMemoryStore } from '../src/store/memory';

const DB = {} as never;

describe('readWorkersConfig', () => {
  it('is ready with a D1 binding and nothing else, and reports a missing ADMIN_TOKEN apart', () => {
    const read = readWorkersConfig({ DB });
    expect(read).toMatchObject({ ok: true, adminTokenMissing: true, problems: [] });
    expect(readWorkersConfig({ DB, ADMIN_TOKEN: 'x'.repeat(20) }).adminTokenMissing).toBe(false);
  });

  it('names a missing binding, a half-configured platform and Node-only modes, without values', () => {
    const secret = 'app-secret-value-123';
    const read = readWorkersConfig({ FEISHU_APP_SECRET: secret, DINGTALK_APP_KEY: 'k', DINGTALK_MODE: 'stream' });
    expect(read.ok).toBe(false);
    expect(read.problems).toEqual(expect.arrayContaining(['DB (D1 binding)', 'FEISHU_APP_ID', 'DINGTALK_APP_SECRET']));
    expect(read.problems.some((p) => p.startsWith('DINGTALK_MODE'))).toBe(true);
    expect(JSON.stringify(read)).not.toContain(secret);
  });

  it('names an invalid variable without echoing it, and ignores bindings that are not strings', () => {
    const read = readWorkersConfig({ DB, PUBLIC_BASE_URL: 'not a url', INBOX: {} as never });
    expect(read).toMatchObject({ ok: false, problems: ['PUBLIC_BASE_URL'] });
    expect(JSON.stringify(read)).not.toContain('not a url');
  });
});

describe('the assistant on Workers', () => {
  const key = 'sk-LEAKCHECK-7f3a9c2e51d04b8e';

  it('names LLM_BASE_URL and LLM_MODEL when only some LLM_ variables are set, never the key; none set is no problem', () => {
    const keyOnly = readWorkersConfig({ DB, LLM_API_KEY: key });
    expect(keyOnly).toMatchObject({ ok: false, problems: ['LLM_BASE_URL', 'LLM_MODEL'] });
    expect(JSON.stringify(keyOnly)).not.toContain(key);
    expect(readWorkersConfig({ DB, LLM_BASE_URL: 'https://llm.example.gov.cn/v1', LLM_API_KEY: key })).toMatchObject({ ok: false, problems: ['LLM_MODEL'] });
    expect(readWorkersConfig({ DB, LLM_MAX_RETRIES: '3' })).toMatchObject({ ok: false, problems: ['LLM_BASE_URL', 'LLM_MODEL'] });
    const none = readWorkersConfig({ DB });
    expect(none).toMatchObject({ ok: true, problems: [] });
    expect(none.ok && assistantConfigOf(none.config)).toBeUndefined();
    const on = readWorkersConfig({ DB, LLM_BASE_URL: 'https://llm.example.gov.cn/v1', LLM_MODEL: 'qwen-plus', LLM_API_KEY: key, LLM_MONTHLY_TOKEN_CAP: '5000' });
    expect(on.ok && assistantConfigOf(on.config)).toMatchObject({ model: 'qwen-plus', apiKey: key, monthlyTokenCap: 5000 });
  });

  it('/healthz names the missing LLM_ variables, without the key', async () => {
    const env = { DB, LLM_API_KEY: key };
    const res = await worker.fetch(new Request('https://bot.example.gov.cn/healthz'), env, {} as never);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ ok: false, runtime: 'workers', missing: ['LLM_BASE_URL', 'LLM_MODEL'] });
    expect(text).not.toContain(key);
  });

  it('the Workers entry hands the configured assistant to the bot: 启用助手 names the model and host', async () => {
    const d1 = await startD1();
    const fake = await startFakeOpenAi();
    try {
      await applyMigrations(d1.exec);
      const admin = 'a'.repeat(24);
      const say = async (env: Record<string, unknown>, text: string) => {
        const res = await worker.fetch(
          new Request('https://bot.example.gov.cn/api/local/messages', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
            body: JSON.stringify({ chatId: 'g1', userId: 'u1', userName: '张三', text }),
          }),
          env,
          { waitUntil: () => {}, passThroughOnException: () => {} } as never,
        );
        expect(res.status).toBe(200);
        return JSON.stringify(await res.json());
      };
      const env = { DB: d1.db, ADMIN_TOKEN: admin, LLM_BASE_URL: fake.baseUrl, LLM_MODEL: 'qwen-workers', LLM_API_KEY: key };
      await say(env, '新建自评 南京市数据局 2024 框架=nanjing-2021');
      const on = await say(env, '启用助手');
      expect(on).toContain('qwen-workers');
      expect(on).toContain(new URL(fake.baseUrl).host);
      expect(on).not.toContain(key);
      // Without LLM_ variables the same deployment has no assistant.
      const off = await say({ DB: d1.db, ADMIN_TOKEN: admin }, '启用助手');
      expect(off).toContain('没有配置语言模型助手');
    } finally {
      await fake.close();
      await d1.dispose();
    }
  });
});

describe('console sessions kept in the store', () => {
  it('are seen by another instance, end when revoked, idle or all revoked', async () => {
    let t = 1_000_000;
    const store = createMemoryStore();
    const a = createStoredSessions({ state: store, now: () => t, idleMs: 60 * 60_000 });
    const b = createStoredSessions({ state: store, now: () => t, idleMs: 60 * 60_000 });
    const s1 = await a.create();
    expect(await b.verify(s1.id)).toBe(true);
    expect(await b.verify(s1.id.slice(0, -1) + (s1.id.endsWith('A') ? 'B' : 'A'))).toBe(false);
    await b.revoke(s1.id);
    expect(await a.verify(s1.id)).toBe(false);

    const s2 = await a.create();
    const s3 = await a.create();
    // Used within the idle time (touched), then idle past it.
    t += 50 * 60_000;
    expect(await b.verify(s2.id)).toBe(true);
    t += 50 * 60_000;
    expect(await a.verify(s2.id)).toBe(true);
    expect(await a.verify(s3.id)).toBe(false);
    await b.revokeAll();
    expect(await a.verify(s2.id)).toBe(false);
    const s4 = await a.create();
    expect(await b.verify(s4.id)).toBe(true);
  });
});
