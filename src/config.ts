/**
 * Configuration: the environment, parsed once with one zod schema at start-up. Errors name the variable.
 *
 * @example const config = loadConfig(process.env)
 */
import { z } from 'zod';

const optionalText = z
  .string()
  .trim()
  .transform((s) => (s === '' ? undefined : s))
  .optional();

const baseUrl = (fallback?: string) =>
  z
    .string()
    .trim()
    .transform((s) => (s === '' ? undefined : s.replace(/\/+$/, '')))
    .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional())
    .optional()
    .transform((s) => s ?? fallback);

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const seconds = (fallback: number) =>
  z.preprocess(emptyToUndefined, z.coerce.number({ error: 'must be a number of seconds' }).int().min(1).max(7 * 24 * 3600).default(fallback));

/** The environment variables the server reads. */
export const configSchema = z.object({
  PORT: z.preprocess(
    emptyToUndefined,
    z.coerce.number({ error: 'must be a port number (0–65535)' }).int().min(0).max(65535).default(3000),
  ),
  DATA_DIR: z.preprocess(emptyToUndefined, z.string().trim().default('./data')),
  /** When set, the JSON API and the console need `Authorization: Bearer <token>`. */
  ADMIN_TOKEN: optionalText,
  /** Makes file links absolute (e.g. https://bot.example.gov.cn). */
  PUBLIC_BASE_URL: baseUrl(),
  FEISHU_APP_ID: optionalText,
  FEISHU_APP_SECRET: optionalText,
  FEISHU_VERIFICATION_TOKEN: optionalText,
  FEISHU_ENCRYPT_KEY: optionalText,
  FEISHU_BASE_URL: baseUrl('https://open.feishu.cn'),
  /** `webhook` (POST /webhook/feishu) or `ws` (the SDK's long connection, for servers without a public address). */
  FEISHU_MODE: z.preprocess(emptyToUndefined, z.enum(['webhook', 'ws'], { error: 'must be "webhook" or "ws"' }).default('webhook')),
  /** How far a Feishu request's timestamp may be from now (seconds). */
  FEISHU_TIMESTAMP_WINDOW_SECONDS: seconds(3600),
  DINGTALK_APP_KEY: optionalText,
  DINGTALK_APP_SECRET: optionalText,
  DINGTALK_ROBOT_CODE: optionalText,
  DINGTALK_API_BASE: baseUrl('https://api.dingtalk.com'),
  DINGTALK_OAPI_BASE: baseUrl('https://oapi.dingtalk.com'),
  /** `http` (POST /webhook/dingtalk) or `stream` (the dingtalk-stream SDK, for servers without a public address). */
  DINGTALK_MODE: z.preprocess(emptyToUndefined, z.enum(['http', 'stream'], { error: 'must be "http" or "stream"' }).default('http')),
  /** How far a DingTalk callback's timestamp may be from now (seconds; DingTalk documents one hour). */
  DINGTALK_TIMESTAMP_WINDOW_SECONDS: seconds(3600),
  /** How long a question shown to someone stays theirs while they do nothing (seconds; default 10 minutes). */
  QUESTION_HOLD_SECONDS: seconds(600),
  /**
   * The optional language-model assistant (OpenAI-compatible chat completions): the API's base URL (up to
   * and including `/v1`), its key and the model. Absent, there is no assistant and everything works without.
   */
  LLM_BASE_URL: baseUrl(),
  LLM_API_KEY: optionalText,
  LLM_MODEL: optionalText,
  /** How long one assistant call may take, retries included (seconds). */
  LLM_TIMEOUT_SECONDS: seconds(20),
  /** Retries of a call answered 429 or 5xx (or not reached). */
  LLM_MAX_RETRIES: z.preprocess(emptyToUndefined, z.coerce.number({ error: 'must be a whole number' }).int().min(0).max(5).default(2)),
  /** Tokens the assistant may use per calendar month (China time) in this deployment; past it, it is not called. */
  LLM_MONTHLY_TOKEN_CAP: z.preprocess(emptyToUndefined, z.coerce.number({ error: 'must be a whole number of tokens' }).int().min(0).default(1_000_000)),
});

