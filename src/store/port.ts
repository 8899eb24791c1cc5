/**
 * The storage port: what the bot needs from a store, nothing more. Node uses lowdb files
 * (`lowdb.ts`); tests use memory (`memory.ts`); Cloudflare D1 will follow. Every method is async.
 */

export type { AuditEntry, ChatDraft, EvaluationRecord, SessionState } from '../core/evaluation';
export type { FrameworkRecord, FrameworkStatus } from '../core/framework-record';
import type { ChatDraft, EvaluationRecord } from '../core/evaluation';
import type { FrameworkRecord } from '../core/framework-record';

/** A stored file (a generated report) served at /files/:id. */
export interface StoredFile {
  id: string;
  name: string;
  mime: string;
  bytes: Uint8Array;
  createdAt: string;
}

export interface Store {
  /** The evaluation bound to a chat, if any. */
  evaluationIdForChat(chatId: string): Promise<string | undefined>;
  getEvaluation(id: string): Promise<EvaluationRecord | undefined>;
  listEvaluations(): Promise<EvaluationRecord[]>;
  /** Creates an evaluation and binds its chats; fails if a chat is already bound. */
  createEvaluation(rec: EvaluationRecord): Promise<void>;
  /**
   * Read-modify-write of one evaluation, serialised per evaluation. `mutate` changes the record in place
   * (or returns a replacement); the result is durably written before the promise resolves.
   */
  updateEvaluation(id: string, mutate: (rec: EvaluationRecord) => EvaluationRecord | void): Promise<EvaluationRecord>;
  /** Binds another chat to an evaluation. */
  bindChat(chatId: string, evaluationId: string): Promise<void>;
  getChatDraft(chatId: string, userId: string): Promise<ChatDraft | undefined>;
  setChatDraft(draft: ChatDraft | { chatId: string; userId: string; draft: undefined }): Promise<void>;
  putFile(file: Omit<StoredFile, 'id' | 'createdAt'>): Promise<StoredFile>;
  getFile(id: string): Promise<StoredFile | undefined>;
  /** Claims an event id once (platform dedupe); false when already claimed within ttlMs. */
  claimEvent(key: string, ttlMs: number): Promise<boolean>;
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
}
