/**
 * Verifying a DingTalk robot callback (HTTP mode): the `timestamp` and `sign` headers.
 *
 * DingTalk signs only the timestamp, not the body: `sign = Base64(HmacSHA256(key = appSecret,
 * data = timestamp + "\n" + appSecret))`, and a timestamp more than an hour from now is invalid.
 * https://open.dingtalk.com/document/development/receive-message
 * A captured (timestamp, sign) pair can therefore be replayed with any body inside the window: keep the
 * window small where the clock is synchronised, serve HTTPS only, claim every msgId once, and treat
 * the body as untrusted (the session webhook in it is only used when it points at DingTalk).
 *
 * The checks, in order: 1. both headers present and the timestamp a number of milliseconds;
 * 2. the timestamp inside the window; 3. the signature, compared in constant time.
 *
 * @example
 * const check = checkDingTalkSignature(req.headers.get('timestamp'), req.headers.get('sign'), secret, Date.now(), 3600_000)
 * if (!check.ok) return new Response(null, { status: 401 })
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a callback's signature was refused. */
export type SignatureProblem = 'missing' | 'malformed' | 'stale' | 'mismatch';

/** The outcome of checking a callback's signature headers. */
export type SignatureCheck = { ok: true } | { ok: false; problem: SignatureProblem };

/** A timestamp is milliseconds since the epoch: digits only (no sign, no exponent, no spaces). */
const TIMESTAMP = /^\d{1,16}$/;

/**
 * The signature DingTalk sends with a callback at `timestamp` (also what tests and the bench sign with).
 *
 * @example signDingTalkTimestamp('1577262236757', 'this is a secret') // 'DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA='
 */
export function signDingTalkTimestamp(timestamp: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(`${timestamp}\n${appSecret}`, 'utf8').digest('base64');
}

/**
 * Checks a callback's `timestamp` and `sign` headers against the app secret: present and well formed,
 * within `windowMs` of `nowMs` either way, and the signature equal in constant time.
 */
export function checkDingTalkSignature(
  timestamp: string | null | undefined,
  sign: string | null | undefined,
  appSecret: string,
  nowMs: number,
  windowMs: number,
): SignatureCheck {
  if (!timestamp || !sign) return { ok: false, problem: 'missing' };
  const ts = timestamp.trim();
  if (!TIMESTAMP.test(ts)) return { ok: false, problem: 'malformed' };
  if (Math.abs(nowMs - Number(ts)) > windowMs) return { ok: false, problem: 'stale' };
  // Both sides are compared as the raw HMAC bytes: equal lengths (32) whatever was sent, so the
  // comparison's time tells nothing; a sign that is not base64 of 32 bytes differs anyway.
  const expected = createHmac('sha256', appSecret).update(`${ts}\n${appSecret}`, 'utf8').digest();
  const given = Buffer.alloc(expected.length);
  const decoded = Buffer.from(sign.trim(), 'base64');
  decoded.copy(given, 0, 0, expected.length);
  const same = timingSafeEqual(expected, given);
  return same && decoded.length === expected.length && isCanonicalBase64(sign.trim(), decoded) ? { ok: true } : { ok: false, problem: 'mismatch' };
}

/** True when a callback's signature headers are valid (see `checkDingTalkSignature`). */
export function isValidDingTalkSignature(
  timestamp: string | null | undefined,
  sign: string | null | undefined,
  appSecret: string,
  nowMs: number,
  windowMs: number,
): boolean {
  return checkDingTalkSignature(timestamp, sign, appSecret, nowMs, windowMs).ok;
}

/** Node's base64 decoder skips junk characters; only the canonical encoding of the bytes counts as that signature. */
function isCanonicalBase64(text: string, bytes: Buffer): boolean {
  return bytes.toString('base64') === text;
}
