/**
 * The Workers deployment's configuration: the same zod schema as Node (`src/config.ts`) over the
 * Worker's string variables and secrets (`[vars]` and `wrangler secret put`), plus the bindings
 * (D1, the inbox Queue). What is missing or invalid is reported by name only, never with a value.
 */
import type { D1Database, Queue } from '@cloudflare/workers-types';
import { assistantConfigProblems, configSchema, describeChannels, type Config } from '../../config';

/** What a queued inbox message names: a chat whose recorded events are to be processed. */
export interface InboxMessage {
  channel: 'feishu' | 'dingtalk';
  chatId: string;
}

/** The Worker's environment: bindings from wrangler.toml, variables and secrets as strings. */
export interface WorkersEnv {
  /** D1: every piece of state (wrangler.toml `[[d1_databases]]`, binding "DB"). */
  DB?: D1Database;
  /** The inbox Queue (optional: without it a chat is processed in the webhook's `waitUntil`). */
  INBOX?: Queue<InboxMessage>;
  [name: string]: unknown;
}

/** The configuration, or what is wrong with it. */
export type WorkersConfig =
  | { ok: true; config: Config; problems: string[]; adminTokenMissing: boolean }
  | { ok: false; problems: string[]; adminTokenMissing: boolean };

/**
 * Reads the configuration. `problems` names what stops the deployment from working (a missing D1
 * binding, an invalid variable, a platform half configured, a Node-only receiver mode); a missing
 * ADMIN_TOKEN only shuts the console and API (reported apart).
 */
export function readWorkersConfig(env: WorkersEnv): WorkersConfig {
  const strings: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') strings[k] = v;
  const problems: string[] = [];
  if (!env.DB) problems.push('DB (D1 binding)');
  const parsed = configSchema.safeParse(strings);
  const adminTokenMissing = !strings.ADMIN_TOKEN?.trim();
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(String(issue.path.join('.') || '(environment)'));
    return { ok: false, problems: [...new Set(problems)], adminTokenMissing };
  }
  const config = parsed.data;
  if (config.DINGTALK_APP_KEY && !config.DINGTALK_ROBOT_CODE) config.DINGTALK_ROBOT_CODE = config.DINGTALK_APP_KEY;
  // Long connections need a process that stays up: Node only.
  if (config.FEISHU_MODE !== 'webhook') problems.push('FEISHU_MODE (only "webhook" on Workers)');
  if (config.DINGTALK_MODE !== 'http') problems.push('DINGTALK_MODE (only "http" on Workers)');
  // A platform with some of its variables set and others not: a secret was forgotten.
  const status = describeChannels(config);
  const started = {
    feishu: ['FEISHU_APP_ID', 'FEISHU_APP_SECRET', 'FEISHU_VERIFICATION_TOKEN', 'FEISHU_ENCRYPT_KEY'].some((k) => strings[k]?.trim()),
    dingtalk: ['DINGTALK_APP_KEY', 'DINGTALK_APP_SECRET'].some((k) => strings[k]?.trim()),
  };
  for (const name of ['feishu', 'dingtalk'] as const) if (started[name] && !status[name].on) problems.push(...status[name].missing);
  // The assistant half configured (a key or a base URL without a model…): a variable was forgotten.
  problems.push(...assistantConfigProblems(strings));
  return problems.length ? { ok: false, problems, adminTokenMissing } : { ok: true, config, problems, adminTokenMissing };
}
