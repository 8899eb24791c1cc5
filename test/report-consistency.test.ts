/** The report flags figures that do not reconcile, unless confirmed, and leaves out figures that do not apply. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBuiltinFramework } from '../src/core/framework/builtin';
import { blockText, buildReportContent } from '../src/core/report';
import type { Answers } from '../src/core/scoring/answers';
import { scoreEvaluation } from '../src/core/scoring/engine';

function reportText(frameworkId: string, answers: Answers): { text: string; missing: string[] } {
  const framework = loadBuiltinFramework(frameworkId)!;
  const result = scoreEvaluation(framework, answers);
  const content = buildReportContent({ framework, answers, result, unit: '某单位', year: 2024, date: new Date('2025-06-01') });
  return { text: content.blocks.map(blockText).join('\n'), missing: content.missing };
}

const example002 = (): Answers => JSON.parse(readFileSync('templates/examples/nanjing-2021-data-bureau-2024.json', 'utf8'));

describe('report and consistency checks', () => {
  it('marks a balance that does not hold as 待核对 until someone confirms it', () => {
    const answers = example002();
    answers.facts!.carryoverEnd = 990;
    const flagged = reportText('nanjing-2021', answers);
    expect(flagged.text).toContain('【待核对：年末结转和结余核对不符');
    answers.confirmedChecks = ['balance'];
    const confirmed = reportText('nanjing-2021', answers);
    expect(confirmed.text).not.toContain('待核对');
    expect(confirmed.text).toContain('年末结转和结余990万元');
  });

  it('leaves out money figures asked only for indicators that do not apply', () => {
    const answers: Answers = JSON.parse(readFileSync('templates/examples/guangdong-2020-zhanjiang-office-2020.json', 'utf8'));
    const { missing } = reportText('guangdong-2020', answers);
    expect(missing.filter((m) => m.includes('三公'))).toEqual([]);
  });
});
