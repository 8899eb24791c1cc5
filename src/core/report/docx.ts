/**
 * Renders the report's blocks and the annex table into a .docx: a cover and a table of contents (a TOC
 * field over the headings' outline levels, which Word and WPS fill in with page numbers when they open the
 * document), the portrait body with page numbers starting at 1, and a landscape section for the annex table whose header row repeats on
 * every page. Formatting lives in the named styles of `styles.ts`; runs carry no formatting of
 * their own except the 【待填写】 marker's character style. Emoji are left out of the runs (`printableText`).
 */
import {
  Document,
  Footer,
  PageBreak,
  PageNumber,
  PageOrientation,
  Packer,
  Paragraph,
  Table,
  TableCell,
  TableLayoutType,
  TableOfContents,
  TableRow,
  TextRun,
  VerticalAlignTable,
  WidthType,
  type ISectionOptions,
} from 'docx';
import { formatScore } from '../decimal';
import { reportText as T } from '../locale/zh-CN';
import type { AnnexRow, AnnexTable } from './annex';
import type { Block } from './sections';
import { PAGE, STYLE, createFontTableXml, createReportStyles, mmToTwips } from './styles';
import { printableText } from './text';

const BLOCK_STYLE: Record<Block['kind'], string> = {
  title: STYLE.title,
  heading1: STYLE.heading1,
  heading2: STYLE.heading2,
  heading3: STYLE.heading3,
  paragraph: STYLE.body,
};

function toParagraph(b: Block): Paragraph {
  return new Paragraph({
    style: BLOCK_STYLE[b.kind],
    children: b.spans.map((s) => new TextRun(s.pending ? { text: s.text, style: STYLE.pending } : { text: printableText(s.text) })),
  });
}

const styled = (style: string, text: string) => new Paragraph({ style, children: [new TextRun({ text: printableText(text) })] });

/** Column widths of the annex table (mm), summing to the landscape text width. */
export const ANNEX_COLUMNS_MM = [22, 26, 40, 56, 71, 12, 16] as const;

function annexWidthsTwips(withScore: boolean): number[] {
  const mm = withScore ? [...ANNEX_COLUMNS_MM] : [...ANNEX_COLUMNS_MM.slice(0, 5), ANNEX_COLUMNS_MM[5] + ANNEX_COLUMNS_MM[6]];
  return mm.map(mmToTwips);
}

/** The annex table: header row repeated on each page, level-1/level-2 cells merged down (w:vMerge). */
export function createAnnexTable(table: AnnexTable, withScore = true): Table {
  const widths = annexWidthsTwips(withScore);
  const columns = withScore ? table.columns : table.columns.slice(0, 6);
  const cell = (text: string, style: string, width: number, extra: { rowSpan?: number; columnSpan?: number } = {}) =>
    new TableCell({
      children: [styled(style, text)],
      width: { size: width, type: WidthType.DXA },
      verticalAlign: VerticalAlignTable.CENTER,
      ...extra,
    });
  const header = new TableRow({
    tableHeader: true,
    cantSplit: true,
    children: columns.map((c, i) => cell(c, STYLE.tableHeader, widths[i]!)),
  });
  const body = table.rows.map((r: AnnexRow) => {
    const cells: TableCell[] = [];
    const w = (from: number, to: number) => widths.slice(from, to + 1).reduce((a, b) => a + b, 0);
    if (r.kind === 'note') {
      return new TableRow({ cantSplit: true, children: [cell(r.criteria, STYLE.tableText, w(0, widths.length - 1), { columnSpan: widths.length })] });
    }
    if (r.kind === 'total') {
      // "合计" across the text columns, then 分值 and 自评分.
      cells.push(cell(r.level1?.text ?? '', STYLE.tableTextCentered, w(0, 4), { columnSpan: 5 }));
    } else {
      if (r.level1) cells.push(cell(r.level1.text, STYLE.tableTextCentered, widths[0]!, { rowSpan: r.level1.rowSpan }));
      if (r.level2) cells.push(cell(r.level2.text, STYLE.tableTextCentered, widths[1]!, { rowSpan: r.level2.rowSpan }));
      cells.push(cell(r.level3, STYLE.tableText, widths[2]!));
      cells.push(cell(r.description, STYLE.tableText, widths[3]!));
      cells.push(cell(r.criteria, STYLE.tableText, widths[4]!));
    }
    cells.push(cell(r.points === null ? '' : formatScore(r.points), STYLE.tableTextCentered, widths[5]!));
    if (withScore) cells.push(cell(r.scoreText, STYLE.tableTextCentered, widths[6]!));
    return new TableRow({ cantSplit: true, children: cells });
  });
  return new Table({
    rows: [header, ...body],
    width: { size: widths.reduce((a, b) => a + b, 0), type: WidthType.DXA },
    columnWidths: widths,
    layout: TableLayoutType.FIXED,
    // Cell padding (twips): text clear of the borders, as in the published tables.
    margins: { top: 28, bottom: 28, left: 85, right: 85 },
  });
}

