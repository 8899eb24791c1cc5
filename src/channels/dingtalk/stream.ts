/**
 * DingTalk Stream mode (DINGTALK_MODE=stream): the server dials out to DingTalk over a WebSocket, so an
 * intranet server with no public address receives robot messages.
 * https://open.dingtalk.com/document/direction/stream-mode-protocol-access-description
 *
 * Built on the `dingtalk-stream` SDK (2.1.5) for the frames (SYSTEM ping echo, CALLBACK dispatch, ACK),
 * with what the published version gets wrong done here instead:
 * - Its reconnect is off (`autoReconnect = false`): an error before `open` made both its error and its
 *   close path reconnect (a storm doubling every second), and its keep-alive interval outlived the socket
 *   and killed the next one. Here every connection is a fresh client, at most one connects at a time,
 *   and a lost connection is retried with exponential back-off and jitter.
 * - A watchdog pings the socket and replaces a connection that has been silent too long (a half-dead
 *   socket never emits `close`), or that is gone without our noticing.
 * - A SYSTEM `disconnect` (the server rotating connections) opens the next connection at once.
 * - A malformed frame is logged, not thrown inside the socket's message handler.
 * - Each client has its own subscription list (the SDK's constructor shares a module-level default).
 * - The gateway is opened at `{DINGTALK_API_BASE}/v1.0/gateway/connections/open` (the SDK has the public
 *   URL hard-coded), so a local fake can stand in for DingTalk in tests.
 *
 * @example
 * const stream = await startDingTalkStream({ clientId, clientSecret, apiBase, logger, onCallback: async (data) => record(data) })
 * await stream.stop()
 */
import { DWClient, TOPIC_ROBOT, type DWClientDownStream } from 'dingtalk-stream';
import type { Logger } from '../../app/ports';

/** Back-off of reconnects: the first wait, doubled each failed attempt up to the longest, plus up to `firstMs` of jitter. */
export interface ReconnectPolicy {
  firstMs: number;
  maxMs: number;
  /** A connection that lived this long resets the back-off. */
  stableMs: number;
}

/** How often the watchdog pings, and how long a connection may be silent before it is replaced. */
export interface WatchdogPolicy {
  intervalMs: number;
  silenceMs: number;
}

const DEFAULT_RECONNECT: ReconnectPolicy = { firstMs: 500, maxMs: 60_000, stableMs: 30_000 };
const DEFAULT_WATCHDOG: WatchdogPolicy = { intervalMs: 15_000, silenceMs: 45_000 };
const GATEWAY_TIMEOUT_MS = 10_000;

/** What the Stream receiver needs. */
export interface StreamOptions {
  /** The app key (Client ID). */
  clientId: string;
  /** The app secret (Client Secret). */
  clientSecret: string;
  /** DINGTALK_API_BASE: the gateway is opened at `{apiBase}/v1.0/gateway/connections/open`. */
  apiBase: string;
  logger: Logger;
  /**
   * Records one robot callback (the frame's `data`, the same JSON as an HTTP callback body). Resolves
   * true when it may be acknowledged: recorded, a duplicate, or not worth a redelivery; false when it
   * could not be recorded (DingTalk then delivers it again in about a minute).
   */
  onCallback(data: string): Promise<boolean>;
  reconnect?: Partial<ReconnectPolicy>;
  watchdog?: Partial<WatchdogPolicy>;
}

/** A running Stream receiver. */
export interface DingTalkStream {
  /** True while a connection is open. */
  connected(): boolean;
  /** How many connections have been opened so far. */
  connections(): number;
  /** Closes the connection and stops reconnecting. */
  stop(): Promise<void>;
}

/** The socket the SDK keeps privately, as much of it as the watchdog uses (a `ws` WebSocket). */
interface SocketLike {
  readyState: number;
  ping(): void;
  close(): void;
  terminate(): void;
  once(event: 'close', listener: () => void): unknown;
  on(event: 'pong', listener: () => void): unknown;
}
const OPEN = 1;

