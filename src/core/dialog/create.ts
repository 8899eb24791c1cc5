/**
 * Before a chat has an evaluation: 新建自评 in one line ("新建自评 南京市数据局 2024 框架=nanjing-2021
 * 截止=2025-05-31") or step by step (unit, year, framework, deadline), with every value checked and
 * asked again when it is bad. Built-in frameworks and the imported ones the bot is given can be chosen.
 */
import type { Button, InboundMessage, QuestionMeta, Reply } from '../messages';
import type { EvaluationRecord } from '../evaluation';
import { BUILTIN_FRAMEWORK_IDS, loadBuiltinFramework } from '../framework/builtin';
import type { Framework } from '../framework/load';
import { resolveFramework } from '../framework/resolve';
import type { FrameworkInput } from '../framework/schema';
import { glanceText as G, dialogText as T } from '../locale/zh-CN';
import { itemCounts } from '../scoring/summary';
import { scoreEvaluation } from '../scoring/engine';
import { recogniseCommand } from './commands';
import type { ChatDraftState, CreateDraft } from './drafts';
import type { DialogDeps, DialogOutcome, FrameworkChoice } from './turn';
import { cleanText, foldText, hasWords, normaliseText, parseChoice, parseDate, quote } from './parse';
import { buildPlan } from './plan';
import { commandButton, evaluationTitle, text } from './replies';
import { applyCarryOver, carryOverOf, describeCarryOver, lastYearOf } from './glance';
import { CARRY_OVER_NO, CARRY_OVER_YES } from './vocabulary';
import { readYesNo } from './yesno';

/** The organiser's answer to carrying last year over: true, false, or undefined when it is neither (asked again). */
function readCarryChoice(v: string): boolean | undefined {
  const w = v.replace(/[。！!，,\s]+$/g, '').trim();
  if ((CARRY_OVER_NO as readonly string[]).includes(w)) return false;
  if ((CARRY_OVER_YES as readonly string[]).includes(w)) return true;
  // The options by number (DingTalk groups list them as 1. and 2.) or by their label.
  const choice = parseChoice(w, [G.carryYes, G.carryNo]);
  if (choice.ok && !choice.rest) return choice.value === G.carryYes;
  const yn = readYesNo(w, G.carryYesNoQuestion);
  return yn.ok && !yn.rest ? yn.value : undefined;
}

/** Handles a message in a chat without an evaluation: 新建自评 and its steps, or an offer to create one. */
export function handleWithoutEvaluation(
  msg: InboundMessage,
  body: string,
  draftIn: ChatDraftState | undefined,
  deps: DialogDeps,
  extra: FrameworkChoice[],
  others: EvaluationRecord[] = [],
): DialogOutcome {
  const cmd = body ? recogniseCommand(body) : undefined;
  const actionCommand = msg.action?.type === 'command' ? { name: msg.action.command, arg: msg.action.arg ?? '' } : undefined;
  const c = cmd ?? actionCommand;
  const draft = draftIn?.kind === 'create' ? draftIn : undefined;
  if (c?.name === 'create') return createStep(msg, { kind: 'create', ...parseCreateArgs(c.arg) }, deps, extra, true, undefined, others);
  if (draft) {
    if (c?.name === 'cancel') return { replies: [text(T.createCancelled)], chatDraft: null };
    const value = msg.action?.type === 'answer' ? (msg.action.value ?? '') : body;
    return createStep(msg, draft, deps, extra, false, value, others);
  }
  if (c?.name === 'help') return { replies: [noEvaluationCard()] };
  return { replies: [noEvaluationCard()] };
}

function noEvaluationCard(): Reply {
  return { kind: 'card', title: T.noEvaluationTitle, text: T.noEvaluation, buttons: [commandButton(T.createButton, 'create')] };
}

