/**
 * The official document format (GB/T 9704-2012) as named Word styles, defined once: A4, margins
 * 37/35/28/26 mm, title 2号 方正小标宋简体, body 3号 仿宋_GB2312 at a fixed 28.95 pt (22 lines a page)
 * with a two-character first-line indent, "一、" 黑体, "（一）" 楷体_GB2312, digits and Latin in
 * Times New Roman, page numbers 4号 宋体 "— N —" right on odd pages and left on even ones.
 *
 * East Asian fonts are named explicitly (w:eastAsia); the font table gives each a fallback
 * (w:altName, charset GB2312) for machines without the 方正 and _GB2312 fonts.
 */
import { AlignmentType, HighlightColor, LineRuleType, type IStylesOptions } from 'docx';

/** Twips per millimetre. */
const TWIPS_PER_MM = 1440 / 25.4;

/** Millimetres to twips, rounded. */
export function mmToTwips(mm: number): number {
  return Math.round(mm * TWIPS_PER_MM);
}

/** Font sizes in points: 初号 … 五号 as used by GB/T 9704. */
export const SIZE_PT = { xiaochu: 36, er: 22, san: 16, si: 14, xiaosi: 12, wu: 10.5 } as const;

/** Half-points, as w:sz wants them. */
const hp = (pt: number) => Math.round(pt * 2);

/** The fonts and their fallbacks (w:altName) written to the font table. */
export const FONTS = {
  latin: 'Times New Roman',
  title: '方正小标宋简体',
  body: '仿宋_GB2312',
  heading1: '黑体',
  heading2: '楷体_GB2312',
  pageNumber: '宋体',
} as const;

/** Each East Asian font with the font Word and WPS use when it is missing. */
export const FONT_FALLBACKS: Readonly<Record<string, string>> = {
  [FONTS.title]: '宋体',
  [FONTS.body]: '仿宋',
  [FONTS.heading1]: 'SimHei',
  [FONTS.heading2]: '楷体',
  [FONTS.pageNumber]: 'SimSun',
};

/** A4 page and GB/T 9704 margins, in twips. */
export const PAGE = {
  width: mmToTwips(210),
  height: mmToTwips(297),
  margin: { top: mmToTwips(37), bottom: mmToTwips(35), left: mmToTwips(28), right: mmToTwips(26) },
  /** Footer distance from the page edge: the page number's dash sits about 7 mm below the text block. */
  footer: mmToTwips(25),
  header: mmToTwips(15),
} as const;

/** Fixed body line spacing: 28.95 pt, 22 lines in the 225 mm text block. */
export const BODY_LINE_TWIPS = 579;

/** Paragraph style ids used by the report. */
export const STYLE = {
  title: 'ReportTitle',
  body: 'ReportBody',
  heading1: 'ReportHeading1',
  heading2: 'ReportHeading2',
  heading3: 'ReportHeading3',
  coverTitle: 'ReportCoverTitle',
  coverInfo: 'ReportCoverInfo',
  annexLabel: 'ReportAnnexLabel',
  tocTitle: 'ReportTocTitle',
  /** The table of contents' entries, by level: Word's own style ids and names ("toc 1"), which its TOC field uses. */
  toc1: 'TOC1',
  toc2: 'TOC2',
  annexTitle: 'ReportAnnexTitle',
  tableHeader: 'ReportTableHeader',
  tableText: 'ReportTableText',
  tableTextCentered: 'ReportTableTextCentered',
  pageNumberOdd: 'ReportPageNumberOdd',
  pageNumberEven: 'ReportPageNumberEven',
  /** Character style of a 【待填写】 marker. */
  pending: 'ReportPending',
} as const;

const eastAsia = (font: string, latin: string = FONTS.latin) => ({ ascii: latin, hAnsi: latin, cs: latin, eastAsia: font, hint: 'eastAsia' });
const twoChars = { firstLineChars: 200, firstLine: 2 * hp(SIZE_PT.san) * 10 };
const exact = (line: number, before = 0, after = 0) => ({ line, lineRule: LineRuleType.EXACT, before, after });
const single = { line: 240, lineRule: LineRuleType.AUTO, before: 0, after: 0 };

