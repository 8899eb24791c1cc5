/**
 * A durable test channel for pipeline tests: it decodes JSON requests into one event each, answers
 * with what it saw of the results, and keeps what it is asked to send (failing on demand).
 */
import { expect } from 'vitest';
import { SendError, type ChannelAdapter, type EventResult, type Receipt } from '../../src/channels/adapter';
import type { Delivery, InboundMessage } from '../../src/core/messages';

/** A request to the test channel: one message (or a card press) per request. */
export interface TestRequest {
  id: string;
  chat?: string;
  text: string;
  /** How long the acknowledgement may wait for the result (a card callback), ms. */
  waitMs?: number;
}

/** The test channel: what it sent, the results it acknowledged, and a way to make sends fail. */
export type TestChannel = ChannelAdapter & {
  sent: Delivery[];
  acks: EventResult[][];
  /** The next sends throw these, one each, in order. */
  failNext(...errs: Array<SendError | Error>): void;
};

/** A durable channel with id `feishu`; chats are `feishu:<chat>` (`feishu:c1` by default). */
export function createTestChannel(): TestChannel {
  const sent: Delivery[] = [];
  const acks: EventResult[][] = [];
  let failures: Array<SendError | Error> = [];
  return {
    id: 'feishu',
    durable: true,
    sent,
    acks,
    failNext: (...errs) => void (failures = errs),
    async receive(req): Promise<Receipt> {
      const body = (await req.json()) as TestRequest;
      const chatId = `feishu:${body.chat ?? 'c1'}`;
      const message: InboundMessage = { channel: 'feishu', chatId, chatType: 'group', userId: 'u1', userName: '张三', text: body.text, receivedAt: 0 };
      return {
        kind: 'events',
        waitMs: body.waitMs ?? 0,
        events: [{ id: `feishu:ev:${body.id}`, keys: [`feishu:ev:${body.id}`], channel: 'feishu', message, replyTo: { chatId, chatType: 'group', userId: 'u1' } }],
        respond: (results) => {
          acks.push(results);
          return Response.json({ results });
        },
      };
    },
    async send(d) {
      const err = failures.shift();
      if (err) throw err;
      sent.push(d);
    },
  };
}

/** A webhook request to the test channel. */
export function testRequest(body: TestRequest): Request {
  return new Request('http://test/webhook/feishu', { method: 'POST', body: JSON.stringify(body) });
}

/** The texts of deliveries (the kind for anything that is not text). */
export const textsOf = (ds: Delivery[]) => ds.map((d) => (d.item.kind === 'text' ? d.item.text : d.item.kind));

/** Waits until `ready()` holds (processing starts after the I/O already pending, so not at once); fails if it never does. */
export async function until(ready: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ready(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ready()).toBe(true);
}
