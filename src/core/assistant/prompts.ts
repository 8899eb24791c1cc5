/**
 * The language-model assistant's prompts, as data: one JSON file per task under `prompts/` (an id, a
 * version, system and user templates with `{{variables}}`, the variables declared with what they hold,
 * the output format, and an example). Bundled by static import (no file system, so Node, vitest and
 * workerd read them alike) and validated when first used: an error names the file and the field.
 *
 * To add a prompt: write `prompts/<id>.json`, import it below and add it to SOURCES.
 *
 * @example renderPrompt(getPrompt('interpret-reply'), { question: '…', answerType: 'boolean', … })
 */
import { z } from 'zod';
import draftSection from '../../../prompts/draft-section.json';
import interpretReply from '../../../prompts/interpret-reply.json';
import proposeRule from '../../../prompts/propose-rule.json';

/** Every bundled prompt file, by id (the file is `prompts/<id>.json`). */
const SOURCES: Record<string, unknown> = {
  'interpret-reply': interpretReply,
  'draft-section': draftSection,
  'propose-rule': proposeRule,
};

/** Ids of the bundled prompts. */
export const PROMPT_IDS: readonly string[] = Object.keys(SOURCES);

const VARIABLE = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/g;
const variableName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a name of letters, digits and _');

/** The shape of a prompt file. */
export const promptSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]*$/, 'must be lower-case letters, digits and -'),
    version: z.number().int().min(1),
    description: z.string().min(1),
    system: z.string().min(1),
    user: z.string().min(1),
    variables: z.record(variableName, z.string().min(1, 'must say what the variable holds')),
    output: z.object({ format: z.enum(['json', 'text']), description: z.string().min(1) }).strict(),
    example: z.object({ variables: z.record(z.string(), z.string()), output: z.string().min(1) }).strict(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const declared = new Set(Object.keys(p.variables));
    const used = new Set<string>();
    for (const field of ['system', 'user'] as const) {
      for (const m of p[field].matchAll(VARIABLE)) {
        used.add(m[1]!);
        if (!declared.has(m[1]!)) ctx.addIssue({ code: 'custom', path: [field], message: `uses {{${m[1]}}}, which is not declared in variables` });
      }
    }
    for (const name of declared) if (!used.has(name)) ctx.addIssue({ code: 'custom', path: ['variables', name], message: 'is declared but used in neither template' });
    for (const name of declared) if (p.example.variables[name] === undefined) ctx.addIssue({ code: 'custom', path: ['example', 'variables', name], message: 'is missing from the example' });
    for (const name of Object.keys(p.example.variables)) if (!declared.has(name)) ctx.addIssue({ code: 'custom', path: ['example', 'variables', name], message: 'is not a declared variable' });
    if (p.output.format === 'json') {
      try {
        JSON.parse(p.example.output);
      } catch {
        ctx.addIssue({ code: 'custom', path: ['example', 'output'], message: 'must be JSON, as output.format says' });
      }
    }
  });

/** A validated prompt. */
export type Prompt = z.infer<typeof promptSchema>;

/** A prompt file that does not validate: the message names the file and each bad field. */
export class PromptError extends Error {
  override name = 'PromptError';
}

/** Validates a prompt file's data; `file` names it in errors. The id must be the file's name. */
export function loadPrompt(data: unknown, file: string): Prompt {
  const parsed = promptSchema.safeParse(data);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${file}: ${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new PromptError(`invalid prompt:\n${lines.join('\n')}`);
  }
  const base = /([^/\\]+)\.json$/.exec(file)?.[1];
  if (base && parsed.data.id !== base) throw new PromptError(`invalid prompt:\n  ${file}: id: must be the file's name ("${base}")`);
  return parsed.data;
}

const cache = new Map<string, Prompt>();

/** A bundled prompt by id, validated once; throws PromptError when its file is broken or there is none. */
export function getPrompt(id: string): Prompt {
  const hit = cache.get(id);
  if (hit) return hit;
  if (!Object.hasOwn(SOURCES, id)) throw new PromptError(`no prompt "${id}" (prompts/${id}.json)`);
  const prompt = loadPrompt(SOURCES[id], `prompts/${id}.json`);
  cache.set(id, prompt);
  return prompt;
}

/** A chat message as OpenAI-compatible APIs take it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * The prompt's messages with its variables filled in. Every declared variable must be given (an
 * empty string is allowed); a variable not declared is refused, so nothing is sent that the file
 * does not name.
 */
export function renderPrompt(prompt: Prompt, vars: Record<string, string>): ChatMessage[] {
  for (const name of Object.keys(prompt.variables)) if (typeof vars[name] !== 'string') throw new PromptError(`prompt "${prompt.id}": variable ${name} not given`);
  for (const name of Object.keys(vars)) if (!Object.hasOwn(prompt.variables, name)) throw new PromptError(`prompt "${prompt.id}": variable ${name} is not declared`);
  const fill = (t: string) => t.replace(VARIABLE, (_, name: string) => vars[name]!);
  return [
    { role: 'system', content: fill(prompt.system) },
    { role: 'user', content: fill(prompt.user) },
  ];
}
