/**
 * The drafts a dialog keeps between messages, as zod schemas and their types: a session's draft (a
 * long answer collected over several messages, key tasks entered a few at a time) and a chat's draft
 * before it has an evaluation (新建自评 step by step, or confirming an imported framework).
 *
 * They are stored as plain JSON beside the evaluation or the chat, so what comes back from storage is
 * read with `readSessionDraft` / `readChatDraft`: a draft that does not parse (garbage, an old shape)
 * is dropped, and the dialog goes on as if there were none.
 */
import { z } from 'zod';

/** A key task entered so far (what `parseKeyTaskLines` reads: points and target may still be 0 here). */
const draftKeyTaskSchema = z.object({
  name: z.string(),
  points: z.number(),
  target: z.number().optional(),
});

/**
 * A multi-message answer to the question `key`: the parts of a narrative written so far, or the
 * choice between two figures (a button press) waiting for its reason.
 */
export const collectDraftSchema = z.object({
  kind: z.literal('collect'),
  key: z.string(),
  parts: z.array(z.string()).optional(),
  choice: z.string().optional(),
});
export type CollectDraft = z.infer<typeof collectDraftSchema>;

/** Key tasks of the slot `slot` entered so far, saved once their points add up to the slot's. */
export const keyTasksDraftSchema = z.object({
  kind: z.literal('keyTasks'),
  slot: z.string(),
  items: z.array(draftKeyTaskSchema),
});
export type KeyTasksDraft = z.infer<typeof keyTasksDraftSchema>;

/**
 * The assistant's reading of a reply to the question `key`, waiting for the person's confirmation
 * (「您的意思是：…？」): `reply` is what is read, as if typed, once they confirm; `answer` and `basis` are
 * what the confirmation showed. Nothing is recorded before.
 */
export const interpretDraftSchema = z.object({
  kind: z.literal('interpret'),
  key: z.string(),
  reply: z.string(),
  answer: z.string(),
  basis: z.string().optional(),
});
export type InterpretDraft = z.infer<typeof interpretDraftSchema>;

/** A session's draft: a multi-message text answer being collected, key tasks being entered, or a reading to confirm. */
export const sessionDraftSchema = z.discriminatedUnion('kind', [collectDraftSchema, keyTasksDraftSchema, interpretDraftSchema]);
export type SessionDraft = z.infer<typeof sessionDraftSchema>;

/** 新建自评 asked step by step (or a one-line one still missing something): what is known so far. */
export const createDraftSchema = z.object({
  kind: z.literal('create'),
  unit: z.string().optional(),
  year: z.number().optional(),
  framework: z.string().optional(),
  deadline: z.string().nullable().optional(),
  step: z.string().optional(),
  stepwise: z.boolean().optional(),
  /** Last year's evaluation offered for carrying over (its id), and the organiser's choice once made. */
  carryFrom: z.string().optional(),
  carry: z.boolean().optional(),
});
export type CreateDraft = z.infer<typeof createDraftSchema>;

/** The chat state of a confirmation in progress (kept as the sender's chat draft). */
export const confirmStateSchema = z.object({
  kind: z.literal('confirmFramework'),
  id: z.string(),
  /** The code of the row being asked. */
  current: z.string().optional(),
  /** Rows passed over with 跳过, asked again after the rest. */
  skipped: z.array(z.string()),
  /** The assistant's proposed rule for a row, shown and waiting for 采用 / 不采用 (as the organiser would type it). */
  proposal: z.object({ code: z.string(), rule: z.string() }).optional(),
});
export type ConfirmState = z.infer<typeof confirmStateSchema>;

/** A chat's draft: 新建自评 in progress, or the confirmation of an imported framework. */
export const chatDraftStateSchema = z.discriminatedUnion('kind', [createDraftSchema, confirmStateSchema]);
export type ChatDraftState = z.infer<typeof chatDraftStateSchema>;

/** A session's draft as read back from storage; undefined when there is none or it does not parse. */
export function readSessionDraft(raw: unknown): SessionDraft | undefined {
  if (raw === undefined) return undefined;
  const parsed = sessionDraftSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** A chat's draft as read back from storage; undefined when there is none or it does not parse. */
export function readChatDraft(raw: unknown): ChatDraftState | undefined {
  if (raw === undefined) return undefined;
  const parsed = chatDraftStateSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}