/** One connection: a fresh SDK client whose gateway is DINGTALK_API_BASE's and whose frames are guarded. */
class GatewayClient extends DWClient {
  constructor(
    private readonly apiBase: string,
    credentials: { clientId: string; clientSecret: string },
    private readonly hooks: { activity(): void; rotating(): void; badFrame(): void },
  ) {
    super({ ...credentials, keepAlive: false });
    // Our reconnect replaces the SDK's (see the top of this file); the constructor's type does not take it.
    this.config.autoReconnect = false;
    // Our own array: the SDK's default subscriptions are one module-level array shared by every client.
    this.config.subscriptions = [];
  }

  /**
   * Opens the gateway (`POST /v1.0/gateway/connections/open` with the subscriptions) and keeps the
   * WebSocket URL with its one-time ticket. The SDK's own version posts to the public URL only.
   * https://open.dingtalk.com/document/direction/stream-mode-protocol-access-description
   */
  override async getEndpoint(): Promise<this> {
    const res = await fetch(`${this.apiBase}/v1.0/gateway/connections/open`, {
      method: 'POST',
      // Without Accept: application/json the gateway answers in XML (a note in the SDK's source).
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: this.config.clientId,
        clientSecret: this.config.clientSecret,
        ua: this.config.ua ?? '',
        subscriptions: this.config.subscriptions,
      }),
      signal: AbortSignal.timeout(GATEWAY_TIMEOUT_MS),
    });
    const body = (await res.json().catch(() => ({}))) as { endpoint?: unknown; ticket?: unknown; code?: unknown };
    if (!res.ok || typeof body.endpoint !== 'string' || typeof body.ticket !== 'string') {
      throw new Error(`gateway connections/open: HTTP ${res.status}${typeof body.code === 'string' ? ` ${body.code}` : ''}`);
    }
    (this as unknown as { dw_url: string }).dw_url = `${body.endpoint}?ticket=${encodeURIComponent(body.ticket)}`;
    return this;
  }

  /** Parses a frame once, guarded (the SDK's parse throws inside the socket handler), then dispatches it as the SDK does. */
  override onDownStream(data: string): void {
    let msg: DWClientDownStream;
    try {
      msg = JSON.parse(String(data)) as DWClientDownStream;
      if (!msg || typeof msg !== 'object' || !msg.headers) throw new Error('not a frame');
    } catch {
      this.hooks.badFrame();
      return;
    }
    this.hooks.activity();
    try {
      if (msg.type === 'SYSTEM') {
        // The server announces it will close this connection (about 10 s later): open the next one now.
        if (msg.headers.topic === 'disconnect') this.hooks.rotating();
        this.onSystem(msg);
      } else if (msg.type === 'CALLBACK') this.onCallback(msg);
      else if (msg.type === 'EVENT') this.onEvent(msg);
    } catch {
      this.hooks.badFrame();
    }
  }

  /** Closes for good, quietly (the SDK's version prints "Disconnecting." to the console, outside our JSON log). */
  override disconnect(): void {
    (this as unknown as { userDisconnect: boolean }).userDisconnect = true;
    try {
      this.rawSocket?.close();
    } catch {
      // Already closed.
    }
  }

  /** The open socket, if any. */
  get openSocket(): SocketLike | undefined {
    const s = (this as unknown as { socket?: SocketLike }).socket;
    return s && s.readyState === OPEN ? s : undefined;
  }

  get rawSocket(): SocketLike | undefined {
    return (this as unknown as { socket?: SocketLike }).socket;
  }
}

/**
 * Starts receiving robot messages over Stream. Resolves after the first attempt to connect, whether it
 * succeeded or not: a gateway that is down is retried in the background, and the server starts anyway.
 */
