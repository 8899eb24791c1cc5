/**
 * HTTP helpers shared by the routes: bounded body reading, download headers, loopback detection.
 * Web-standard APIs only (runs on Node and, later, Workers).
 */

/** One megabyte: the largest request body the local channel accepts. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The outcome of reading a body with a size limit. */
export type BodyResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: 'too_large' };

/**
 * Reads a request body, refusing more than `maxBytes`: first by Content-Length, then by the bytes
 * actually received (a client may lie or stream without a length).
 */
export async function readLimitedBody(req: Request, maxBytes = MAX_BODY_BYTES): Promise<BodyResult> {
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) return { ok: false, reason: 'too_large' };
  if (declared !== null && /^\d+$/.test(declared.trim())) {
    // With a length, read it whole (@hono/node-server reads the socket directly here, much cheaper than
    // the stream), then check what actually came.
    const bytes = new Uint8Array(await req.arrayBuffer());
    return bytes.byteLength > maxBytes ? { ok: false, reason: 'too_large' } : { ok: true, bytes };
  }
  if (!req.body) return { ok: true, bytes: new Uint8Array(0) };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return { ok: false, reason: 'too_large' };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  return { ok: true, bytes };
}

/**
 * A Content-Disposition header for a download: an ASCII fallback plus the RFC 5987 `filename*` that
 * carries Chinese names.
 *
 * @example formatContentDisposition('报告.docx') // attachment; filename="__.docx"; filename*=UTF-8''%E6%8A%A5%E5%91%8A.docx
 */
export function formatContentDisposition(name: string, kind: 'attachment' | 'inline' = 'attachment'): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, '_') || 'download';
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice('::ffff:'.length) : a;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/**
 * The key a client address is counted under when limiting: an IPv4 address as is (IPv4-mapped IPv6
 * too), an IPv6 address by its /64 network (one host usually holds a whole /64, so counting single
 * addresses would let it rotate through them); `unknown` when there is no address.
 *
 * @example addressKey('2001:db8::1') // '2001:db8:0:0::/64'
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  let a = address.trim().toLowerCase().replace(/^\[|\]$/g, '');
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  if (!a.includes(':')) return a;
  if (/^::ffff:\d{1,3}(\.\d{1,3}){3}$/.test(a)) return a.slice('::ffff:'.length);
  const halves = a.split('::');
  if (halves.length > 2) return a;
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  // A dotted IPv4 tail takes two groups.
  const width = (g: string[]) => g.reduce((n, x) => n + (x.includes('.') ? 2 : 1), 0);
  const all = halves.length === 2 ? [...head, ...Array<string>(Math.max(0, 8 - width(head) - width(tail))).fill('0'), ...tail] : head;
  const prefix = all.slice(0, 4);
  if (prefix.length < 4 || prefix.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return a;
  return `${prefix.map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** Compares two secrets in time independent of where they differ (both are hashed first, so lengths leak nothing). */
export async function compareSecrets(given: string, expected: string): Promise<boolean> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([
    crypto.subtle.digest('SHA-256', enc.encode(given)),
    crypto.subtle.digest('SHA-256', enc.encode(expected)),
  ]);
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/**
 * A JSON response built from its text rather than with `Response.json`: on Node, @hono/node-server
 * writes a response made from a string straight to the socket, while `Response.json` makes a full
 * WHATWG response whose body stream is read back (measured: most of a small acknowledgement's cost).
 *
 * @example return jsonResponse({ msgtype: 'empty' })
 */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });
}