/** The parsed configuration. */
export type Config = z.infer<typeof configSchema>;

/** Thrown when the environment is invalid; the message lists every bad variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws ConfigError naming each bad variable (never echoing its value). */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(environment)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  if (config.DINGTALK_APP_KEY && !config.DINGTALK_ROBOT_CODE) config.DINGTALK_ROBOT_CODE = config.DINGTALK_APP_KEY;
  const half = assistantConfigProblems(env);
  if (half.length) throw new ConfigError(`invalid configuration:\n${half.map((k) => `  ${k}: must be set with the other LLM_ variables`).join('\n')}`);
  return config;
}

/**
 * The LLM_ variables missing when some are set: any LLM_ variable (a key, a timeout, a cap…) asks for
 * an assistant, which needs LLM_BASE_URL and LLM_MODEL together. Read from the raw environment, since
 * the parsed one has defaults filled in. Names only, never a value.
 */
export function assistantConfigProblems(env: Record<string, string | undefined>): string[] {
  const set = (k: string) => !!env[k]?.trim();
  const started = Object.keys(env).some((k) => k.startsWith('LLM_') && set(k));
  if (!started) return [];
  return ['LLM_BASE_URL', 'LLM_MODEL'].filter((k) => !set(k));
}

/** The assistant's settings when a model is configured (LLM_BASE_URL and LLM_MODEL set), else undefined. */
export interface AssistantConfig {
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs: number;
  maxRetries: number;
  monthlyTokenCap: number;
}

/** The assistant's settings from the configuration; undefined when no model is configured. */
export function assistantConfigOf(config: Config): AssistantConfig | undefined {
  if (!config.LLM_BASE_URL || !config.LLM_MODEL) return undefined;
  return {
    baseUrl: config.LLM_BASE_URL,
    ...(config.LLM_API_KEY ? { apiKey: config.LLM_API_KEY } : {}),
    model: config.LLM_MODEL,
    timeoutMs: config.LLM_TIMEOUT_SECONDS * 1000,
    maxRetries: config.LLM_MAX_RETRIES,
    monthlyTokenCap: config.LLM_MONTHLY_TOKEN_CAP,
  };
}

/** Whether a platform channel is on, how it receives, and which variables it still needs. */
export interface ChannelStatus {
  on: boolean;
  /** How events arrive: a webhook, or a connection the server opens (for servers without a public address). */
  receiver: 'webhook' | 'connection';
  /** The variables missing for it to be on (empty when on). */
  missing: string[];
}

/**
 * Which platform channels have what they need (the local channel is always on). A Feishu webhook also
 * needs what authenticates a request: the Encrypt Key (every request encrypted and signed) or the
 * Verification Token (in every request), best both.
 */
export function describeChannels(config: Config): { feishu: ChannelStatus; dingtalk: ChannelStatus } {
  const need = (vars: Array<[string, string | undefined]>) => vars.filter(([, v]) => !v).map(([k]) => k);
  const feishuWebhook = config.FEISHU_MODE === 'webhook';
  const feishuMissing = need([
    ['FEISHU_APP_ID', config.FEISHU_APP_ID],
    ['FEISHU_APP_SECRET', config.FEISHU_APP_SECRET],
    ...(feishuWebhook
      ? ([['FEISHU_VERIFICATION_TOKEN or FEISHU_ENCRYPT_KEY', config.FEISHU_VERIFICATION_TOKEN ?? config.FEISHU_ENCRYPT_KEY]] as Array<[string, string | undefined]>)
      : []),
  ]);
  const dingtalkMissing = need([
    ['DINGTALK_APP_KEY', config.DINGTALK_APP_KEY],
    ['DINGTALK_APP_SECRET', config.DINGTALK_APP_SECRET],
  ]);
  return {
    feishu: { on: feishuMissing.length === 0, receiver: feishuWebhook ? 'webhook' : 'connection', missing: feishuMissing },
    dingtalk: { on: dingtalkMissing.length === 0, receiver: config.DINGTALK_MODE === 'http' ? 'webhook' : 'connection', missing: dingtalkMissing },
  };
}