/** 新建自评 南京市数据局 2024 框架=nanjing-2021 截止=2025-05-31; the unit's name is kept as written. */
function parseCreateArgs(arg: string): Omit<CreateDraft, 'kind'> {
  const out: Omit<CreateDraft, 'kind'> = {};
  const unitParts: string[] = [];
  const verbatim = cleanText(arg);
  // Tokens are recognised in the folded text and the unit's taken verbatim at the same indexes.
  for (const m of foldText(verbatim).matchAll(/\S+/g)) {
    const tok = m[0];
    const kv = /^(框架|指标体系|framework|截止|截止日期|deadline)[=:：](.+)$/i.exec(tok);
    const year = /^((?:19|20)\d{2})(年度|年)?$/.exec(tok);
    if (kv) {
      if (/^(框架|指标体系|framework)$/i.test(kv[1]!)) out.framework = kv[2]!;
      else out.deadline = kv[2]!;
    } else if (year && out.year === undefined) out.year = Number(year[1]);
    else unitParts.push(verbatim.slice(m.index!, m.index! + tok.length));
  }
  if (unitParts.length && hasWords(unitParts.join(''))) out.unit = unitParts.join(' ');
  return out;
}

function frameworkOptions(extra: FrameworkChoice[]): Array<{ id: string; label: string }> {
  return [
    ...BUILTIN_FRAMEWORK_IDS.map((id) => ({ id, label: `${id}：${loadBuiltinFramework(id)!.name}` })),
    ...extra.filter((f) => !BUILTIN_FRAMEWORK_IDS.includes(f.id)).map((f) => ({ id: f.id, label: `${f.id}：${f.name}` })),
  ];
}

/** The chosen framework, loaded; an imported one also gives the copy the evaluation carries. */
function chosenFramework(id: string, extra: FrameworkChoice[]): { framework: Framework; carried?: FrameworkInput } | undefined {
  const builtin = loadBuiltinFramework(id);
  if (builtin) return { framework: builtin };
  const choice = extra.find((f) => f.id === id);
  if (!choice) return undefined;
  try {
    return { framework: resolveFramework(id, choice.input), carried: choice.input };
  } catch {
    return undefined;
  }
}

