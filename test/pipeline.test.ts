import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../src/app/pipeline';
import type { Bot } from '../src/app/bot';
import type { Logger } from '../src/app/ports';
import { SendError, type ChannelAdapter } from '../src/channels/adapter';
import type { HandleResult } from '../src/core/messages';
import { openLowdbStore } from '../src/store/lowdb';
import { createMemoryStore } from '../src/store/memory';
import type { Store } from '../src/store/port';
import { createFakeBot } from './helpers/fake-bot';
import { createTestChannel, testRequest as request, textsOf, until } from './helpers/test-channel';

const dirs: string[] = [];
const pipelines: Pipeline[] = [];
afterEach(async () => {
  for (const p of pipelines.splice(0)) p.close();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const quiet: Logger = { info: () => {}, error: () => {} };

function start(store: Store, bot: Bot, channel: ChannelAdapter, retry = { firstMs: 5, maxMs: 20 }): Pipeline {
  const p = createPipeline({ store, bot, channels: [channel], logger: quiet, retry });
  pipelines.push(p);
  return p;
}

describe('the pipeline for a durable channel', () => {
  it('records an event before the acknowledgement and processes it after, once', async () => {
    const store = createMemoryStore();
    const bot = createFakeBot(store);
    const channel = createTestChannel();
    const pipeline = start(store, bot, channel);

    const ack = await pipeline.receive('feishu', request({ id: '1', text: 'wait' }));
    expect(ack.status).toBe(200);
    // Acknowledged while the bot is still busy with it: recorded, not processed.
    expect((await store.listPending()).inbound.map((e) => e.id)).toEqual(['feishu:ev:1']);
    expect(channel.sent).toEqual([]);
    // The same event again: a duplicate, not recorded or processed again.
    await pipeline.receive('feishu', request({ id: '1', text: 'wait' }));
    expect(channel.acks[1]).toEqual([{ status: 'duplicate' }]);

    await until(() => bot.seen.length === 1);
    bot.release('feishu:c1');
    await pipeline.idle();
    expect(bot.seen.map((m) => m.text)).toEqual(['wait']);
    expect(bot.seen[0]!.messageId).toBe('feishu:ev:1');
    expect(textsOf(channel.sent)).toEqual(['waited']);
    expect(await store.listPending()).toEqual({ inbound: [], outbound: [] });
  });

  it('processes one chat in arrival order while other chats go on', async () => {
    const store = createMemoryStore();
    const bot = createFakeBot(store);
    const channel = createTestChannel();
    const pipeline = start(store, bot, channel);
    await pipeline.receive('feishu', request({ id: '1', text: 'wait' }));
    await pipeline.receive('feishu', request({ id: '2', text: 'second' }));
    await pipeline.receive('feishu', request({ id: '3', chat: 'c2', text: 'other chat' }));
    await until(() => bot.seen.length === 2);
    await new Promise((r) => setTimeout(r, 20));
    // c2 was not held up by c1's slow message; c1's second waits its turn.
    expect(bot.seen.map((m) => m.text)).toEqual(['wait', 'other chat']);
    bot.release('feishu:c1');
    await pipeline.idle();
    expect(bot.seen.map((m) => m.text)).toEqual(['wait', 'other chat', 'second']);
    expect(textsOf(channel.sent.filter((d) => d.target.chatId === 'feishu:c1'))).toEqual(['waited', 'echo second']);
  });

  it('after a crash, processes what was recorded but not processed exactly once, in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jx-pipeline-'));
    dirs.push(dir);
    const first = await openLowdbStore(dir);
    const stuckBot = createFakeBot(first);
    const firstChannel = createTestChannel();
    const crashed = start(first, stuckBot, firstChannel);
    await crashed.receive('feishu', request({ id: '1', text: 'wait' }));
    await crashed.receive('feishu', request({ id: '2', text: 'after the wait' }));
    // The process dies here: the bot never finished, nothing was sent.
    crashed.close();

    const second = await openLowdbStore(dir);
    const bot = createFakeBot(second);
    const channel = createTestChannel();
    const pipeline = start(second, bot, channel);
    expect(await pipeline.recover()).toEqual({ inbound: 2, outbound: 0 });
    // Redelivery by the platform after the restart is still a duplicate.
    await pipeline.receive('feishu', request({ id: '2', text: 'after the wait' }));
    await until(() => bot.seen.length === 1);
    bot.release('feishu:c1');
    await pipeline.idle();
    expect(bot.seen.map((m) => m.text)).toEqual(['wait', 'after the wait']);
    expect(textsOf(channel.sent)).toEqual(['waited', 'echo after the wait']);
    expect(firstChannel.sent).toEqual([]);
    expect(await second.listPending()).toEqual({ inbound: [], outbound: [] });
  });

  it('sends a reply again after a platform error, in order and once, and gives up on a permanent error', async () => {
    const store = createMemoryStore();
    const bot = createFakeBot(store);
    const channel = createTestChannel();
    const pipeline = start(store, bot, channel);
    channel.failNext(new SendError('rate limited', true, 30), new Error('socket hang up'));
    await pipeline.receive('feishu', request({ id: '1', text: 'one' }));
    await pipeline.receive('feishu', request({ id: '2', text: 'two' }));
    await pipeline.idle();
    expect(textsOf(channel.sent)).toEqual(['echo one', 'echo two']);

    channel.failNext(new SendError('the bot is not in the group', false));
    await pipeline.receive('feishu', request({ id: '3', text: 'three' }));
    await pipeline.receive('feishu', request({ id: '4', text: 'four' }));
    await pipeline.idle();
    expect(textsOf(channel.sent)).toEqual(['echo one', 'echo two', 'echo four']);
    expect((await store.listPending()).outbound).toEqual([]);
  });

  it('sends after a restart the replies recorded but not sent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jx-pipeline-'));
    dirs.push(dir);
    const first = await openLowdbStore(dir);
    const channel = createTestChannel();
    const crashed = start(first, createFakeBot(first), channel, { firstMs: 60_000, maxMs: 60_000 });
    channel.failNext(new SendError('platform down', true));
    await crashed.receive('feishu', request({ id: '1', text: 'one' }));
    await new Promise((r) => setTimeout(r, 30));
    crashed.close();
    expect(channel.sent).toEqual([]);

    const second = await openLowdbStore(dir);
    const again = createTestChannel();
    const pipeline = start(second, createFakeBot(second), again);
    expect(await pipeline.recover()).toEqual({ inbound: 0, outbound: 1 });
    await pipeline.idle();
    expect(textsOf(again.sent)).toEqual(['echo one']);
    expect(again.sent[0]!.id).toBe('feishu:ev:1#0');
  });

  it('puts a card press result into the acknowledgement when ready in time, and updates the card later when not', async () => {
    const store = createMemoryStore();
    let gate: (() => void) | undefined;
    const pressed: HandleResult = { replies: [{ kind: 'text', text: 'next question' }], pressed: { ok: true, toast: '已记录', card: { title: 'Q', text: 'answered' } } };
    const bot: Bot = {
      handle: async (msg) => {
        if (msg.text === 'slow') await new Promise<void>((r) => (gate = r));
        return pressed;
      },
    };
    const channel = createTestChannel();
    const pipeline = start(store, bot, channel);

    await pipeline.receive('feishu', request({ id: '1', text: 'fast', waitMs: 5_000 }));
    expect(channel.acks[0]).toEqual([{ status: 'done', result: pressed }]);
    await pipeline.idle();
    expect(channel.sent.map((d) => d.item.kind)).toEqual(['text']);

    await pipeline.receive('feishu', request({ id: '2', text: 'slow', waitMs: 20 }));
    expect(channel.acks[1]).toEqual([{ status: 'pending' }]);
    gate!();
    await pipeline.idle();
    const later = channel.sent.slice(1);
    expect(later.map((d) => d.item)).toEqual([{ kind: 'text', text: 'next question' }, { kind: 'press', feedback: pressed.pressed }]);
    // Not before the callback was answered.
    expect(later[1]!.notBefore).toBeGreaterThan(later[1]!.createdAt);
  });

  it('answers in the chat when the bot fails, and refuses to acknowledge when the inbox cannot record', async () => {
    const store = createMemoryStore();
    const bot = createFakeBot(store);
    const channel = createTestChannel();
    const pipeline = start(store, bot, channel);
    await pipeline.receive('feishu', request({ id: '1', text: 'boom' }));
    await pipeline.idle();
    expect(textsOf(channel.sent)[0]).toMatch(/出错/);
    expect((await store.listPending()).inbound).toEqual([]);

    const broken: Store = { ...store, recordInbound: () => Promise.reject(new Error('EIO: disk failed')) };
    const refusing = start(broken, bot, createTestChannel());
    const res = await refusing.receive('feishu', request({ id: '2', text: 'lost?' }));
    expect(res.status).toBe(503);
    expect(bot.seen.map((m) => m.text)).toEqual(['boom']);
  });
});

