/** Test helpers: small records for store tests (a carried framework, an inbound event, a recorded reply). */
import { readFileSync } from 'node:fs';
import type { FrameworkInput } from '../../src/core/framework/schema';
import type { Delivery, InboxEntry } from '../../src/core/messages';

/** An imported framework as an evaluation carries it (nanjing-2020's file under another id). */
export function carriedFramework(): FrameworkInput {
  return { ...(JSON.parse(readFileSync('templates/frameworks/nanjing-2020.json', 'utf8')) as FrameworkInput), id: 'import-carried' };
}

/** An inbound event as a platform channel records it. */
export function inbox(id: string): InboxEntry {
  return {
    id,
    channel: 'feishu',
    message: { channel: 'feishu', chatId: 'feishu:oc_1', chatType: 'group', userId: 'ou_1', text: '6091.91', messageId: id, receivedAt: 1 },
    replyTo: { chatId: 'feishu:oc_1', chatType: 'group', userId: 'ou_1', context: { messageId: 'om_1' } },
    receivedAt: 1,
  };
}

/** A reply recorded for sending. */
export function delivery(id: string): Delivery {
  return { id, channel: 'feishu', target: { chatId: 'feishu:oc_1', chatType: 'group' }, item: { kind: 'text', text: `reply ${id}` }, createdAt: 1 };
}