export async function startDingTalkStream(options: StreamOptions): Promise<DingTalkStream> {
  const { logger } = options;
  const apiBase = options.apiBase.replace(/\/+$/, '');
  const reconnect = { ...DEFAULT_RECONNECT, ...options.reconnect };
  const watchdog = { ...DEFAULT_WATCHDOG, ...options.watchdog };

  let current: GatewayClient | undefined;
  let openedAt = 0;
  let lastActivity = Date.now();
  let attempt = 0;
  let opened = 0;
  let connecting = false;
  let stopped = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  /** Connects a new client; on success it replaces the current one. Never throws. */
  async function connect(): Promise<void> {
    if (stopped || connecting) return;
    connecting = true;
    const client: GatewayClient = new GatewayClient(
      apiBase,
      { clientId: options.clientId, clientSecret: options.clientSecret },
      {
        activity: () => {
          if (client === current) lastActivity = Date.now();
        },
        rotating: () => {
          if (client !== current) return;
          logger.info('dingtalk stream: the server rotates the connection');
          void connect();
        },
        badFrame: () => logger.error('dingtalk stream: a frame that is not JSON was ignored'),
      },
    );
    client.registerCallbackListener(TOPIC_ROBOT, (frame: DWClientDownStream) => void acknowledge(client, frame));
    try {
      await client.getEndpoint();
      await client._connect();
    } catch (err) {
      connecting = false;
      client.disconnect();
      logger.error('dingtalk stream: connecting failed', { attempt: attempt + 1, error: err instanceof Error ? err.message : typeof err });
      scheduleReconnect();
      return;
    }
    connecting = false;
    if (stopped) {
      client.disconnect();
      return;
    }
    const socket = client.rawSocket;
    const previous = current;
    current = client;
    opened++;
    openedAt = Date.now();
    lastActivity = openedAt;
    socket?.on('pong', () => {
      if (client === current) lastActivity = Date.now();
    });
    socket?.once('close', () => {
      if (client !== current || stopped) return;
      // A connection that held for a while was fine: start the back-off from the beginning.
      if (Date.now() - openedAt >= reconnect.stableMs) attempt = 0;
      logger.error('dingtalk stream: connection lost, reconnecting', { attempt: attempt + 1 });
      current = undefined;
      scheduleReconnect();
    });
    logger.info('dingtalk stream: connected', { connections: opened });
    // The connection being replaced (rotation) delivered its last messages; close it.
    previous?.disconnect();
  }

  function scheduleReconnect(): void {
    if (stopped || retryTimer || connecting) return;
    const delay = Math.min(reconnect.firstMs * 2 ** Math.min(attempt, 30), reconnect.maxMs) + Math.floor(Math.random() * reconnect.firstMs);
    attempt++;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect();
    }, delay);
    retryTimer.unref?.();
  }

  /**
   * Records a robot message and acknowledges it as soon as it is recorded (a few milliseconds: the
   * inbox write is flushed to disk), far inside the ~60 s after which DingTalk delivers an
   * unacknowledged message again. The acknowledgement goes out only after the record is durable, so an
   * acknowledged message is never lost to a crash; the bot's work happens afterwards.
   */
  async function acknowledge(client: GatewayClient, frame: DWClientDownStream): Promise<void> {
    const messageId = frame.headers?.messageId;
    let ok = false;
    try {
      ok = await options.onCallback(typeof frame.data === 'string' ? frame.data : '');
    } catch (err) {
      logger.error('dingtalk stream: recording a message failed', { error: err instanceof Error ? err.name : typeof err });
    }
    if (!ok || !messageId) return;
    try {
      // data: {"response": null}: the ACK frame of the Stream protocol.
      client.socketCallBackResponse(messageId, null);
    } catch {
      // The connection went away meanwhile: DingTalk delivers again, and the msgId dedupe drops it.
    }
  }

  const dog = setInterval(() => {
    if (stopped || connecting || retryTimer) return;
    const socket = current?.openSocket;
    if (!socket) {
      // Gone without a close we saw (or never opened): connect again.
      current = undefined;
      scheduleReconnect();
      return;
    }
    if (Date.now() - lastActivity > watchdog.silenceMs) {
      logger.error('dingtalk stream: connection silent, reconnecting', { silentMs: Date.now() - lastActivity });
      // terminate() emits close, which reconnects.
      socket.terminate();
      return;
    }
    try {
      socket.ping();
    } catch {
      // Closing meanwhile: the close reconnects.
    }
  }, watchdog.intervalMs);
  dog.unref?.();

  await connect();

  return {
    connected: () => !!current?.openSocket,
    connections: () => opened,
    async stop() {
      stopped = true;
      clearInterval(dog);
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = undefined;
      const c = current;
      current = undefined;
      c?.disconnect();
    },
  };
}