function pageNumberFooter(style: string): Footer {
  return new Footer({
    children: [new Paragraph({ style, children: [new TextRun({ children: [T.pageNumber.before, PageNumber.CURRENT, T.pageNumber.after] })] })],
  });
}

const footers = () => ({ default: pageNumberFooter(STYLE.pageNumberOdd), even: pageNumberFooter(STYLE.pageNumberEven) });

/** The outline levels (1 = 一、, 2 = （一）) the table of contents lists. */
export const TOC_LEVELS = '1-2';

/**
 * The table of contents: a TOC field over the paragraphs' outline levels (\o "1-2" \u, since the
 * report's headings use its own styles, not Word's built-in 标题 1/2), entries linked to their headings (\h).
 * It is written with the entries already in it (without page numbers), so it is not empty where fields
 * are not updated; Word and WPS add the page numbers when they update it.
 */
function createTableOfContents(): TableOfContents {
  return new TableOfContents(T.tocTitle, {
    headingStyleRange: TOC_LEVELS,
    useAppliedParagraphOutlineLevel: true,
    hyperlink: true,
  });
}

/** What the .docx is made of. */
export interface DocxParts {
  title: string;
  /** Cover lines: title lines, then the unit and date. */
  cover: { title: string[]; info: string[] };
  blocks: Block[];
  annexTitle: string;
  annex: AnnexTable;
}

/** Builds the Word document. */
export function createReportDocument(parts: DocxParts): Document {
  const portrait = {
    size: { width: PAGE.width, height: PAGE.height },
    margin: { ...PAGE.margin, footer: PAGE.footer, header: PAGE.header },
  };
  const cover: ISectionOptions = {
    properties: { page: portrait },
    children: [
      ...parts.cover.title.map((t) => styled(STYLE.coverTitle, t)),
      ...parts.cover.info.map((t) => styled(STYLE.coverInfo, t)),
      // 目录 on its own page after the cover, before the numbered body.
      new Paragraph({ style: STYLE.tocTitle, children: [new PageBreak(), new TextRun({ text: T.tocTitle })] }),
      createTableOfContents(),
    ],
  };
  const body: ISectionOptions = {
    properties: { page: { ...portrait, pageNumbers: { start: 1 } } },
    footers: footers(),
    children: parts.blocks.map(toParagraph),
  };
  const annex: ISectionOptions = {
    properties: {
      page: {
        size: { width: PAGE.width, height: PAGE.height, orientation: PageOrientation.LANDSCAPE },
        margin: { ...PAGE.margin, footer: PAGE.footer, header: PAGE.header },
      },
    },
    footers: footers(),
    children: [styled(STYLE.annexLabel, `${T.annexLabel}：`), styled(STYLE.annexTitle, parts.annexTitle), createAnnexTable(parts.annex)],
  };
  return new Document({
    title: parts.title,
    creator: T.creator,
    evenAndOddHeaderAndFooters: true,
    // Word and WPS update the fields on opening, so the table of contents gets its page numbers.
    features: { updateFields: true },
    styles: createReportStyles(),
    sections: [cover, body, annex],
  });
}

/** Packs a document into .docx bytes (no Node Buffer needed), with the font table that names the fallbacks. */
export async function packDocument(doc: Document): Promise<Uint8Array> {
  return Packer.pack(doc, 'uint8array', false, [{ path: 'word/fontTable.xml', data: createFontTableXml() }]);
}
