/**
 * Console sessions. Signing in with ADMIN_TOKEN creates a session whose id is 32 random bytes
 * (`crypto.getRandomValues`, base64url) sent in an HttpOnly cookie; the cookie is not derived from the
 * token, so it reveals nothing about it and dies on its own.
 *
 * Kept in memory, in this process: a restart (which is also how a changed ADMIN_TOKEN takes effect)
 * signs everyone out, and nothing about sessions reaches the data directory. A session ends after
 * `idleMs` without a request, `maxAgeMs` after it began, or when revoked (signing out). The table holds
 * at most `maxSessions` (expired ones are swept first, then the oldest goes). Sessions are keyed by the
 * SHA-256 of the id, so the table never holds a usable cookie. Web Crypto only; on Workers a shared
 * store (a Durable Object or KV) would implement the same `ConsoleSessions` interface.
 *
 * @example const sessions = createMemorySessions({ now: () => Date.now() }); const { id } = await sessions.create();
 */

import type { ChannelStateStore } from '../store/port';

/** A session ends after 12 hours without a request... */
export const SESSION_IDLE_MS = 12 * 3600_000;
/** ...and 7 days after it began, whatever happens. */
export const SESSION_MAX_AGE_MS = 7 * 24 * 3600_000;
/** The most sessions kept at once. */
export const MAX_SESSIONS = 1000;

/** Where console sessions live. */
export interface ConsoleSessions {
  /** Starts a session; its id goes in the cookie. */
  create(): Promise<{ id: string; maxAgeMs: number }>;
  /** True when the id names a live session (which then counts as used now). */
  verify(id: string): Promise<boolean>;
  /** Ends one session (signing out). */
  revoke(id: string): Promise<void>;
  /** Ends every session. */
  revokeAll(): Promise<void>;
  /** How many sessions are kept (live or not yet swept). */
  size(): number;
}

/** Options of the in-memory sessions; the clock is injectable for tests. */
export interface MemorySessionsOptions {
  now: () => number;
  idleMs?: number;
  maxAgeMs?: number;
  maxSessions?: number;
}

interface Session {
  createdAt: number;
  lastSeenAt: number;
}

/** A new session id: 32 random bytes, base64url without padding (43 characters). */
export function createSessionId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function digestOf(id: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(id)));
  return btoa(String.fromCharCode(...digest));
}

/** Sessions kept in this process's memory. */
export function createMemorySessions(options: MemorySessionsOptions): ConsoleSessions {
  const { now } = options;
  const idleMs = options.idleMs ?? SESSION_IDLE_MS;
  const maxAgeMs = options.maxAgeMs ?? SESSION_MAX_AGE_MS;
  const maxSessions = Math.max(1, options.maxSessions ?? MAX_SESSIONS);
  // By digest of the id, in order of creation.
  const sessions = new Map<string, Session>();
  const live = (s: Session, t: number) => t - s.lastSeenAt < idleMs && t - s.createdAt < maxAgeMs;

  return {
    async create() {
      const id = createSessionId();
      const t = now();
      if (sessions.size >= maxSessions) for (const [k, s] of sessions) if (!live(s, t)) sessions.delete(k);
      while (sessions.size >= maxSessions) sessions.delete(sessions.keys().next().value!);
      sessions.set(await digestOf(id), { createdAt: t, lastSeenAt: t });
      return { id, maxAgeMs };
    },
    async verify(id) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return false;
      const key = await digestOf(id);
      const s = sessions.get(key);
      if (!s) return false;
      const t = now();
      if (!live(s, t)) {
        sessions.delete(key);
        return false;
      }
      s.lastSeenAt = t;
      return true;
    },
    async revoke(id) {
      sessions.delete(await digestOf(id));
    },
    async revokeAll() {
      sessions.clear();
    },
    size: () => sessions.size,
  };
}

/** Options of sessions kept in the store (several instances: Workers). */
export interface StoredSessionsOptions {
  /** Where they are kept: the store's channel state, one key per session (by digest of its id). */
  state: ChannelStateStore;
  now: () => number;
  idleMs?: number;
  maxAgeMs?: number;
}

/** A session's last use is written at most this often (not on every request). */
const TOUCH_EVERY_MS = 5 * 60_000;

/**
 * Sessions in the store, so every Workers isolate sees the same ones. Keyed by the SHA-256 of the id
 * (the store never holds a usable cookie); `revokeAll` bumps a generation that older sessions lack.
 * An expired session is deleted when it is next presented.
 */
export function createStoredSessions(options: StoredSessionsOptions): ConsoleSessions {
  const { state, now } = options;
  const idleMs = options.idleMs ?? SESSION_IDLE_MS;
  const maxAgeMs = options.maxAgeMs ?? SESSION_MAX_AGE_MS;
  const keyOf = async (id: string) => `console-session:${await digestOf(id)}`;
  const generation = async () => Number((await state.getChannelState('console-sessions'))?.generation ?? 0);

  return {
    async create() {
      const id = createSessionId();
      const t = now();
      await state.setChannelState(await keyOf(id), { createdAt: t, lastSeenAt: t, generation: await generation() });
      return { id, maxAgeMs };
    },
    async verify(id) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return false;
      const key = await keyOf(id);
      const s = await state.getChannelState(key);
      if (!s) return false;
      const t = now();
      const createdAt = Number(s.createdAt);
      const lastSeenAt = Number(s.lastSeenAt);
      if (!(t - lastSeenAt < idleMs && t - createdAt < maxAgeMs) || Number(s.generation) !== (await generation())) {
        await state.setChannelState(key, undefined);
        return false;
      }
      if (t - lastSeenAt >= TOUCH_EVERY_MS) await state.setChannelState(key, { ...s, lastSeenAt: t });
      return true;
    },
    async revoke(id) {
      await state.setChannelState(await keyOf(id), undefined);
    },
    async revokeAll() {
      await state.setChannelState('console-sessions', { generation: (await generation()) + 1 });
    },
    // Not counted: they live in the store.
    size: () => 0,
  };
}
