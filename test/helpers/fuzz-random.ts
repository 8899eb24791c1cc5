/**
 * The fuzz test's randomness: a small seeded generator (the same seed gives the same cases, so a
 * failure is replayed with FUZZ_SEED) and the mutations it applies to texts, JSON and bytes.
 */

/** A seeded pseudo-random generator (mulberry32): fast, and enough for choosing test cases. */
export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight: `[[weight, value], …]`. */
  weighted<T>(items: ReadonlyArray<readonly [number, T]>): T;
  /** A new generator whose sequence depends on this one's seed and `label` only. */
  fork(label: string): Rng;
}

/** Creates a generator from a 32-bit seed. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int: (n) => Math.floor(next() * n),
    between: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted: (items) => {
      const total = items.reduce((s, [w]) => s + w, 0);
      let x = next() * total;
      for (const [w, v] of items) if ((x -= w) < 0) return v;
      return items[items.length - 1]![1];
    },
    fork: (label) => createRng(hashString(`${seed}:${label}`)),
  };
  return rng;
}

/** FNV-1a of a string, as a 32-bit seed. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Characters that break naive text handling: invisible ones, direction marks, combining marks, lone surrogates, odd spaces. */
const JUNK = [
  '\u200b', '\u200d', '\u200e', '\u202e', '\ufeff', '\u00a0', '\u3000', '\u2028', '\u2029', '\u0301', '\u0000', '\u0007', '\u001b', '\u007f', '\u0085',
  '\ud800', '\udfff', '\ufffd', '\uffff', '𠀀', '𪚥', '﷽', 'ﾟ', '％', '．', '，', '。', '；', '：', '“', '”', '「', '」', '〔', '〕', '—', '…',
  '\\', '"', "'", '`', '$', '{', '}', '[', ']', '<', '>', '&', '%', '@', '#', '/', '／', '\n', '\r', '\t', ' ',
];
const EMOJI = ['😀', '👍', '👌', '🇨🇳', '👨‍👩‍👧‍👦', '🏳️‍🌈', '1️⃣', '✅', '❌', '🔥', '💯', '🙏🏽'];
/** Inputs that make a regular expression backtrack when it is written carelessly. */
const PATHOLOGICAL_UNITS = ['1', '1,', '1.', '0.5', '是', '否', '，', ' ', '@', '@李', '分', '万元', '%', '年', '-', '2025-', '一', '十', '部分', '（', '、', 'a', 'A1', '\n', '\t', '=', ':'];

/** A string of random junk (1–40 characters). */
export function junk(rng: Rng, length = rng.between(1, 40)): string {
  let s = '';
  for (let i = 0; i < length; i++) {
    const kind = rng.int(5);
    if (kind === 0) s += rng.pick(JUNK);
    else if (kind === 1) s += rng.pick(EMOJI);
    else if (kind === 2) s += String.fromCharCode(0x4e00 + rng.int(0x5000));
    else if (kind === 3) s += String.fromCharCode(0x20 + rng.int(0x5f));
    else s += String.fromCharCode(rng.int(0x10000));
  }
  return s;
}

/** A long string (up to just over the 20 000-character limit) built from a pathological unit. */
export function longText(rng: Rng, base: string): string {
  const unit = rng.chance(0.5) ? rng.pick(PATHOLOGICAL_UNITS) : base || 'x';
  const target = rng.pick([2_000, 10_000, 19_999, 20_000, 20_001, 25_000]);
  const head = rng.chance(0.5) ? base : '';
  let body = head + unit.repeat(Math.max(1, Math.ceil((target - head.length) / unit.length)));
  body = body.slice(0, target);
  // A different last character defeats "the whole string is one repeated unit" shortcuts.
  return rng.chance(0.5) ? body.slice(0, -1) + rng.pick(['x', '!', '分', '\u0000', '😀']) : body;
}

/** Full-width forms of ASCII (ｈｅｌｐ, ９５％) and ideographic spaces. */
export function fullWidth(s: string): string {
  return s.replace(/[\x21-\x7e ]/g, (c) => (c === ' ' ? '\u3000' : String.fromCharCode(c.charCodeAt(0) + 0xfee0)));
}

/** One random mutation of a text. */
export function mutateText(rng: Rng, s: string): string {
  switch (rng.int(12)) {
    case 0:
      return s.slice(0, rng.int(s.length + 1));
    case 1: {
      const at = rng.int(s.length + 1);
      return s.slice(0, at) + junk(rng) + s.slice(at);
    }
    case 2:
      return fullWidth(s);
    case 3:
      return s.replace(/./gu, (c) => (rng.chance(0.2) ? c + rng.pick(JUNK) : c));
    case 4:
      // Long texts are kept rarer than the rest: stored as narratives, they make every later read slower.
      return rng.chance(0.3) ? longText(rng, s) : s.repeat(rng.between(2, 30));
    case 5:
      return `${rng.pick(EMOJI)}${s}${rng.pick(EMOJI)}`;
    case 6:
      return rng.pick([' ', '\n', '\t', '\u3000', '/', '／', '@机器人 ', '  ']) + s + rng.pick(['', ' ', '\n', '。', '！', '?', '～']);
    case 7:
      return s.split('').reverse().join('');
    case 8:
      return `${s}${rng.pick(['，', ' ', '\n', ''])}${s}`;
    case 9:
      // A character dropped or doubled in the middle of a word.
      if (!s) return s;
      {
        const at = rng.int(s.length);
        return rng.chance(0.5) ? s.slice(0, at) + s.slice(at + 1) : s.slice(0, at) + s[at] + s.slice(at);
      }
    case 10:
      return s.replace(/\d/g, () => String(rng.int(10)).repeat(rng.between(1, 12)));
    default:
      return rng.pick(['', ' ', '\n\n', '\u200b', '\u0000', '\ufeff', 'null', 'undefined', 'NaN', 'Infinity', '-0', '1e309', '__proto__', 'constructor', 'toString', 'hasOwnProperty']);
  }
}

/** Byte-level mutations of a file: flipped bytes, a cut, junk inserted, a block duplicated. */
export function mutateBytes(rng: Rng, bytes: Uint8Array): Uint8Array {
  const out = [...bytes];
  const times = rng.between(1, 4);
  for (let i = 0; i < times && out.length; i++) {
    switch (rng.int(5)) {
      case 0:
        for (let k = rng.between(1, 8); k > 0; k--) out[rng.int(out.length)] = rng.int(256);
        break;
      case 1:
        out.length = rng.int(out.length);
        break;
      case 2: {
        const at = rng.int(out.length);
        out.splice(at, 0, ...Array.from({ length: rng.between(1, 64) }, () => rng.int(256)));
        break;
      }
      case 3: {
        const at = rng.int(out.length);
        const len = rng.between(1, Math.min(512, out.length - at));
        out.splice(rng.int(out.length), 0, ...out.slice(at, at + len));
        break;
      }
      default: {
        const at = rng.int(out.length);
        out.splice(at, rng.between(1, 64));
      }
    }
  }
  return Uint8Array.from(out);
}
