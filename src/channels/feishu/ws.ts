/**
 * The long connection (FEISHU_MODE=ws), for units whose servers have no public address: the SDK's
 * `WSClient` (endpoint discovery at `${domain}/callback/ws/endpoint`, then a WebSocket speaking pbbp2)
 * hands each event to an `EventDispatcher`; what the dispatcher returns goes back in the frame's ACK,
 * which for a card callback is the callback's answer (toast, updated card).
 *
 * The dispatcher here takes the envelope as it arrived instead of registering one handler per event
 * type: the SDK's handlers get the envelope flattened (`{...header, ...event}`), where a card
 * callback's update token overwrites the header's Verification Token, and an event type without a
 * handler is answered with the string `no <type> event handle`. The same decoding as the webhook then
 * reads every event type, and unknown ones are acknowledged and logged alike.
 *
 * Vendor docs:
 * - https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/request-url-configuration-case
 * - callbacks over the long connection: https://open.feishu.cn/document/event-subscription-guide/callback-subscription/step-1-choose-a-subscription-mode/configure-callback-request-address
 * - Node SDK: https://open.feishu.cn/document/server-side-sdk/nodejs-sdk/handling-events
 *
 * @example const conn = startFeishuLongConnection({ appId, appSecret, baseUrl, logger, handle })
 */
import * as lark from '@larksuiteoapi/node-sdk';
import type { Logger } from '../../app/ports';
import { createHttpInstance, createSdkLogger } from './client';
import { decryptFeishu } from './verify';

/** `WSClient.start` silently refuses other app ids (it only logs `invalid appId`). */
export const WS_APP_ID = /^cli_[0-9a-fA-F]{16}$/;

/** What the long connection needs. */
export interface LongConnectionOptions {
  appId: string;
  appSecret: string;
  baseUrl: string;
  encryptKey?: string;
  logger: Logger;
  /** Handles one (decrypted) envelope; resolves to what the platform gets back (a card callback's answer). */
  handle(envelope: Record<string, unknown>): Promise<unknown>;
}

/** A running long connection. */
export interface LongConnection {
  close(): void;
}

/** An EventDispatcher that passes each envelope on as it arrived (see the module comment). */
class EnvelopeDispatcher extends lark.EventDispatcher {
  constructor(
    private readonly onEnvelope: (data: unknown) => Promise<unknown>,
    params: ConstructorParameters<typeof lark.EventDispatcher>[0],
  ) {
    super(params);
  }

  // WSClient calls invoke(data, { needCheck: false }) with the frame's JSON and puts the result in the ACK.
  override async invoke(data: unknown): Promise<unknown> {
    return this.onEnvelope(data);
  }
}

/** Starts the long connection; it reconnects by itself until closed. Throws for an app id the SDK would refuse. */
export function startFeishuLongConnection(options: LongConnectionOptions): LongConnection {
  const { appId, appSecret, baseUrl, encryptKey, logger } = options;
  if (!WS_APP_ID.test(appId)) throw new Error('FEISHU_APP_ID must look like cli_ followed by 16 hex digits for the long connection');
  const sdkLogger = createSdkLogger(logger);
  const dispatcher = new EnvelopeDispatcher(
    async (data) => {
      let envelope: Record<string, unknown> | undefined;
      try {
        envelope = data && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
        if (envelope && typeof envelope.encrypt === 'string') {
          if (!encryptKey) throw new Error('an encrypted event, but FEISHU_ENCRYPT_KEY is not set');
          const plain: unknown = JSON.parse(decryptFeishu(envelope.encrypt, encryptKey));
          envelope = plain && typeof plain === 'object' ? (plain as Record<string, unknown>) : undefined;
        }
        if (!envelope) throw new Error('not a JSON object');
      } catch (err) {
        // A payload we cannot read would come back forever if refused: acknowledged and logged.
        logger.error('feishu long connection: event dropped', { detail: err instanceof Error ? err.message : typeof err });
        return {};
      }
      // A failure to record throws: the SDK then answers 500 and Feishu pushes the event again.
      return options.handle(envelope);
    },
    { logger: sdkLogger, loggerLevel: lark.LoggerLevel.info },
  );
  const client = new lark.WSClient({
    appId,
    appSecret,
    domain: baseUrl,
    httpInstance: createHttpInstance(15_000),
    logger: sdkLogger,
    loggerLevel: lark.LoggerLevel.info,
    onReady: () => logger.info('feishu long connection ready'),
    onReconnected: () => logger.info('feishu long connection reconnected'),
    onError: (err) => logger.error('feishu long connection failed', { detail: err.message }),
  });
  void client.start({ eventDispatcher: dispatcher });
  return { close: () => client.close({ force: true }) };
}