function createStep(
  msg: InboundMessage,
  draft: CreateDraft,
  deps: DialogDeps,
  extra: FrameworkChoice[],
  fresh: boolean,
  value?: string,
  others: EvaluationRecord[] = [],
): DialogOutcome {
  const d: CreateDraft = { ...draft };
  const errors: string[] = [];
  // An answer to the step being asked.
  if (!fresh && d.step && value !== undefined) {
    const v = normaliseText(value);
    if (d.step === 'unit') {
      const unit = cleanText(value);
      if (!hasWords(unit) || [...unit].length > 60) errors.push(T.badUnit);
      else d.unit = unit;
    } else if (d.step === 'year') {
      const m = /^((?:19|20)\d{2})(年度|年)?$/.exec(v);
      if (!m) errors.push(T.badYear(quote(v)));
      else d.year = Number(m[1]);
    } else if (d.step === 'framework') {
      const opts = frameworkOptions(extra);
      const p = parseChoice(v, opts.map((o) => o.label));
      const byId = opts.find((o) => o.id === v);
      if (byId) d.framework = byId.id;
      else if (p.ok) d.framework = opts.find((o) => o.label === p.value)!.id;
      else errors.push(p.error);
    } else if (d.step === 'carry') {
      const choice = readCarryChoice(v);
      if (choice === undefined) errors.push(G.carryBad(quote(v)));
      else d.carry = choice;
    } else if (d.step === 'deadline') {
      if (/^(跳过|暂不设置|无)$/.test(v)) d.deadline = null;
      else {
        const p = parseDate(v, (d.year ?? deps.now.getUTCFullYear()) + 1);
        if (p.ok) d.deadline = p.value;
        else errors.push(p.error);
      }
    }
  }
  // Values given in one line still need checking.
  if (d.framework && !chosenFramework(d.framework, extra)) {
    errors.push(T.unknownFramework(quote(d.framework), frameworkOptions(extra).map((o) => o.id).join('、')));
    delete d.framework;
  }
  if (typeof d.deadline === 'string' && !/^\d{4}-\d{2}-\d{2}$/.test(d.deadline)) {
    const p = parseDate(d.deadline, (d.year ?? deps.now.getUTCFullYear()) + 1);
    if (p.ok) d.deadline = p.value;
    else {
      errors.push(p.error);
      delete d.deadline;
    }
  }
  const prefix = errors.length ? `${errors.join('\n')}\n` : '';
  if (!d.unit) return askCreate(d, 'unit', `${prefix}${T.askUnit}`);
  if (d.year === undefined) return askCreate(d, 'year', `${prefix}${T.askYear}`, { key: 'create:year', type: 'number' });
  if (!d.framework) {
    const opts = frameworkOptions(extra);
    return askCreate(d, 'framework', `${prefix}${T.askFramework}`, { key: 'create:framework', type: 'choice', options: opts.map((o) => o.label) });
  }
  // Asked step by step: the deadline is asked too (in one line it is optional: 截止 sets it later).
  if (d.deadline === undefined && d.stepwise) return askCreate(d, 'deadline', `${prefix}${T.askDeadline}`, { key: 'create:deadline', type: 'date' });

  const { framework, carried } = chosenFramework(d.framework, extra)!;
  // Last year's evaluation of the same unit: its key tasks and profile are offered, taken only when chosen.
  const previous = d.carryFrom ? others.find((o) => o.id === d.carryFrom) : lastYearOf(others, d.unit, d.year, [msg.userId]);
  const carry = previous ? carryOverOf(previous, framework) : undefined;
  if (carry && d.carry === undefined) {
    const question: QuestionMeta = { key: 'create:carry', type: 'choice', options: [G.carryYes, G.carryNo] };
    const prompt = `${prefix}${G.carryQuestion(previous!.year, describeCarryOver(carry, framework))}`;
    return askCreate({ ...d, carryFrom: previous!.id }, 'carry', prompt, question, G.carryTitle);
  }
  const now = deps.now.toISOString();
  const rec: EvaluationRecord = {
    id: deps.newId(),
    unit: d.unit,
    year: d.year,
    frameworkId: d.framework,
    ...(carried ? { framework: carried } : {}),
    chatIds: [msg.chatId],
    organisers: [msg.userId],
    assignments: {},
    members: { [msg.userId]: msg.userName ? { name: msg.userName } : {} },
    ...(d.deadline ? { deadline: d.deadline } : {}),
    answers: carry && d.carry ? applyCarryOver({ framework: d.framework, unit: d.unit, year: d.year }, carry) : { framework: d.framework, unit: d.unit, year: d.year },
    sessions: {},
    createdAt: now,
    updatedAt: now,
    revision: 0,
  };
  const result = scoreEvaluation(framework, rec.answers);
  const plan = buildPlan(framework, rec.answers, result);
  return {
    replies: [
      {
        kind: 'card',
        title: T.createdTitle,
        text: `${prefix}${T.created(evaluationTitle(rec), framework.name, itemCounts(result).applicable, plan.length, rec.deadline, [...framework.byCode.values()].some((i) => i.keyTasks))}${carry && d.carry ? `\n${G.carried(previous!.year)}` : ''}`,
        buttons: [commandButton(T.startButton, 'start'), commandButton(T.helpButton, 'help')],
      },
    ],
    created: rec,
    audit: [
      {
        at: now,
        userId: msg.userId,
        ...(msg.userName ? { userName: msg.userName } : {}),
        path: 'evaluation',
        new: { unit: d.unit, year: d.year, framework: d.framework, ...(carry && d.carry ? { carriedFrom: previous!.id } : {}) },
      },
    ],
    chatDraft: null,
  };
}

function askCreate(d: CreateDraft, step: string, prompt: string, meta?: QuestionMeta, title: string = T.createTitle): DialogOutcome {
  // The carry-over choice is not a step of creating step by step (a one-line 新建自评 stays one).
  const draft: CreateDraft = { ...d, step, ...(step === 'carry' ? {} : { stepwise: true }) };
  const question = meta ?? { key: `create:${step}`, type: 'text' as const };
  const buttons: Button[] = (question.options ?? []).map((o) => ({ label: o, action: { type: 'answer', key: question.key, value: o } }));
  if (step === 'deadline') buttons.push({ label: T.skipButton, action: { type: 'answer', key: question.key, value: '跳过' } });
  const reply: Reply = buttons.length
    ? { kind: 'card', title, text: prompt, buttons, question }
    : { kind: 'text', text: prompt, question };
  return { replies: [reply], chatDraft: draft };
}
