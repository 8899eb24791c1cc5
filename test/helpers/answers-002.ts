/**
 * What the unit of seed 002 (南京市数据局 2024, templates/examples/nanjing-2021-data-bureau-2024.json) would
 * answer to each of the bot's questions, for tests that run its whole questionnaire on any channel.
 * Answered in full, the evaluation scores 98.5 (优秀), as the published report.
 */
import { readFileSync } from 'node:fs';

/** The answers file of 002. */
export const ANSWERS_002 = JSON.parse(readFileSync('templates/examples/nanjing-2021-data-bureau-2024.json', 'utf8'));

/** The text 002's unit would send for a question (by its key). */
export function answer002(q: { key: string; type: string; options?: string[] }): string {
  const [kind, target] = q.key.split(':') as [string, string | undefined];
  const a = ANSWERS_002;
  switch (kind) {
    case 'fact':
      return String(a.facts[target!]);
    case 'metric':
      // A metric also computed from the facts: 002 reports no separate figure.
      return a.metrics?.[target!] === undefined ? '没有' : `${a.metrics[target!]}%`;
    case 'judgement': {
      const j = a.judgements[target!];
      if (j === true) return a.evidence?.[target!] ? `是，${typeof a.evidence[target!] === 'string' ? a.evidence[target!] : a.evidence[target!].title}` : '是';
      if (j?.value === false) return `否，${j.reason}`;
      if (j?.level) return j.reason ? `${j.level}，${j.reason}` : j.level;
      return '是';
    }
    case 'keyTasks':
      return a.keyTasks[target!].map((k: { name: string; points: number }) => `${k.name} ${k.points}分`).join('\n');
    case 'bonus':
      return '3 市级部门绩效考核位列第一等次';
    case 'penalty':
      return '无';
    case 'narrative':
      return `${a.narratives[target!]}\n完成`;
    default:
      return '是';
  }
}

