/**
 * Helpers for the report tests: the 002 evaluation (南京市数据局 2024) scored and built, and a small
 * reader for the parts of a .docx the tests look at (paragraphs with their styles, tables with their
 * merges, section properties), read back from the XML.
 */
import { readFileSync } from 'node:fs';
import JSZip from 'jszip';
import { loadBuiltinFramework } from '../../src/core/framework/builtin';
import type { Framework } from '../../src/core/framework/load';
import type { Answers } from '../../src/core/scoring/answers';
import { scoreEvaluation } from '../../src/core/scoring/engine';
import type { ScoreResult } from '../../src/core/scoring/types';
import { validateAnswers } from '../../src/core/scoring/validate';

export const EXAMPLE_002 = 'templates/examples/nanjing-2021-data-bureau-2024.json';

/** The raw answers of 002 (a fresh copy each call, so tests can change it). */
export function loadAnswers002(): Record<string, unknown> {
  return JSON.parse(readFileSync(EXAMPLE_002, 'utf8')) as Record<string, unknown>;
}

/** A framework, answers validated against it, and the score result. */
export function scoreAnswers(data: unknown, frameworkId = 'nanjing-2021'): { framework: Framework; answers: Answers; result: ScoreResult } {
  const framework = loadBuiltinFramework(frameworkId)!;
  const v = validateAnswers(framework, data);
  if (!v.ok) throw new Error(v.problems.join('\n'));
  return { framework, answers: v.answers, result: scoreEvaluation(framework, v.answers) };
}

/** The report input for 002 (or for changed answers). */
export function reportInput002(data: unknown = loadAnswers002()) {
  return { ...scoreAnswers(data), unit: '南京市数据局', year: 2024, date: new Date(2025, 5, 1) };
}

/** The report input for any example answers file (framework, unit and year from the file). */
export function reportInputFor(file: string) {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { framework: string; unit: string; year: number };
  return { ...scoreAnswers(data, data.framework), unit: data.unit, year: data.year, date: new Date(data.year + 1, 5, 1) };
}

const decode = (s: string) =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** A run: its text and character style. */
export interface DocRun {
  text: string;
  style?: string;
  /** The run's own properties XML (empty when it has none). */
  rPr: string;
}

export interface DocParagraph {
  type: 'p';
  style?: string;
  text: string;
  runs: DocRun[];
  xml: string;
}

export interface DocCell {
  text: string;
  vMerge?: 'restart' | 'continue';
  gridSpan: number;
}

export interface DocTable {
  type: 'tbl';
  rows: Array<{ header: boolean; cells: DocCell[] }>;
  xml: string;
}

/** Text of every w:t in a fragment. */
function textOf(xml: string): string {
  return [...xml.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)].map((m) => decode(m[1]!)).join('');
}

function parseParagraph(xml: string): DocParagraph {
  const style = /<w:pStyle w:val="([^"]+)"/.exec(xml)?.[1];
  const runs = [...xml.matchAll(/<w:r>([\s\S]*?)<\/w:r>|<w:r [^>]*>([\s\S]*?)<\/w:r>/g)].map((m) => {
    const body = m[1] ?? m[2] ?? '';
    const rPr = /<w:rPr>([\s\S]*?)<\/w:rPr>/.exec(body)?.[1] ?? '';
    const rStyle = /<w:rStyle w:val="([^"]+)"/.exec(rPr)?.[1];
    return { text: textOf(body), rPr, ...(rStyle ? { style: rStyle } : {}) };
  });
  return { type: 'p', ...(style ? { style } : {}), text: textOf(xml), runs, xml };
}

