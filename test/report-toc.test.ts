/**
 * The report's table of contents: a TOC field after the cover over the headings' outline levels
 * (一、 level 1, （一） level 2), with the entries already written, and Word told to update fields on
 * opening. Read back from the document XML; LibreOffice's rendering is checked in report-render.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { reportText } from '../src/core/locale/zh-CN';
import { buildReport } from '../src/core/report/index';
import { STYLE } from '../src/core/report/styles';
import { attrOf, readDocx, reportInput002, styleXml, type DocParagraph, type DocxParts } from './helpers/report';

/** The paragraphs of the body in a style. */
const inStyle = (d: DocxParts, style: string) => d.body.filter((b): b is DocParagraph => b.type === 'p' && b.style === style);

describe('table of contents', () => {
  let doc: DocxParts;

  beforeAll(async () => {
    doc = await readDocx((await buildReport(reportInput002())).bytes);
  });

  it('is a TOC field over outline levels 1–2, with hyperlinks', () => {
    expect(doc.toc).toBeDefined();
    const instruction = doc.toc!.instruction!;
    expect(instruction).toMatch(/^TOC\b/);
    expect(instruction).toContain('\\o "1-2"');
    // \u: the report's headings are its own styles, found by their outline level.
    expect(instruction).toContain('\\u');
    expect(instruction).toContain('\\h');
    // Word and WPS update it (and its page numbers) when they open the document.
    expect(doc.settings).toMatch(/<w:updateFields( w:val="(true|1|on)")?\/>/);
  });

  it('gives the headings outline levels: 一、 level 1, （一） level 2, 1. level 3, the title none', () => {
    const level = (style: string) => attrOf(styleXml(doc.styles, style), 'w:outlineLvl', 'w:val');
    expect([level(STYLE.heading1), level(STYLE.heading2), level(STYLE.heading3)]).toEqual(['0', '1', '2']);
    expect(level(STYLE.title)).toBeUndefined();
    expect(level(STYLE.tocTitle)).toBeUndefined();
    // The entries' styles are Word's own, by id and name, so an update keeps their look.
    expect(styleXml(doc.styles, 'TOC1')).toContain('<w:name w:val="toc 1"/>');
    expect(styleXml(doc.styles, 'TOC2')).toContain('<w:name w:val="toc 2"/>');
  });

  it('lists every 一、 and （一） heading of the body, in order, at its level', () => {
    const headings = doc.body
      .filter((b): b is DocParagraph => b.type === 'p' && (b.style === STYLE.heading1 || b.style === STYLE.heading2))
      .map((p) => `${p.style === STYLE.heading1 ? 'TOC1' : 'TOC2'} ${p.text}`);
    expect(headings.length).toBeGreaterThan(10);
    const entries = doc.toc!.paragraphs.filter((p) => p.text).map((p) => `${p.style} ${p.text}`);
    expect(entries).toEqual(headings);
    // Nothing else: not the title, not the 1. sub-headings.
    expect(inStyle(doc, STYLE.heading3).length).toBeGreaterThan(0);
    for (const p of [...inStyle(doc, STYLE.heading3), ...inStyle(doc, STYLE.title)]) expect(entries.join('\n')).not.toContain(p.text);
  });

  it('comes after the cover, on its own page, before the body', () => {
    const all = doc.document;
    const coverDate = all.indexOf('二〇二五年六月');
    const tocTitle = all.indexOf(`>${reportText.tocTitle}<`);
    const toc = all.indexOf(doc.toc!.xml);
    const firstSection = all.indexOf('<w:sectPr');
    const firstHeading = all.indexOf(`>${inStyle(doc, STYLE.heading1)[0]!.text}<`, toc + doc.toc!.xml.length);
    expect(coverDate).toBeGreaterThan(0);
    expect(coverDate).toBeLessThan(tocTitle);
    expect(tocTitle).toBeLessThan(toc);
    // In the cover's section (unnumbered), so the body still starts at page 1.
    expect(toc).toBeLessThan(firstSection);
    expect(firstSection).toBeLessThan(firstHeading);
    const title = doc.body.find((b): b is DocParagraph => b.type === 'p' && b.style === STYLE.tocTitle)!;
    expect(title.text).toBe(reportText.tocTitle);
    expect(title.xml).toContain('<w:br w:type="page"/>');
  });
});
