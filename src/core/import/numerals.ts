/**
 * Text normalisation for tables typed by hand or extracted from PDF: full-width digits and brackets,
 * "2. 5" for 2.5, stray spaces between Chinese characters, and Chinese numerals in the places where
 * scoring prose uses them (二分, 百分之九十, 零点五分, 每降低一个百分点).
 *
 * @example normaliseText('百分之九十以上得二分') // '90%以上得2分'
 */

const CJK = '\\u3400-\\u9fff\\uf900-\\ufaff';

const DIGITS: Record<string, number> = {
  零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9,
};
const UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/** Characters a Chinese numeral may contain. */
export const CHINESE_NUMERAL_CHARS = '零〇一二两三四五六七八九十百千点';

/**
 * Parses a Chinese numeral ("九十", "一百", "十五", "零点五", "二点五"); undefined when it is not one.
 * Arabic digits are accepted too, so mixed input such as "2" parses.
 */
export function parseChineseNumber(text: string): number | undefined {
  const s = text.trim();
  if (!s) return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const [intPart, fracPart, extra] = s.split('点');
  if (extra !== undefined || intPart === undefined) return undefined;
  let value = 0;
  if (intPart !== '') {
    let section = 0;
    let digit: number | undefined;
    for (const ch of intPart) {
      if (ch in DIGITS) {
        if (digit !== undefined && DIGITS[ch] !== 0) return undefined; // two digits in a row: "九九" is not a numeral here
        digit = DIGITS[ch]!;
      } else if (ch in UNITS) {
        section += (digit ?? 1) * UNITS[ch]!;
        digit = undefined;
      } else return undefined;
    }
    value = section + (digit ?? 0);
  } else if (fracPart === undefined) return undefined;
  if (fracPart !== undefined) {
    if (!fracPart) return undefined;
    let frac = '';
    for (const ch of fracPart) {
      if (!(ch in DIGITS)) return undefined;
      frac += String(DIGITS[ch]);
    }
    value = Number(`${value}.${frac}`);
  }
  return value;
}

/** Full-width ASCII (０-９, Ａ-Ｚ, ．, ％, （）, ＜＞＝…) to half-width; ideographic space to space. */
export function toHalfWidth(text: string): string {
  return text
    .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ');
}

/**
 * Normalises a cell's text for parsing (never for storing: stored text stays verbatim):
 * half-width digits and brackets, "2. 5" → "2.5", "90 %" → "90%", no spaces or line breaks between
 * Chinese characters, comparison signs unified (≧ → ≥), square brackets unified (quotes are kept), and the
 * Chinese numerals that scoring prose uses turned into digits.
 */
export function normaliseText(text: string): string {
  let s = toHalfWidth(text)
    .replace(/\r\n?/g, '\n')
    .replace(/[≧]/g, '≥')
    .replace(/[≦]/g, '≤')
    .replace(/>=/g, '≥')
    .replace(/<=/g, '≤')
    .replace(/【/g, '[')
    .replace(/】/g, ']')
    .replace(/〔/g, '[')
    .replace(/〕/g, ']')
    .replace(/[–—－~～]/g, '-');
  // Digits split by PDF extraction or careless typing: "2. 5" → "2.5", "9 0%" is left alone (ambiguous).
  s = s.replace(/(\d)\s*\.\s+(\d)/g, '$1.$2').replace(/(\d)\s+\.(\d)/g, '$1.$2');
  // Spaces and line breaks next to Chinese characters or around numbers and units carry no meaning.
  s = s.replace(new RegExp(`\\s+(?=[${CJK}%(),.;:，。；：、)（）])`, 'g'), '');
  s = s.replace(new RegExp(`(?<=[${CJK}%(,;:，。；：、（）])\\s+`, 'g'), '');
  s = s.replace(/(\d)\s+%/g, '$1%').replace(/\s*([≥≤<>=])\s*/g, '$1');
  s = s.replace(/(\d)\s+(?=[分个])/g, '$1');
  s = convertChineseNumerals(s);
  return s.trim();
}

const NUM = `[${CHINESE_NUMERAL_CHARS}]+`;

/** Chinese numerals in scoring positions → digits. Leaves words such as 一等奖, 十分重要, 一般 alone. */
export function convertChineseNumerals(text: string): string {
  const conv = (n: string) => {
    const v = parseChineseNumber(n);
    return v === undefined ? undefined : String(v);
  };
  let s = text.replace(new RegExp(`百分之(${NUM}|\\d+(?:\\.\\d+)?)`, 'g'), (m, n: string) => {
    const v = conv(n);
    return v === undefined ? m : `${v}%`;
  });
  // "一个百分点", "五个百分点", "0.5个百分点"
  s = s.replace(new RegExp(`(${NUM})(?=个百分点)`, 'g'), (m, n: string) => conv(n) ?? m);
  // Points after a scoring verb or a colon: 得二分, 扣零点五分, 计3分, 加一分, "充分：三分".
  s = s.replace(new RegExp(`([得计扣加减给:：])(${NUM})(?=分)`, 'g'), (m, verb: string, n: string) => {
    const v = conv(n);
    return v === undefined ? m : `${verb}${v}`;
  });
  // "每出现一例", "每发现一次", "每少一项"
  s = s.replace(new RegExp(`每(出现|发现|有|少|缺|超|多)?(${NUM})(?=[例次项处个件])`, 'g'), (m, w: string | undefined, n: string) => {
    const v = conv(n);
    return v === undefined ? m : `每${w ?? ''}${v}`;
  });
  return s;
}

/** Parses a number written with digits after normalisation ("2.5", "2. 5", "２．５", "15%"); undefined otherwise. */
export function parseNumber(text: string): number | undefined {
  // "2分", "2. 5", "１５", and weights written as "15%" (points out of 100).
  const s = normaliseText(text).replace(/[分%]$/, '').replace(/,/g, '');
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  return parseChineseNumber(s);
}
