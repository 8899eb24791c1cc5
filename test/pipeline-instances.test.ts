/**
 * The pipeline when several instances share one store (Workers isolates): events handed off (to a
 * Queue) are processed by `drainChat` under the chat's lease, in order, by one instance at a time;
 * `sweep` takes up what an instance that ended left behind; a reply that keeps failing is left for
 * the sweep after a few attempts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../src/app/pipeline';
import type { Bot } from '../src/app/bot';
import type { Logger } from '../src/app/ports';
import { SendError } from '../src/channels/adapter';
import type { InboxEntry } from '../src/core/messages';
import { createMemoryStore } from '../src/store/memory';
import type { Store } from '../src/store/port';
import { createFakeBot } from './helpers/fake-bot';
import { createTestChannel, testRequest as request, textsOf, until } from './helpers/test-channel';

const pipelines: Pipeline[] = [];
afterEach(() => {
  for (const p of pipelines.splice(0)) p.close();
});

const logged: string[] = [];
const logger: Logger = { info: () => {}, error: (m) => void logged.push(m) };

/** An instance: its own pipeline and channel over the shared store; handed-off entries go to `queue`. */
function instance(store: Store, bot: Bot, queue: InboxEntry[] | 'none' | 'broken', now?: () => Date) {
  const channel = createTestChannel();
  const pipeline = createPipeline({
    store,
    bot,
    channels: [channel],
    logger,
    retry: { firstMs: 1, maxMs: 2, inProcessAttempts: 2 },
    ...(now ? { now } : {}),
    handOff: async (entry) => {
      if (queue === 'broken') throw new Error('queue unavailable');
      if (queue === 'none') return false;
      queue.push(entry);
      return true;
    },
  });
  pipelines.push(pipeline);
  return { channel, pipeline };
}

describe('the pipeline across instances sharing one store', () => {
  it('hands a recorded event off instead of processing it, and drainChat processes the chat in order', async () => {
    const store = createMemoryStore();
    const bot = createFakeBot(store);
    const queue: InboxEntry[] = [];
    const a = instance(store, bot, queue);
    await a.pipeline.receive('feishu', request({ id: '1', text: 'first' }));
    await a.pipeline.receive('feishu', request({ id: '2', text: 'second' }));
    await a.pipeline.receive('feishu', request({ id: '1', text: 'first' })); // a duplicate: not handed off
    expect(queue.map((e) => e.id)).toEqual(['feishu:ev:1', 'feishu:ev:2']);
    await a.pipeline.idle();
    expect(bot.seen).toEqual([]);

    // Another instance takes the queue message up.
    const b = instance(store, bot, queue);
    expect(await b.pipeline.drainChat('feishu', 'feishu:c1')).toBe('done');
    await b.pipeline.idle();
    expect(bot.seen.map((m) => m.text)).toEqual(['first', 'second']);
    expect(textsOf(b.channel.sent)).toEqual(['echo first', 'echo second']);
    expect(await store.listPending()).toEqual({ inbound: [], outbound: [] });
    // Draining again finds nothing.
    expect(await a.pipeline.drainChat('feishu', 'feishu:c1')).toBe('done');
    expect(bot.seen).toHaveLength(2);
  });

  it('lets one instance at a time process a chat: another is told busy, and the holder takes up what arrives meanwhile', async () => {
    const store = createMemoryStore();
    const bot = createFakeBot(store);
    const queue: InboxEntry[] = [];
    const a = instance(store, bot, queue);
    const b = instance(store, bot, queue);
    await a.pipeline.receive('feishu', request({ id: '1', text: 'wait' }));
    const draining = a.pipeline.drainChat('feishu', 'feishu:c1');
    await until(() => bot.seen.length === 1);
    // B is delivered the next event of the same chat while A is busy with the first.
    await b.pipeline.receive('feishu', request({ id: '2', text: 'after' }));
    expect(await b.pipeline.drainChat('feishu', 'feishu:c1')).toBe('busy');
    // Other chats are not held up.
    await b.pipeline.receive('feishu', request({ id: '3', chat: 'c2', text: 'elsewhere' }));
    expect(await b.pipeline.drainChat('feishu', 'feishu:c2')).toBe('done');
    bot.release('feishu:c1');
    expect(await draining).toBe('done');
    await a.pipeline.idle();
    await b.pipeline.idle();
    expect(bot.seen.map((m) => m.text)).toEqual(['wait', 'elsewhere', 'after']);
    expect(textsOf(a.channel.sent)).toEqual(['waited', 'echo after']);
    // The lease was given up: B may drain the chat now.
    expect(await b.pipeline.drainChat('feishu', 'feishu:c1')).toBe('done');
  });

  it('drains the chat itself when there is no queue, or the queue refuses (logged)', async () => {
    const store = createMemoryStore();
    const bot = createFakeBot(store);
    const none = instance(store, bot, 'none');
    await none.pipeline.receive('feishu', request({ id: '1', text: 'no queue' }));
    await none.pipeline.idle();
    expect(textsOf(none.channel.sent)).toEqual(['echo no queue']);
    logged.length = 0;
    const broken = instance(store, bot, 'broken');
    await broken.pipeline.receive('feishu', request({ id: '2', chat: 'c2', text: 'queue down' }));
    await broken.pipeline.idle();
    expect(textsOf(broken.channel.sent)).toEqual(['echo queue down']);
    expect(logged).toContain('handing an event off failed; processing it here');
  });

  it('sweeps events and replies an ended instance left behind once they are old enough', async () => {
    let t = Date.parse('2026-03-01T08:00:00Z');
    const now = () => new Date(t);
    const store = createMemoryStore({ now });
    const bot = createFakeBot(store);
    // The queue message is lost (the isolate ended before the consumer ran).
    const lost: InboxEntry[] = [];
    const a = instance(store, bot, lost, now);
    await a.pipeline.receive('feishu', request({ id: '1', text: 'left behind' }));
    // A reply recorded but never sent.
    await store.enqueueOutbound([{ id: 'r1', channel: 'feishu', target: { chatId: 'feishu:c9', chatType: 'group' }, item: { kind: 'text', text: 'unsent' }, createdAt: t }]);
    const cron = instance(store, bot, [], now);
    expect(await cron.pipeline.sweep(60_000)).toEqual({ inbound: 0, outbound: 0, busy: 0 });
    t += 61_000;
    expect(await cron.pipeline.sweep(60_000)).toEqual({ inbound: 1, outbound: 1, busy: 0 });
    await cron.pipeline.idle();
    expect(textsOf(cron.channel.sent).sort()).toEqual(['echo left behind', 'unsent']);
    expect(await store.listPending()).toEqual({ inbound: [], outbound: [] });
  });

  it('leaves a reply that keeps failing recorded after its attempts here, and the sweep sends it', async () => {
    let t = Date.parse('2026-03-01T08:00:00Z');
    const now = () => new Date(t);
    const store = createMemoryStore({ now });
    const bot = createFakeBot(store);
    const a = instance(store, bot, 'none', now);
    a.channel.failNext(new SendError('throttled', true), new SendError('throttled', true));
    await a.pipeline.receive('feishu', request({ id: '1', text: 'hello' }));
    await a.pipeline.idle();
    expect(a.channel.sent).toEqual([]);
    expect((await store.listPending()).outbound.map((d) => d.id)).toEqual(['feishu:ev:1#0']);
    t += 61_000;
    await a.pipeline.sweep(60_000);
    await a.pipeline.idle();
    expect(textsOf(a.channel.sent)).toEqual(['echo hello']);
    expect((await store.listPending()).outbound).toEqual([]);
  });
});