/** The report's styles: document defaults and one named style per kind of paragraph. */
export function createReportStyles(): IStylesOptions {
  return {
    default: {
      document: {
        run: { font: eastAsia(FONTS.body), size: hp(SIZE_PT.san), language: { value: 'en-US', eastAsia: 'zh-CN' } },
        paragraph: { spacing: exact(BODY_LINE_TWIPS) },
      },
    },
    paragraphStyles: [
      {
        id: STYLE.body,
        name: 'Report Body',
        basedOn: 'Normal',
        quickFormat: true,
        paragraph: { alignment: AlignmentType.JUSTIFIED, indent: twoChars, spacing: exact(BODY_LINE_TWIPS) },
        run: { font: eastAsia(FONTS.body), size: hp(SIZE_PT.san) },
      },
      {
        id: STYLE.title,
        name: 'Report Title',
        basedOn: 'Normal',
        next: STYLE.body,
        quickFormat: true,
        // A blank line after the title block, none between its lines (contextual spacing).
        paragraph: { alignment: AlignmentType.CENTER, spacing: exact(700, 0, BODY_LINE_TWIPS), contextualSpacing: true, keepNext: true },
        run: { font: eastAsia(FONTS.title), size: hp(SIZE_PT.er) },
      },
      {
        id: STYLE.heading1,
        name: 'Report Heading 1',
        basedOn: STYLE.body,
        next: STYLE.body,
        quickFormat: true,
        paragraph: { keepNext: true, outlineLevel: 0 },
        run: { font: eastAsia(FONTS.heading1) },
      },
      {
        id: STYLE.heading2,
        name: 'Report Heading 2',
        basedOn: STYLE.body,
        next: STYLE.body,
        quickFormat: true,
        paragraph: { keepNext: true, outlineLevel: 1 },
        run: { font: eastAsia(FONTS.heading2) },
      },
      {
        id: STYLE.heading3,
        name: 'Report Heading 3',
        basedOn: STYLE.body,
        next: STYLE.body,
        quickFormat: true,
        paragraph: { keepNext: true, outlineLevel: 2 },
        run: { font: eastAsia(FONTS.body) },
      },
      {
        id: STYLE.coverTitle,
        name: 'Report Cover Title',
        basedOn: 'Normal',
        // Space above the first line only: none between lines of the same style (contextual spacing).
        paragraph: { alignment: AlignmentType.CENTER, spacing: exact(1000, 2400), contextualSpacing: true },
        run: { font: eastAsia(FONTS.title), size: hp(SIZE_PT.xiaochu) },
      },
      {
        id: STYLE.coverInfo,
        name: 'Report Cover Info',
        basedOn: 'Normal',
        paragraph: { alignment: AlignmentType.CENTER, spacing: exact(BODY_LINE_TWIPS, 4800), contextualSpacing: true },
        run: { font: eastAsia(FONTS.heading2), size: hp(SIZE_PT.san) },
      },
      {
        id: STYLE.tocTitle,
        name: 'Report TOC Title',
        basedOn: 'Normal',
        // Not itself an entry of the table (no outline level).
        paragraph: { alignment: AlignmentType.CENTER, spacing: exact(700, 0, BODY_LINE_TWIPS), keepNext: true },
        run: { font: eastAsia(FONTS.heading1), size: hp(SIZE_PT.er) },
      },
      {
        id: STYLE.toc1,
        name: 'toc 1',
        basedOn: 'Normal',
        next: 'Normal',
        paragraph: { spacing: exact(BODY_LINE_TWIPS) },
        run: { font: eastAsia(FONTS.heading1), size: hp(SIZE_PT.san) },
      },
      {
        id: STYLE.toc2,
        name: 'toc 2',
        basedOn: 'Normal',
        next: 'Normal',
        paragraph: { spacing: exact(BODY_LINE_TWIPS), indent: { left: twoChars.firstLine } },
        run: { font: eastAsia(FONTS.body), size: hp(SIZE_PT.san) },
      },
      {
        id: STYLE.annexLabel,
        name: 'Report Annex Label',
        basedOn: 'Normal',
        next: STYLE.annexTitle,
        paragraph: { alignment: AlignmentType.LEFT, keepNext: true },
        run: { font: eastAsia(FONTS.heading1), size: hp(SIZE_PT.san) },
      },
      {
        id: STYLE.annexTitle,
        name: 'Report Annex Title',
        basedOn: 'Normal',
        paragraph: { alignment: AlignmentType.CENTER, spacing: exact(700, 0, 240), keepNext: true },
        run: { font: eastAsia(FONTS.title), size: hp(SIZE_PT.er) },
      },
      {
        id: STYLE.tableText,
        name: 'Report Table Text',
        basedOn: 'Normal',
        paragraph: { alignment: AlignmentType.LEFT, spacing: single },
        run: { font: eastAsia(FONTS.body), size: hp(SIZE_PT.wu) },
      },
      {
        id: STYLE.tableTextCentered,
        name: 'Report Table Text Centered',
        basedOn: STYLE.tableText,
        paragraph: { alignment: AlignmentType.CENTER },
      },
      {
        id: STYLE.tableHeader,
        name: 'Report Table Header',
        basedOn: STYLE.tableText,
        paragraph: { alignment: AlignmentType.CENTER },
        run: { font: eastAsia(FONTS.heading1) },
      },
      {
        id: STYLE.pageNumberOdd,
        name: 'Report Page Number Odd',
        basedOn: 'Normal',
        paragraph: { alignment: AlignmentType.RIGHT, indent: { right: hp(SIZE_PT.si) * 10 }, spacing: single },
        run: { font: eastAsia(FONTS.pageNumber, FONTS.pageNumber), size: hp(SIZE_PT.si) },
      },
      {
        id: STYLE.pageNumberEven,
        name: 'Report Page Number Even',
        basedOn: STYLE.pageNumberOdd,
        paragraph: { alignment: AlignmentType.LEFT, indent: { left: hp(SIZE_PT.si) * 10, right: 0 } },
      },
    ],
    characterStyles: [
      {
        id: STYLE.pending,
        name: 'Report Pending',
        basedOn: 'DefaultParagraphFont',
        run: { highlight: HighlightColor.YELLOW, color: 'C00000' },
      },
    ],
  };
}

/** XML-escapes an attribute value. */
const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * word/fontTable.xml naming every font the styles use, each East Asian one with its fallback
 * (w:altName) and the GB2312 charset, so Word and WPS substitute sensibly when a font is missing.
 */
export function createFontTableXml(): string {
  const fonts = [
    `<w:font w:name="${FONTS.latin}"><w:panose1 w:val="02020603050405020304"/><w:charset w:val="00"/><w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>`,
    ...Object.entries(FONT_FALLBACKS).map(
      ([name, alt]) =>
        `<w:font w:name="${attr(name)}"><w:altName w:val="${attr(alt)}"/><w:charset w:val="86"/><w:family w:val="${name === FONTS.heading1 ? 'modern' : 'roman'}"/><w:pitch w:val="${name === FONTS.title ? 'variable' : 'fixed'}"/></w:font>`,
    ),
  ];
  return (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' +
    '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
    fonts.join('') +
    '</w:fonts>'
  );
}