describe('events handed off to a queue (Workers)', () => {
  function startHandedOff() {
    const store = createMemoryStore();
    const bot = createFakeBot(store);
    const channel = createTestChannel();
    const handed: string[] = [];
    const pipeline = createPipeline({ store, bot, channels: [channel], logger: quiet, retry: { firstMs: 5, maxMs: 20 }, handOff: async (e) => (handed.push(e.message.chatId), true) });
    pipelines.push(pipeline);
    return { store, bot, channel, handed, pipeline };
  }

  it('drainChat returns once the replies of what it processed were sent (a queue invocation waits for nothing else)', async () => {
    const { channel, handed, pipeline } = startHandedOff();
    // Replies of a chat spaced out, as Feishu's 5 a second are: the second goes out 50 ms after the first.
    (channel as { sendIntervalMs?: number }).sendIntervalMs = 50;
    await pipeline.receive('feishu', request({ id: '1', text: 'one' }));
    await pipeline.receive('feishu', request({ id: '2', text: 'two' }));
    expect(handed).toEqual(['feishu:c1', 'feishu:c1']);
    expect(channel.sent).toEqual([]);
    expect(await pipeline.drainChat('feishu', 'feishu:c1')).toBe('done');
    expect(textsOf(channel.sent)).toEqual(['echo one', 'echo two']);
  });

  it('lets one drain of a chat at a time hold it, even two in the same instance', async () => {
    const { bot, channel, pipeline } = startHandedOff();
    await pipeline.receive('feishu', request({ id: '1', text: 'wait' }));
    const first = pipeline.drainChat('feishu', 'feishu:c1');
    await until(() => bot.seen.length === 1);
    expect(await pipeline.drainChat('feishu', 'feishu:c1')).toBe('busy');
    bot.release('feishu:c1');
    expect(await first).toBe('done');
    expect(bot.seen.map((m) => m.text)).toEqual(['wait']);
    expect(textsOf(channel.sent)).toEqual(['waited']);
  });
});
