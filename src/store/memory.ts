/**
 * The in-memory store: the port's reference behaviour, used by unit tests. Records are copied in and
 * out, so a caller can never change stored state without going through the store.
 *
 * @example const store = createMemoryStore(); await store.createEvaluation(rec)
 */
import { callCountOf, type AuditEntry, type EvaluationRecord, type FrameworkRecord, type InboxOrder, type OverviewBinding, type Store, type StoredChatDraft, type StoredFile } from './port';
import { MessageLogState, type LogLine } from './message-log';
import { assertFrameworkId, assertSafeId, compareByCreation, copyRecord, createFileId, createKeyedQueue, frameworkHeadOf, frameworkKey, toDraftKey, isSafeId, pageOfIds } from './shared';

/** Options of both stores. */
export interface StoreOptions {
  /** The clock for `updatedAt`, `createdAt` and event expiry. */
  now?: () => Date;
}

/** Creates an empty in-memory store (with `InboxOrder`, so pipeline tests can run several instances over it). */
export function createMemoryStore(options: StoreOptions = {}): Store & InboxOrder {
  const now = options.now ?? (() => new Date());
  // Evaluations as JSON text with their revision: a read is one parse, a write one stringify (a copy
  // in and a copy out, as the contract asks, at half the cost of copying objects both ways).
  const evaluations = new Map<string, { text: string; revision: number }>();
  const readRecord = (id: string): EvaluationRecord | undefined => {
    const stored = evaluations.get(id);
    return stored && (JSON.parse(stored.text) as EvaluationRecord);
  };
  const audits = new Map<string, AuditEntry[]>();
  const chats = new Map<string, string>();
  const drafts = new Map<string, StoredChatDraft>();
  const files = new Map<string, StoredFile>();
  const log = new MessageLogState();
  const channelState = new Map<string, Record<string, unknown>>();
  const assistantUsage = new Map<string, { tokens: number; calls: number }>();
  // Lines go through JSON like the lowdb store's, so callers never share objects with the log.
  const apply = (line: LogLine) => log.apply(copyRecord(line));
  const frameworks = new Map<string, FrameworkRecord>();
  const serialise = createKeyedQueue();
  const overviews = new Map<string, OverviewBinding>();
  const leases = new Map<string, { holder: string; until: number }>();

  const save = (next: EvaluationRecord, revision: number, audit: AuditEntry[]) => {
    next.revision = revision + 1;
    next.updatedAt = now().toISOString();
    evaluations.set(next.id, { text: JSON.stringify(next), revision: next.revision });
    audits.get(next.id)!.push(...copyRecord(audit));
    return next;
  };

  const store: Store & InboxOrder = {
    async evaluationIdForChat(chatId) {
      return chats.get(chatId);
    },
    async getEvaluation(id) {
      return readRecord(id);
    },
    async listEvaluations() {
      return [...evaluations.values()].map((stored) => JSON.parse(stored.text) as EvaluationRecord);
    },
    async listEvaluationPage(page) {
      const { ids, next } = pageOfIds(evaluations.keys(), page);
      const recs = ids.map((id) => JSON.parse(evaluations.get(id)!.text) as EvaluationRecord);
      return next === undefined ? { evaluations: recs } : { evaluations: recs, next };
    },
    async createEvaluation(rec, audit = []) {
      assertSafeId(rec.id, 'evaluation id');
      if (evaluations.has(rec.id)) throw new Error(`evaluation "${rec.id}" already exists`);
      const bound = rec.chatIds.find((c) => chats.has(c));
      if (bound !== undefined) throw new Error(`chat "${bound}" already has an evaluation`);
      evaluations.set(rec.id, { text: JSON.stringify(rec), revision: rec.revision });
      audits.set(rec.id, copyRecord(audit));
      for (const c of rec.chatIds) chats.set(c, rec.id);
    },
    updateEvaluation(id, mutate) {
      return serialise(id, async () => {
        const current = readRecord(id);
        if (!current) throw new Error(`evaluation "${id}" not found`);
        const revision = current.revision;
        const draft = current;
        const audit: AuditEntry[] = [];
        const next = mutate(draft, audit) ?? draft;
        if (next.id !== id) throw new Error(`updateEvaluation may not change the id ("${id}" → "${next.id}")`);
        return save(next, revision, audit);
      });
    },
    replaceEvaluation(next, audit = []) {
      return serialise(next.id, async () => {
        const current = evaluations.get(next.id);
        if (!current) throw new Error(`evaluation "${next.id}" not found`);
        return current.revision === next.revision ? save(next, current.revision, audit) : undefined;
      });
    },
    async listAudit(id) {
      return copyRecord(audits.get(id) ?? []);
    },
    async bindChat(chatId, evaluationId) {
      if (!evaluations.has(evaluationId)) throw new Error(`evaluation "${evaluationId}" not found`);
      const previous = chats.get(chatId);
      if (previous === evaluationId) return;
      if (previous !== undefined) {
        await store.updateEvaluation(previous, (r) => {
          r.chatIds = r.chatIds.filter((c) => c !== chatId);
        });
      }
      chats.set(chatId, evaluationId);
      await store.updateEvaluation(evaluationId, (r) => {
        if (!r.chatIds.includes(chatId)) r.chatIds.push(chatId);
      });
    },
    async getChatDraft(chatId, userId) {
      const d = drafts.get(toDraftKey(chatId, userId));
      return d && copyRecord(d);
    },
    async setChatDraft(draft) {
      const key = toDraftKey(draft.chatId, draft.userId);
      if (draft.draft === undefined) drafts.delete(key);
      else drafts.set(key, copyRecord(draft as StoredChatDraft));
    },
    async deleteChatDraftsBefore(before) {
      let n = 0;
      for (const [key, d] of drafts) if (d.updatedAt < before && drafts.delete(key)) n++;
      return n;
    },
    async putFile(file) {
      const stored: StoredFile = {
        id: createFileId(),
        name: file.name,
        mime: file.mime,
        bytes: new Uint8Array(file.bytes),
        createdAt: now().toISOString(),
      };
      files.set(stored.id, stored);
      return { ...stored, bytes: new Uint8Array(stored.bytes) };
    },
    async getFile(id) {
      if (!isSafeId(id)) return undefined;
      const f = files.get(id);
      return f && { ...f, bytes: new Uint8Array(f.bytes) };
    },
    async claimEvent(key, ttlMs) {
      const t = now().getTime();
      if (!log.free([key], t)) return false;
      if (log.claims.size > 10_000) log.expire(t);
      apply({ c: [[key, t + ttlMs]] });
      return true;
    },
    async recordInbound(entry, keys, ttlMs) {
      const t = now().getTime();
      if (!log.free(keys, t)) return false;
      apply({ c: keys.map((k) => [k, t + ttlMs] as [string, number]), in: entry });
      return true;
    },
    async settleInbound(id, deliveries) {
      apply({ done: id, out: deliveries });
    },
    async enqueueOutbound(deliveries) {
      apply({ out: deliveries });
    },
    async claimSlot(slot, deliveries, ttlMs) {
      const t = now().getTime();
      const until = log.slots.get(slot);
      if (until !== undefined && until > t) return false;
      apply({ s: [slot, t + ttlMs], out: deliveries });
      return true;
    },
    async listSlots() {
      const t = now().getTime();
      return [...log.slots].filter(([, until]) => until > t).map(([k]) => k);
    },
    async settleOutbound(id, outcome) {
      if (log.outbound.has(id)) apply(outcome === 'failed' ? { sent: id, failed: true } : { sent: id });
    },
    async listPending() {
      return copyRecord({ inbound: [...log.inbound.values()], outbound: [...log.outbound.values()] });
    },
    async getChannelState(key) {
      const v = channelState.get(key);
      return v && copyRecord(v);
    },
    async setChannelState(key, value) {
      if (value === undefined) channelState.delete(key);
      else channelState.set(key, copyRecord(value));
    },
    async addChannelCall(key, month) {
      const after = { month, calls: callCountOf(channelState.get(key), month).calls + 1 };
      channelState.set(key, { ...after });
      return after;
    },
    async getAssistantUsage(month) {
      return { ...(assistantUsage.get(month) ?? { tokens: 0, calls: 0 }) };
    },
    async addAssistantUsage(month, tokens) {
      const before = assistantUsage.get(month) ?? { tokens: 0, calls: 0 };
      const after = { tokens: before.tokens + Math.round(tokens), calls: before.calls + 1 };
      assistantUsage.set(month, after);
      return { ...after };
    },
    async putFramework(rec) {
      assertFrameworkId(rec.id);
      const copy = copyRecord(rec);
      await serialise(frameworkKey(rec.id), async () => void frameworks.set(rec.id, copy));
    },
    updateFramework(id, mutate) {
      return serialise(frameworkKey(id), async () => {
        const current = frameworks.get(id);
        if (!current) throw new Error(`framework "${id}" not found`);
        const draft = copyRecord(current);
        const next = mutate(draft) ?? draft;
        if (next.id !== id) throw new Error(`updateFramework may not change the id ("${id}" → "${next.id}")`);
        next.updatedAt = now().toISOString();
        frameworks.set(id, copyRecord(next));
        return next;
      });
    },
    async getFramework(id) {
      const rec = frameworks.get(id);
      return rec && copyRecord(rec);
    },
    async listFrameworks() {
      return [...frameworks.values()].map(copyRecord).sort(compareByCreation);
    },
    async listFrameworkHeads() {
      return [...frameworks.values()].map(frameworkHeadOf).sort(compareByCreation);
    },
    async getOverviewBinding(chatId) {
      const b = overviews.get(chatId);
      return b && copyRecord(b);
    },
    async setOverviewBinding(binding) {
      if (binding.units.length) overviews.set(binding.chatId, copyRecord(binding));
      else overviews.delete(binding.chatId);
    },
    async listOverviewBindings() {
      return [...overviews.values()].map(copyRecord).sort((a, b) => a.chatId.localeCompare(b.chatId));
    },
    async leaseChat(chatKey, holder, ttlMs) {
      const t = now().getTime();
      const lease = leases.get(chatKey);
      if (lease && lease.holder !== holder && lease.until > t) return false;
      leases.set(chatKey, { holder, until: t + ttlMs });
      return true;
    },
    async releaseChat(chatKey, holder) {
      if (leases.get(chatKey)?.holder === holder) leases.delete(chatKey);
    },
    async listPendingInbound(channel, chatId) {
      return copyRecord([...log.inbound.values()].filter((e) => e.channel === channel && e.message.chatId === chatId));
    },
  };
  return store;
}
