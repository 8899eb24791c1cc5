/**
 * A restart between "recorded" (the 200 went out) and "processed": the event is processed exactly once
 * after the restart, its reply posted once, and Feishu's later retry of the same event is not taken
 * again. Once in this process (a pipeline whose bot never finishes, dropped, then a new store and
 * server on the same data directory), once with a server process killed with SIGKILL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bot } from '../src/app/bot';
import type { InboundMessage } from '../src/core/messages';
import { openLowdbStore } from '../src/store/lowdb';
import { killProcess, spawnServer, type ServerProcess } from './helpers/process';
import {
  BOT_NAME,
  BOT_OPEN_ID,
  FAKE_APP_ID,
  FAKE_APP_SECRET,
  FAKE_ENCRYPT_KEY,
  FAKE_VERIFICATION_TOKEN,
  feishuEvents,
  signFeishuRequest,
  startFakeFeishu,
  type FakeFeishu,
} from './fakes/feishu';
import { startFeishuHarness, tempDir } from './fakes/feishu-harness';

const GROUP = 'oc_group_restart';
const ZHANG = 'ou_zhangsan000000000000000000000001';
const say = (text: string) => feishuEvents.text({ chatId: GROUP, sender: ZHANG, text: `@_user_1 ${text}`, mentions: [{ openId: BOT_OPEN_ID, name: BOT_NAME }] });

let fake: FakeFeishu;
let dir: Awaited<ReturnType<typeof tempDir>>;
const processes: ServerProcess[] = [];
beforeEach(async () => {
  fake = await startFakeFeishu();
  dir = await tempDir('jx-feishu-restart-');
});
afterEach(async () => {
  for (const p of processes.splice(0)) await killProcess(p.child);
  await fake.close();
  await dir.remove();
});

/** A bot that never finishes: the run dies with the event recorded and not processed. */
const stuckBot = (): Bot & { seen: InboundMessage[] } => {
  const seen: InboundMessage[] = [];
  return { seen, handle: (msg) => (seen.push(msg), new Promise<never>(() => {})) };
};
const answeringBot = (): Bot & { seen: InboundMessage[] } => {
  const seen: InboundMessage[] = [];
  return { seen, handle: async (msg) => (seen.push(msg), { replies: [{ kind: 'text', text: `processed ${msg.text}` }] }) };
};

describe('a restart between recorded and processed', () => {
  it('processes the event once after the restart (in process)', async () => {
    const first = stuckBot();
    const before = await startFeishuHarness({ fake, dataDir: dir.dir, makeBot: () => first });
    const event = say('6091.91');
    expect((await before.post(event)).status).toBe(200);
    expect((await before.store.listPending()).inbound.map((e) => e.id)).toEqual([`feishu:ev:${event.header.event_id}`]);
    // The run is dropped with its bot still busy: nothing was processed or sent.
    await before.close();
    expect(fake.messages).toEqual([]);

    const second = answeringBot();
    const after = await startFeishuHarness({ fake, dataDir: dir.dir, makeBot: () => second });
    await after.pipeline.idle();
    expect(second.seen.map((m) => [m.text, m.messageId])).toEqual([['6091.91', `feishu:ev:${event.header.event_id}`]]);
    expect(fake.messages.map((m) => m.content.text)).toEqual(['processed 6091.91']);
    // Feishu delivers it again (its retries run for hours): acknowledged, not taken again.
    expect((await after.post(event)).status).toBe(200);
    await after.pipeline.idle();
    expect(second.seen).toHaveLength(1);
    await after.close();

    // A third run finds nothing left to do.
    const third = answeringBot();
    const again = await startFeishuHarness({ fake, dataDir: dir.dir, makeBot: () => third });
    await again.pipeline.idle();
    expect(third.seen).toEqual([]);
    expect(fake.messages).toHaveLength(1);
    await again.close();
  });

  it('processes the event once after SIGKILL and a new process', { timeout: 120_000 }, async () => {
    const env = {
      PORT: '0',
      DATA_DIR: dir.dir,
      FEISHU_APP_ID: FAKE_APP_ID,
      FEISHU_APP_SECRET: FAKE_APP_SECRET,
      FEISHU_VERIFICATION_TOKEN: FAKE_VERIFICATION_TOKEN,
      FEISHU_ENCRYPT_KEY: FAKE_ENCRYPT_KEY,
      FEISHU_BASE_URL: fake.url,
    };
    const post = (server: ServerProcess, envelope: unknown) => {
      const req = signFeishuRequest(envelope, { encryptKey: FAKE_ENCRYPT_KEY });
      return fetch(`${server.baseUrl}/webhook/feishu`, { method: 'POST', headers: req.headers, body: req.body });
    };
    const first = await spawnServer('test/fakes/feishu-server.ts', { ...env, FEISHU_TEST_BLOCK: '1' });
    processes.push(first);
    const event = say('860.29');
    expect((await post(first, event)).status).toBe(200);
    await killProcess(first.child, 'SIGKILL');
    expect(fake.messages).toEqual([]);

    const second = await spawnServer('test/fakes/feishu-server.ts', env);
    processes.push(second);
    await fake.waitForCall((c) => c.path.endsWith('/reply') && c.status === 200);
    expect((await post(second, event)).status).toBe(200);
    await killProcess(second.child, 'SIGTERM');
    expect(fake.messages.map((m) => m.content.text)).toEqual(['processed 860.29']);
    const store = await openLowdbStore(dir.dir, { readOnly: true });
    expect(await store.listPending()).toEqual({ inbound: [], outbound: [] });
  });
});