function parseTable(xml: string): DocTable {
  const rows = [...xml.matchAll(/<w:tr>([\s\S]*?)<\/w:tr>|<w:tr [^>]*>([\s\S]*?)<\/w:tr>/g)].map((m) => {
    const body = m[1] ?? m[2] ?? '';
    const cells = [...body.matchAll(/<w:tc>([\s\S]*?)<\/w:tc>/g)].map((c) => {
      const tc = c[1]!;
      const vm = /<w:vMerge(?: w:val="(\w+)")?\/>/.exec(tc);
      const span = /<w:gridSpan w:val="(\d+)"/.exec(tc);
      return {
        text: textOf(tc),
        ...(vm ? { vMerge: (vm[1] === 'restart' ? 'restart' : 'continue') as 'restart' | 'continue' } : {}),
        gridSpan: span ? Number(span[1]) : 1,
      };
    });
    return { header: /<w:tblHeader\/>/.test(body), cells };
  });
  return { type: 'tbl', rows, xml };
}

/** The parts of a .docx the tests read. */
export interface DocxParts {
  files: string[];
  document: string;
  styles: string;
  settings: string;
  fontTable: string;
  footers: string[];
  /** Body elements in order (tables are not nested here), without the table of contents. */
  body: Array<DocParagraph | DocTable>;
  /** The table of contents' paragraphs (in its w:sdt), with its field instruction. */
  toc: { paragraphs: DocParagraph[]; instruction: string | undefined; xml: string } | undefined;
  /** Every w:sectPr, in order. */
  sections: string[];
}

/** Unzips a .docx and parses its body. */
export async function readDocx(bytes: Uint8Array): Promise<DocxParts> {
  const zip = await JSZip.loadAsync(bytes);
  const read = async (p: string) => (await zip.file(p)?.async('string')) ?? '';
  const files = Object.keys(zip.files);
  const document = await read('word/document.xml');
  const allXml = /<w:body>([\s\S]*)<\/w:body>/.exec(document)?.[1] ?? '';
  // The table of contents repeats the headings: kept apart from the body.
  const tocXml = /<w:sdt>(?:(?!<\/w:sdt>)[\s\S])*?<w:docPartGallery w:val="Table of Contents"\/>[\s\S]*?<\/w:sdt>/.exec(allXml)?.[0];
  const bodyXml = tocXml ? allXml.replace(tocXml, '') : allXml;
  const body: Array<DocParagraph | DocTable> = [];
  // Top-level paragraphs and tables, in order.
  const re = /<w:tbl>[\s\S]*?<\/w:tbl>|<w:p>[\s\S]*?<\/w:p>|<w:p [^>]*>[\s\S]*?<\/w:p>/g;
  for (const m of bodyXml.matchAll(re)) body.push(m[0].startsWith('<w:tbl>') ? parseTable(m[0]) : parseParagraph(m[0]));
  const footers = await Promise.all(files.filter((f) => /^word\/footer\d+\.xml$/.test(f)).sort().map(read));
  return {
    files,
    document,
    styles: await read('word/styles.xml'),
    settings: await read('word/settings.xml'),
    fontTable: await read('word/fontTable.xml'),
    footers,
    body,
    toc: tocXml
      ? {
          paragraphs: [...tocXml.matchAll(/<w:p>[\s\S]*?<\/w:p>|<w:p [^>]*>[\s\S]*?<\/w:p>/g)].map((m) => parseParagraph(m[0])),
          instruction: /<w:instrText[^>]*>(TOC [^<]*)<\/w:instrText>/.exec(tocXml)?.[1]?.replace(/&quot;/g, '"'),
          xml: tocXml,
        }
      : undefined,
    sections: [...document.matchAll(/<w:sectPr[\s\S]*?<\/w:sectPr>/g)].map((m) => m[0]),
  };
}

/** A style's XML from styles.xml, by id. */
export function styleXml(styles: string, id: string): string {
  const m = new RegExp(`<w:style [^>]*w:styleId="${id}"[^>]*>[\\s\\S]*?</w:style>`).exec(styles);
  return m?.[0] ?? '';
}

/** An attribute of the first element named `el` in a fragment. */
export function attrOf(xml: string, el: string, name: string): string | undefined {
  const m = new RegExp(`<${el}\\b([^>]*)/?>`).exec(xml);
  if (!m) return undefined;
  return new RegExp(`${name}="([^"]*)"`).exec(m[1]!)?.[1];
}
