/**
 * The checks a Feishu webhook request passes before anything is recorded, as small functions over the
 * raw request: decrypt (Encrypt Key, AES-256-CBC), signature over the raw body (constant time),
 * Verification Token (constant time), timestamp window (parsed leniently).
 *
 * Vendor docs:
 * - receiving events, signature and decryption:
 *   https://open.feishu.cn/document/server-docs/event-subscription-guide/event-subscription-configure-/encrypt-key-encryption-configuration-case
 * - webhook configuration, the url_verification challenge, the encryption principle:
 *   https://open.feishu.cn/document/event-subscription-guide/event-subscriptions/event-subscription-configure-/choose-a-subscription-mode/send-notifications-to-developers-server
 *
 * @example
 * if (!verifyFeishuSignature({ timestamp, nonce, signature }, encryptKey, rawBytes)) return reject(401)
 * const plain = JSON.parse(decryptFeishu(body.encrypt, encryptKey))
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The signature headers of a Feishu delivery (absent on the url_verification challenge). */
export interface SignatureHeaders {
  timestamp: string | null;
  nonce: string | null;
  signature: string | null;
}

/** Reads the `X-Lark-Request-*` headers (Headers.get is case-insensitive). */
export function readSignatureHeaders(headers: Headers): SignatureHeaders {
  return {
    timestamp: headers.get('x-lark-request-timestamp'),
    nonce: headers.get('x-lark-request-nonce'),
    signature: headers.get('x-lark-signature'),
  };
}

/** The AES key of an Encrypt Key: sha256 of the key's UTF-8 bytes. Keys are cached (one per app). */
const aesKeys = new Map<string, Buffer>();
function aesKeyOf(encryptKey: string): Buffer {
  let key = aesKeys.get(encryptKey);
  if (!key) {
    key = createHash('sha256').update(encryptKey, 'utf8').digest();
    if (aesKeys.size > 16) aesKeys.clear();
    aesKeys.set(encryptKey, key);
  }
  return key;
}

/**
 * Decrypts an `{"encrypt": "…"}` body: base64(iv ‖ AES-256-CBC(sha256(key), iv, PKCS7(json))).
 * Throws on a malformed or wrongly keyed ciphertext (the caller answers every such failure alike).
 *
 * @example decryptFeishu('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key') // 'hello world'
 */
export function decryptFeishu(encrypt: string, encryptKey: string): string {
  const buf = Buffer.from(encrypt, 'base64');
  // At least the IV and one block, and whole blocks only.
  if (buf.length < 32 || buf.length % 16 !== 0) throw new Error('bad ciphertext length');
  const decipher = createDecipheriv('aes-256-cbc', aesKeyOf(encryptKey), buf.subarray(0, 16));
  // With an output encoding the decipher decodes through a StringDecoder, so a multi-byte character
  // split between update and final comes out whole.
  return decipher.update(buf.subarray(16), undefined, 'utf8') + decipher.final('utf8');
}

/** Encrypts as Feishu does (for tests, fakes and the bench). @example encryptFeishu(JSON.stringify(event), key) */
export function encryptFeishu(plain: string, encryptKey: string): string {
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', aesKeyOf(encryptKey), iv);
  return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final()]).toString('base64');
}

/**
 * The expected signature: lower-case hex of sha256(timestamp + nonce + encryptKey + RAW body bytes).
 * The raw bytes, not a re-serialised object: the official Node SDK hashes `JSON.stringify(parsed)`, which
 * differs from what Feishu signed as soon as the body has whitespace or another key order
 * (https://github.com/larksuite/node-sdk/issues/46).
 */
export function computeFeishuSignature(timestamp: string, nonce: string, encryptKey: string, raw: Uint8Array): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey, 'utf8').update(raw).digest('hex');
}

/**
 * True when the request's `X-Lark-Signature` is the signature of its raw body; compared in constant
 * time. Missing headers fail.
 */
export function verifyFeishuSignature(headers: SignatureHeaders, encryptKey: string, raw: Uint8Array): boolean {
  const { timestamp, nonce, signature } = headers;
  if (timestamp === null || nonce === null || signature === null) return false;
  // Compared as 32 raw bytes; a digest's length is public, so checking it first leaks nothing.
  const given = signature.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(given)) return false;
  const expected = createHash('sha256').update(timestamp + nonce + encryptKey, 'utf8').update(raw).digest();
  return timingSafeEqual(Buffer.from(given, 'hex'), expected);
}

/** The digest of the configured token, computed once (one app, one token). */
let expectedToken: { token: string; digest: Buffer } | undefined;

/** True when a Verification Token matches the configured one; both are hashed first, so lengths leak nothing. */
export function verifyFeishuToken(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  if (expectedToken?.token !== expected) expectedToken = { token: expected, digest: createHash('sha256').update(expected, 'utf8').digest() };
  return timingSafeEqual(createHash('sha256').update(given, 'utf8').digest(), expectedToken.digest);
}

/**
 * A Feishu timestamp in milliseconds since the epoch, or undefined when it cannot be read. Lenient:
 * Unix seconds (the documented form of `X-Lark-Request-Timestamp`), milliseconds and microseconds (the
 * event header's `create_time` is documented in both), and a Go `time.String()` such as
 * `2026-10-04 18:23:46.05 +0800 CST m=+3612.1`, which card callbacks have been reported to carry.
 *
 * @example parseFeishuTimestamp('1700000000') // 1700000000000
 */
export function parseFeishuTimestamp(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const s = value.trim();
  if (/^\d{1,19}(\.\d+)?$/.test(s)) {
    const n = Number(s);
    if (!Number.isFinite(n) || n <= 0) return undefined;
    // Seconds until the year 5138; then milliseconds, microseconds, nanoseconds.
    if (n < 1e11) return Math.round(n * 1000);
    if (n < 1e14) return Math.round(n);
    if (n < 1e17) return Math.round(n / 1000);
    return Math.round(n / 1e6);
  }
  // Go's time.String(): "2006-01-02 15:04:05.999999999 -0700 MST", with an optional monotonic suffix.
  const go = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?\s*(?:([+-])(\d{2}):?(\d{2})|Z)?/.exec(s);
  if (go) {
    const frac = go[3] ? `.${go[3].slice(1, 4).padEnd(3, '0')}` : '';
    const zone = go[4] ? `${go[4]}${go[5]}:${go[6]}` : 'Z';
    const t = Date.parse(`${go[1]}T${go[2]}${frac}${zone}`);
    return Number.isNaN(t) ? undefined : t;
  }
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** True when a timestamp (ms) lies within `windowSeconds` of `nowMs`, either side. */
export function isFreshTimestamp(timestampMs: number, nowMs: number, windowSeconds: number): boolean {
  return Math.abs(nowMs - timestampMs) <= windowSeconds * 1000;
}
