/**
 * The storage port: what the bot needs from a store, nothing more. Node uses lowdb files
 * (`lowdb.ts`); tests use memory (`memory.ts`); Workers use SQL on D1 (`sql/`). Every method is async.
 */

export type { AuditEntry, ChatDraft, EvaluationRecord, SessionState, StoredChatDraft } from '../core/evaluation';
export type { FrameworkRecord, FrameworkStatus } from '../core/framework-record';

/** An imported framework without its rows (see `Store.listFrameworkHeads`). */
export type FrameworkHead = Pick<FrameworkRecord, 'id' | 'name' | 'status' | 'createdAt' | 'updatedAt'>;
export type { OverviewBinding, OverviewUnit } from '../core/overview';
import type { OverviewBinding } from '../core/overview';
import type { AuditEntry, EvaluationRecord, StoredChatDraft } from '../core/evaluation';
import type { ChannelId, Delivery, InboxEntry } from '../core/messages';
import type { FrameworkRecord } from '../core/framework-record';

/**
 * A change the store could not write (a full disk, an I/O error). Nothing of it was kept: the store is
 * as it was before the call, so the caller says so (the chat: not saved, please send again; HTTP: 507)
 * and the same change may simply be tried again.
 */
export class StoreWriteError extends Error {
  override name = 'StoreWriteError';
  /** The system's error code when there is one (`ENOSPC` for a full disk, `EIO`…). */
  readonly code: string | undefined;
  constructor(message: string, options: { cause?: unknown; code?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
  }
}

/** True when `err` (or an error it was caused by) is a StoreWriteError. */
export function isStoreWriteError(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (e instanceof StoreWriteError || e.name === 'StoreWriteError') return true;
  return false;
}

/** Thrown when an evaluation's stored data cannot be read (damaged): names it and says why. */
export class BrokenEvaluationError extends Error {
  override name = 'BrokenEvaluationError';
  constructor(
    readonly evaluationId: string,
    readonly reason: string,
  ) {
    super(`evaluation "${evaluationId}" cannot be read: ${reason}`);
  }
}

/** An evaluation whose stored data cannot be read (edited by hand, a damaged disk): reported and skipped by lists. */
export interface BrokenEvaluation {
  id: string;
  /** Why it cannot be read, for the log and the console (English, technical). */
  reason: string;
}

/** A stored file (a generated report) served at /files/:id. */
export interface StoredFile {
  id: string;
  name: string;
  mime: string;
  bytes: Uint8Array;
  createdAt: string;
}

/**
 * The message log: what platform channels need to answer nothing twice and lose nothing. Every method
 * is durable before it resolves (on the lowdb store: flushed to the device), so an acknowledged event
 * or a recorded reply survives a crash.
 */
export interface MessageLog {
  /** Claims an event id once (platform dedupe); false when already claimed within ttlMs. */
  claimEvent(key: string, ttlMs: number): Promise<boolean>;
  /**
   * Claims every key (kept ttlMs) and records the inbound event, in one step: false, and nothing
   * recorded, when any key is already claimed (a duplicate delivery). The store takes `entry` over
   * (on the hot path of every acknowledgement, so not copied): the caller must not change it after.
   */
  recordInbound(entry: InboxEntry, keys: string[], ttlMs: number): Promise<boolean>;
  /** Marks an inbound event processed and records the replies it produced, in one step (taking them over). */
  settleInbound(id: string, deliveries: Delivery[]): Promise<void>;
  /** Records replies nobody asked for (reminders) for sending (taking them over). */
  enqueueOutbound(deliveries: Delivery[]): Promise<void>;
  /**
   * Claims a reminder slot (`<evaluation>/<day>/<kind>`, kept ttlMs) and records its replies for sending,
   * in one durable step: false, and nothing recorded, when the slot was claimed before (by this run or
   * an earlier one). So a reminder is recorded once, and once recorded it is sent (see `listPending`).
   */
  claimSlot(slot: string, deliveries: Delivery[], ttlMs: number): Promise<boolean>;
  /** The reminder slots claimed and not expired. */
  listSlots(): Promise<string[]>;
  /** Marks a reply sent, or given up on (`failed`); it is not sent again. */
  settleOutbound(id: string, outcome: 'sent' | 'failed'): Promise<void>;
  /** Inbound events recorded but not processed, and replies recorded but not sent, oldest first. */
  listPending(): Promise<{ inbound: InboxEntry[]; outbound: Delivery[] }>;
}

/**
 * Small state a channel keeps per chat (a DingTalk session webhook and its expiry, whether a group was
 * told how to answer), as JSON by key.
 */
export interface ChannelStateStore {
  getChannelState(key: string): Promise<Record<string, unknown> | undefined>;
  /** Replaces the state of `key`; undefined deletes it. */
  setChannelState(key: string, value: Record<string, unknown> | undefined): Promise<void>;
  /**
   * Counts one call in `key`'s state `{ month, calls }`, atomically across instances (a new month starts
   * at one); durable before resolving, and resolves to the count after it.
   */
  addChannelCall(key: string, month: string): Promise<ChannelCallCount>;
}

/** A channel's count of platform calls in a month (`YYYY-MM`), kept as its state. */
export interface ChannelCallCount {
  month: string;
  calls: number;
}

/** The count in a channel state value: zero when it is of another month or not a count. */
export function callCountOf(value: Record<string, unknown> | undefined, month: string): ChannelCallCount {
  const calls = value && value['month'] === month && typeof value['calls'] === 'number' ? value['calls'] : 0;
  return { month, calls };
}

/**
 * Per-chat order when several instances process one inbox (Workers isolates, several Node processes):
 * an instance processes a chat's events only while it holds the chat's lease, oldest first. A store
 * shared by several instances (SQL) implements it; a store owned by one process needs none (its
 * pipeline orders chats in memory).
 */
export interface InboxOrder {
  /**
   * Takes (or renews) the lease of `chatKey` for `holder` until now + ttlMs: false when another holder
   * has a lease that has not expired. Atomic across instances.
   */
  leaseChat(chatKey: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` still has it (else does nothing). */
  releaseChat(chatKey: string, holder: string): Promise<void>;
  /** A chat's inbound events recorded but not processed, in the order they were recorded. */
  listPendingInbound(channel: ChannelId, chatId: string): Promise<InboxEntry[]>;
}

/** True when the store implements `InboxOrder`. */
export function hasInboxOrder(store: Store): store is Store & InboxOrder {
  const s = store as Partial<InboxOrder>;
  return typeof s.leaseChat === 'function' && typeof s.releaseChat === 'function' && typeof s.listPendingInbound === 'function';
}

/** Which page of the evaluations `listEvaluationPage` reads. */
export interface EvaluationPageRequest {
  /** The cursor: the page starts after this id (`next` of the page before); from the first when absent. */
  after?: string;
  /** The most evaluations on the page (a whole number, at least 1). */
  limit: number;
}

/** A page of evaluations, in id order. */
export interface EvaluationPage {
  evaluations: EvaluationRecord[];
  /** The cursor of the next page; absent after the last page. */
  next?: string;
}

/** The language-model assistant's use in one month, across the deployment (see app/assistant.ts). */
export interface AssistantUsage {
  tokens: number;
  calls: number;
}

/** The assistant's monthly use, counted against the deployment's cap (LLM_MONTHLY_TOKEN_CAP). */
export interface AssistantUsageStore {
  /** The use in a month (`YYYY-MM`); zero when nothing was counted. */
  getAssistantUsage(month: string): Promise<AssistantUsage>;
  /**
   * Adds one call's tokens (rounded to a whole number) to a month's use, atomically (durably before
   * resolving); resolves to the month's use after it.
   */
  addAssistantUsage(month: string, tokens: number): Promise<AssistantUsage>;
}

export interface Store extends MessageLog, ChannelStateStore, AssistantUsageStore {
  /** The evaluation bound to a chat, if any. */
  evaluationIdForChat(chatId: string): Promise<string | undefined>;
  /**
   * A copy of an evaluation, except that the framework it carries (`framework`, fixed at creation) may be
   * one read-only object shared by every read, so it is validated once rather than per message.
   */
  getEvaluation(id: string): Promise<EvaluationRecord | undefined>;
  /** Every evaluation that can be read; one whose data is damaged is skipped (see `listBrokenEvaluations`). */
  listEvaluations(): Promise<EvaluationRecord[]>;
  /**
   * The evaluations a page at a time, in id order (ids compared by code unit; safe ids are ASCII), so a
   * run over a province's thousands of units never holds them all at once. An evaluation created or
   * removed meanwhile may or may not be on a later page; a damaged one is skipped as by
   * `listEvaluations`, so a page may hold fewer than `limit` though more follow.
   */
  listEvaluationPage(page: EvaluationPageRequest): Promise<EvaluationPage>;
  /**
   * The evaluations the last `listEvaluations` (or any read) found damaged and skipped. Optional: a
   * store whose records cannot be damaged independently (memory, SQL) has none.
   */
  listBrokenEvaluations?(): Promise<BrokenEvaluation[]>;
  /** Creates an evaluation and binds its chats, with the first entries of its audit trail; fails if a chat is already bound. */
  createEvaluation(rec: EvaluationRecord, audit?: AuditEntry[]): Promise<void>;
  /**
   * Read-modify-write of one evaluation, serialised per evaluation. `mutate` changes the record in place
   * (or returns a replacement) and may push entries onto `audit`, stored with the change; the result is
   * durably written before the promise resolves, with `revision` bumped.
   */
  updateEvaluation(id: string, mutate: (rec: EvaluationRecord, audit: AuditEntry[]) => EvaluationRecord | void): Promise<EvaluationRecord>;
  /**
   * Compare-and-swap: writes `next` (with its audit entries) only if the stored record is still at
   * `next.revision`, i.e. `next` was made from the current record; resolves to the written record
   * (revision bumped; the store takes `next` over) or undefined when another write came first.
   * Saves the read that `updateEvaluation` does when the caller already holds the record.
   */
  replaceEvaluation(next: EvaluationRecord, audit?: AuditEntry[]): Promise<EvaluationRecord | undefined>;
  /** The audit trail of an evaluation (who, when, old and new value of every change), oldest first. */
  listAudit(evaluationId: string): Promise<AuditEntry[]>;
  /** Binds another chat to an evaluation. */
  bindChat(chatId: string, evaluationId: string): Promise<void>;
  /** The sender's chat draft as stored: read its `draft` with `readChatDraft` (core/dialog/drafts.ts). */
  getChatDraft(chatId: string, userId: string): Promise<StoredChatDraft | undefined>;
  setChatDraft(draft: StoredChatDraft | { chatId: string; userId: string; draft: undefined }): Promise<void>;
  /** Deletes every chat draft last changed before `before` (ISO), in one write; resolves to how many. */
  deleteChatDraftsBefore(before: string): Promise<number>;
  putFile(file: Omit<StoredFile, 'id' | 'createdAt'>): Promise<StoredFile>;
  getFile(id: string): Promise<StoredFile | undefined>;
  /**
   * Stores an imported framework, replacing one with the same id (durably written before the promise
   * resolves). Throws on an id that is unsafe or a built-in framework's id.
   */
  putFramework(rec: FrameworkRecord): Promise<void>;
  /**
   * Read-modify-write of one imported framework, serialised per id with `putFramework` (so answers
   * from the console and the chat never overwrite each other). `mutate` changes the record in place or
   * returns a replacement, or throws to leave it unchanged; `updatedAt` is set by the store.
   */
  updateFramework(id: string, mutate: (rec: FrameworkRecord) => FrameworkRecord | void): Promise<FrameworkRecord>;
  /** An imported framework by id (a copy); undefined when there is none. */
  getFramework(id: string): Promise<FrameworkRecord | undefined>;
  /** Every imported framework (copies), oldest first. */
  listFrameworks(): Promise<FrameworkRecord[]>;
  /**
   * Every imported framework's id, name, status and times, oldest first, without its rows: cheap to
   * call for every message (a large framework is read once, not per call).
   */
  listFrameworkHeads(): Promise<FrameworkHead[]>;
  /** The units a chat follows for the bureau overview (汇总), with their consent; undefined when none (a copy). */
  getOverviewBinding(chatId: string): Promise<OverviewBinding | undefined>;
  /**
   * Replaces a chat's overview binding (keyed by `binding.chatId`), durably written before the promise
   * resolves; a binding with no units deletes it.
   */
  setOverviewBinding(binding: OverviewBinding): Promise<void>;
  /** Every overview binding (copies), by chat id. */
  listOverviewBindings(): Promise<OverviewBinding[]>;
}
