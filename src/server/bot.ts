/**
 * The bot service: loads the chat's state from the store, runs the dialog engine, persists what
 * changed (durably, before replying) and returns the replies. Shared by every channel.
 */
import type { InboundMessage, Reply } from '../channels/types';

/** What channels call with each inbound message. */
export interface Bot {
  handle(msg: InboundMessage): Promise<Reply[]>;
}
