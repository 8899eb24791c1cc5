/**
 * The storage port: what the bot needs from a store, nothing more. Node uses lowdb files
 * (`lowdb.ts`); tests use memory (`memory.ts`); Cloudflare D1 will follow. Every method is async.
 */
import type { FrameworkInput } from '../core/framework/schema';
import type { Answers } from '../core/scoring/answers';

/** One change to an answer: who, when, the old and the new value. */
export interface AuditEntry {
  at: string;
  userId: string;
  userName?: string;
  /** What changed: "facts.spending", "judgements.A11", "keyTasks.C1", "narratives.problems"… */
  path: string;
  old?: unknown;
  new?: unknown;
}

/** A user's place in the questionnaire and any dialog in progress. Versioned: see SESSION_VERSION. */
export interface SessionState {
  version: number;
  userId: string;
  userName?: string;
  /** The question being asked, if any (a question key from the dialog's plan). */
  current?: string;
  /** Questions this user skipped, to come back to later. */
  skipped: string[];
  /** Questions asked before, for 上一题. */
  history: string[];
  /** Failed attempts at the current question. */
  failures: number;
  /** A multi-message text answer being collected, or a multi-step command in progress. */
  draft?: Record<string, unknown>;
  updatedAt: string;
}

/** An evaluation bound to one or more chats, with everything answered so far. */
export interface EvaluationRecord {
  id: string;
  unit: string;
  year: number;
  frameworkId: string;
  /** A custom or imported framework travels with the evaluation. */
  framework?: FrameworkInput;
  chatIds: string[];
  organisers: string[];
  /** Section (indicator code) → assignee user ids. */
  assignments: Record<string, string[]>;
  members: Record<string, { name?: string }>;
  deadline?: string;
  answers: Answers;
  /** Per-user sessions by user id. */
  sessions: Record<string, SessionState>;
  audit: AuditEntry[];
  createdAt: string;
  updatedAt: string;
  /** Bumped on every write. */
  revision: number;
}

/** A chat's state before it has an evaluation (e.g. 新建自评 asked step by step). */
export interface ChatDraft {
  chatId: string;
  userId: string;
  draft: Record<string, unknown>;
  updatedAt: string;
}

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
}
