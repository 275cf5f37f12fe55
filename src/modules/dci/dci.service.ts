/**
 * The registry side of the DCI Social Registry API v1.0.0 (spdci/standards, release/yaml/social_api_v1.0.0.yaml
 * and registry_core_api_v1.0.0.yaml; docs/integration.md "DCI Social Registry API").
 *
 * Every request is a signed envelope { signature, header, message } from a registered partner system. It is
 * checked in this order, each failure answered with the spec's error code: a header naming a sender
 * (err.request.bad), a registered and active sender (err.sender_id.invalid), its signature against its JWKS
 * (err.signature.missing / err.signature.invalid), its rate limit (err.request.too_many_requests),
 * the header itself (err.request.bad, err.version.not_supported, err.receiver_id.invalid, err.encryption.invalid),
 * the callback URI of async requests (err.sender_uri.invalid: only URIs on the partner's list are ever called) and
 * its scopes (err.request.forbidden). Searches read through the registry service as an `integration` principal
 * holding the partner's scopes, so the access policy decides what the partner sees (dci.records.ts).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { Database } from '../../db/client.js';
import { DomainError, Problems } from '../../errors.js';
import { auditedTransaction, type AuditActor, type AuditEntry } from '../audit/audit.service.js';
import type { AccessLogService } from '../audit/access-log.service.js';
import { HIV_PROGRAMS, type FieldGroup } from '../auth/access-policy.js';
import { assertRole } from '../auth/auth.service.js';
import type { Principal } from '../auth/auth.types.js';
import { ReadLedger } from '../auth/read-ledger.js';
import type { PlacesService } from '../places/places.service.js';
import type { HouseholdRow, PersonRecord, RegistryService } from '../registry/registry.service.js';
import {
  compile,
  fromMongo,
  fromPredicates,
  IDENTIFIER_TYPES,
  matches,
  QueryProblem,
  SORT_ATTRIBUTES,
  type CompiledQuery,
  type Condition,
} from './dci.query.js';
import { mapGroups, mapPeople, mayReadBenefits } from './dci.records.js';
import * as repo from './dci.repository.js';
import { checkSignature, type DciSigner } from './dci.signing.js';

export type { DciPartnerRow, DciSubscriptionRow } from './dci.repository.js';

/** Scopes a partner can be granted. */
export const DCI_SCOPES = ['dci:search', 'dci:subscribe', 'person:national_id', 'benefits:read'] as const;

/** Registry events a partner can subscribe to (reg_event_type), and those that reveal benefits-related data. */
export const DCI_EVENT_TYPES = ['REGISTER', 'DEATH', 'HOUSEHOLD_CHANGE', 'RESIDENCE_CHANGE', 'POVERTY_CLASSIFICATION_CHANGE', 'ENROLMENT_CHANGE'] as const;
export type DciEventType = (typeof DCI_EVENT_TYPES)[number];
const BENEFITS_EVENTS: ReadonlySet<string> = new Set(['POVERTY_CLASSIFICATION_CHANGE', 'ENROLMENT_CHANGE']);

/** The spec's communication-layer error codes (components/schemas/Error). */
export type DciErrorCode =
  | 'err.request.bad'
  | 'err.request.unauthorized'
  | 'err.request.forbidden'
  | 'err.request.not_found'
  | 'err.version.not_supported'
  | 'err.request.too_many_requests'
  | 'err.sender_id.invalid'
  | 'err.sender_uri.invalid'
  | 'err.receiver_id.invalid'
  | 'err.signature.missing'
  | 'err.signature.invalid'
  | 'err.encryption.invalid';

/** A refused request: the HTTP status, the spec's code, and the message in English and Vietnamese. */
export class DciError extends Error {
  constructor(
    readonly status: number,
    readonly code: DciErrorCode,
    readonly en: string,
    readonly vi: string,
  ) {
    super(en);
  }
}

/** Most people one search may match before it is refused with rjct.search.too_many_records_found. */
export const MAX_MATCHES = 5000;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
/** A partner's callback endpoint gets this long to answer. */
export const CALLBACK_TIMEOUT_MS = 10_000;

type Json = Record<string, unknown>;

const HeaderSchema = z.looseObject({
  version: z.string().optional(),
  message_id: z.string().min(1).max(99),
  message_ts: z.iso.datetime({ offset: true }),
  action: z.string(),
  sender_id: z.string(),
  sender_uri: z.string().optional(),
  receiver_id: z.string().optional(),
  total_count: z.number().int().min(0),
  is_msg_encrypted: z.boolean().optional(),
});
type Header = z.infer<typeof HeaderSchema>;

const Locale = z.string().regex(/^[a-z]{3}$/);
const SearchRequestSchema = z.looseObject({
  transaction_id: z.string().min(1).max(99),
  search_request: z
    .array(
      z.looseObject({
        reference_id: z.string().min(1).max(99),
        timestamp: z.string(),
        search_criteria: z.looseObject({
          query_type: z.enum(['idtype-value', 'expression', 'predicate']),
          query: z.unknown(),
          response_entity: z.enum(['Group', 'Member']).optional(),
          sort: z.array(z.looseObject({ attribute_name: z.string(), sort_order: z.enum(['asc', 'desc']).optional() })).optional(),
          pagination: z.looseObject({ page_size: z.number(), page_number: z.number().optional() }).optional(),
        }),
        locale: Locale.optional(),
      }),
    )
    .min(1)
    .max(20),
});
type SearchItem = z.infer<typeof SearchRequestSchema>['search_request'][number];

const SubscribeRequestSchema = z.looseObject({
  transaction_id: z.string().min(1).max(99),
  subscribe_request: z
    .array(
      z.looseObject({
        reference_id: z.string().min(1).max(99),
        timestamp: z.string(),
        subscribe_criteria: z.looseObject({
          reg_event_type: z.string(),
          filter_type: z.enum(['idtype-value', 'expression', 'predicate']).optional(),
          filter: z.unknown(),
          notify_record_type: z.string(),
        }),
        locale: Locale.optional(),
      }),
    )
    .min(1)
    .max(20),
});

// The spec's UnSubscribeRequest requires "sunscription_codes" (a typo of its own subscription_codes): both are read.
const UnsubscribeRequestSchema = z.looseObject({
  transaction_id: z.string().min(1).max(99),
  subscription_codes: z.array(z.string()).optional(),
  sunscription_codes: z.array(z.string()).optional(),
});

const TxnStatusRequestSchema = z.looseObject({
  transaction_id: z.string().min(1).max(99),
  txnstatus_request: z.looseObject({
    reference_id: z.string(),
    txn_type: z.enum(['search', 'subscribe', 'unsubscribe']),
    attribute_type: z.enum(['transaction_id', 'correlation_id', 'reference_id_list']),
    attribute_value: z.union([z.string(), z.array(z.string())]),
    locale: Locale.optional(),
  }),
});

/** A registry event as the outbox hands it over (see deliverNotify). */
export interface DciRegistryEvent {
  /** The event's own id: the notify's reference_id, so a partner can drop a redelivered one. */
  id: string;
  type: DciEventType;
  personId: string;
  occurredAt: Date | string;
}

export type NotifyResult =
  | { delivered: true; status: number }
  | { delivered: false; reason: 'UNSUBSCRIBED' | 'OTHER_EVENT' | 'PARTNER_INACTIVE' | 'URI_NOT_ALLOWED' | 'SCOPE' | 'NOT_FOUND' | 'FILTERED' }
  | { delivered: false; reason: 'HTTP_ERROR'; status: number; retry: true }
  | { delivered: false; reason: 'UNREACHABLE'; retry: true };

/** A reply to a DCI request, and work to do after it is sent (the async callback). */
export interface DciReply {
  status: number;
  body: Json;
  after?: () => Promise<void>;
}

export interface DciLog {
  warn(obj: Json, msg: string): void;
}

const vi = (locale: string | undefined) => locale === 'vie';

export function createDciService(deps: {
  database: Database;
  clock: Clock;
  registry: RegistryService;
  places: PlacesService;
  signer: DciSigner;
  /** Where the sensitive groups each search or notify sent are logged (docs/security.md "Logged reads"). */
  accessLog: AccessLogService;
  /** An Sinh's DCI sender id (DCI_SENDER_ID): the receiver_id partners address, the sender_id of our messages. */
  senderId: string;
  log?: DciLog;
  fetchTimeoutMs?: number;
}) {
  const { database, clock, registry, places, signer, senderId, accessLog } = deps;
  const db = database.db;
  const log: DciLog = deps.log ?? { warn: () => undefined };
  const windows = new Map<string, { start: number; count: number }>();

  const principalOf = (partner: repo.DciPartnerRow): Principal => ({
    subject: `dci:${partner.senderId}`,
    role: 'integration',
    communes: [],
    scopes: new Set(partner.scopes),
  });

  /** Fixed one-minute windows per partner; in-process, like the app's own rate limit (src/http/hardening.ts). */
  function withinRate(partner: repo.DciPartnerRow): boolean {
    const now = Date.now();
    const w = windows.get(partner.senderId);
    if (!w || now - w.start >= 60_000) {
      windows.set(partner.senderId, { start: now, count: 1 });
      return true;
    }
    w.count += 1;
    return w.count <= partner.rateLimitPerMinute;
  }

  /** The checks every request passes, in the order of the module comment. */
  async function authenticate(body: unknown, action: string): Promise<{ partner: repo.DciPartnerRow; header: Header; message: unknown }> {
    const envelope = typeof body === 'object' && body !== null ? (body as Json) : {};
    const rawHeader = envelope.header as Json | undefined;
    if (rawHeader === undefined || typeof rawHeader !== 'object' || typeof rawHeader.sender_id !== 'string') {
      throw new DciError(400, 'err.request.bad', 'The message has no header with a sender_id', 'Thông điệp thiếu header có sender_id');
    }
    const partner = await repo.findPartner(db, rawHeader.sender_id);
    if (partner?.active !== 'ACTIVE') {
      throw new DciError(401, 'err.sender_id.invalid', 'The sender_id is not a registered partner', 'sender_id không phải đối tác đã đăng ký');
    }
    const problem = await checkSignature(envelope.signature, rawHeader, envelope.message, partner.jwks as { keys: [] });
    if (problem === 'err.signature.missing') throw new DciError(401, problem, 'The message is not signed', 'Thông điệp chưa được ký');
    if (problem)
      throw new DciError(
        401,
        problem,
        "The signature does not verify against the sender's registered keys",
        'Chữ ký không khớp với khóa đã đăng ký của bên gửi',
      );
    // Counted once the signature holds: requests forged in a partner's name do not use up its quota.
    if (!withinRate(partner)) {
      throw new DciError(
        429,
        'err.request.too_many_requests',
        'Too many requests for this partner; retry in a minute',
        'Đối tác gửi quá nhiều yêu cầu; hãy thử lại sau một phút',
      );
    }
    const parsed = HeaderSchema.safeParse(rawHeader);
    if (!parsed.success) {
      const at = parsed.error.issues[0]?.path.join('.') ?? '';
      throw new DciError(400, 'err.request.bad', `header.${at} is missing or invalid`, `header.${at} bị thiếu hoặc không hợp lệ`);
    }
    const header = parsed.data;
    if (header.version !== undefined && header.version !== '1.0.0') {
      throw new DciError(400, 'err.version.not_supported', 'Only version 1.0.0 is supported', 'Chỉ hỗ trợ phiên bản 1.0.0');
    }
    if (header.action !== action) throw new DciError(400, 'err.request.bad', `header.action must be ${action}`, `header.action phải là ${action}`);
    if (header.receiver_id !== undefined && header.receiver_id !== senderId) {
      throw new DciError(400, 'err.receiver_id.invalid', `receiver_id must be ${senderId}`, `receiver_id phải là ${senderId}`);
    }
    if (header.is_msg_encrypted) {
      throw new DciError(400, 'err.encryption.invalid', 'Encrypted messages are not supported', 'Không hỗ trợ thông điệp mã hóa');
    }
    return { partner, header, message: envelope.message };
  }

  function parseMessage<T extends z.ZodType>(schema: T, message: unknown): z.infer<T> {
    const parsed = schema.safeParse(message);
    if (!parsed.success) {
      const at = parsed.error.issues[0]?.path.join('.') ?? '';
      throw new DciError(400, 'err.request.bad', `message.${at} is missing or invalid`, `message.${at} bị thiếu hoặc không hợp lệ`);
    }
    return parsed.data;
  }

  /** The URI an async request is answered at: its sender_uri, else the partner's first; only one on its list. */
  function callbackUri(partner: repo.DciPartnerRow, header: Header): string {
    const uri = header.sender_uri ?? partner.callbackUris[0];
    if (uri === undefined || !partner.callbackUris.includes(uri)) {
      throw new DciError(
        403,
        'err.sender_uri.invalid',
        "sender_uri is not on the partner's list of callback URIs",
        'sender_uri không có trong danh sách địa chỉ gọi lại của đối tác',
      );
    }
    return uri;
  }

  function requireScope(partner: repo.DciPartnerRow, scope: string): void {
    if (!partner.scopes.includes(scope)) {
      throw new DciError(403, 'err.request.forbidden', `This needs the ${scope} scope`, `Chức năng này cần quyền ${scope}`);
    }
  }

  const now = () => new Date().toISOString();

  /** A header of ours (responses and callbacks): satisfies both MsgCallbackHeader and MsgHeader of the spec. */
  function ourHeader(action: string, receiverId: string, status: 'succ' | 'rjct' | 'pdng', total: number, completed: number): Json {
    return {
      version: '1.0.0',
      message_id: randomUUID(),
      message_ts: now(),
      action,
      status,
      sender_id: senderId,
      receiver_id: receiverId,
      total_count: total,
      completed_count: completed,
      is_msg_encrypted: false,
    };
  }

  async function signed(header: Json, message: Json): Promise<Json> {
    return { signature: await signer.sign(header, message), header, message };
  }

  /**
   * The one place An Sinh calls a partner: the URI is checked against the partner's list as it stands now (a
   * URI removed since the request was accepted is not called), the body is signed, the call times out.
   */
  async function callBack(senderIdOfPartner: string, uri: string, body: Json): Promise<{ ok: boolean; status?: number }> {
    const partner = await repo.findPartner(db, senderIdOfPartner);
    if (partner?.active !== 'ACTIVE' || !partner.callbackUris.includes(uri)) {
      log.warn({ sender: senderIdOfPartner, action: (body.header as Json).action }, 'dci callback not sent: URI no longer allowed');
      return { ok: false };
    }
    try {
      const res = await fetch(uri, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(deps.fetchTimeoutMs ?? CALLBACK_TIMEOUT_MS),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) log.warn({ sender: senderIdOfPartner, status: res.status }, 'dci callback refused');
      return { ok: res.ok, status: res.status };
    } catch (err) {
      log.warn({ sender: senderIdOfPartner, error: (err as Error).name }, 'dci callback failed');
      return { ok: false };
    }
  }

  // Search ----------------------------------------------------------------------------------------

  /** Everyone a compiled query matches, in id order, at most MAX_MATCHES. */
  async function peopleMatching(principal: Principal, q: CompiledQuery): Promise<PersonRecord[]> {
    const found: PersonRecord[] = [];
    for (const communeCode of q.communeCodes) {
      let after: string | null = null;
      for (;;) {
        const page = await registry.beneficiaries(principal, { communeCode, group: q.group ?? null, programCode: q.programCode ?? null, first: 200, after });
        for (const p of page.nodes) if (matches(q.filter, p)) found.push(p);
        if (found.length > MAX_MATCHES) {
          throw new QueryProblem(
            'rjct.search.too_many_records_found',
            `More than ${MAX_MATCHES} people match; narrow the query`,
            `Hơn ${MAX_MATCHES} người khớp; hãy thu hẹp truy vấn`,
          );
        }
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
    }
    return found;
  }

  function conditionOf(item: SearchItem): { condition: Condition | null; collection: string | undefined } {
    const { query_type: type, query } = item.search_criteria;
    if (type === 'predicate') return { condition: fromPredicates(query), collection: undefined };
    if (type === 'expression') {
      const expression = (query as { value?: { expression?: { collection?: unknown; query?: unknown } } } | null)?.value?.expression;
      if (expression === undefined || typeof expression !== 'object') {
        throw new QueryProblem(
          'rjct.search_criteria.invalid',
          'an expression query is { type, value: { expression: { collection, query } } }',
          'truy vấn expression có dạng { type, value: { expression: { collection, query } } }',
        );
      }
      const collection = expression.collection;
      if (collection !== undefined && collection !== 'Person' && collection !== 'Member' && collection !== 'Group') {
        throw new QueryProblem('rjct.search_criteria.invalid', 'collection must be Person, Member or Group', 'collection phải là Person, Member hoặc Group');
      }
      return { condition: fromMongo(expression.query), collection };
    }
    return { condition: null, collection: undefined };
  }

  async function searchOne(principal: Principal, item: SearchItem, today: string, reads: ReadLedger): Promise<Json> {
    const criteria = item.search_criteria;
    let people: PersonRecord[];
    let criteriaGroups: FieldGroup[] = [];
    const { condition, collection } = conditionOf(item);
    if (condition === null) {
      const q = criteria.query as { type?: unknown; value?: unknown } | null;
      if (!q || !IDENTIFIER_TYPES.includes(q.type as never)) {
        throw new QueryProblem(
          'rjct.search_criteria.invalid',
          `identifier type must be one of ${IDENTIFIER_TYPES.join(', ')}`,
          `loại định danh phải là một trong ${IDENTIFIER_TYPES.join(', ')}`,
        );
      }
      if (typeof q.value !== 'string' || !/^\d{12}$/.test(q.value)) {
        throw new QueryProblem('rjct.search_criteria.invalid', 'the identification number must be exactly 12 digits', 'số định danh phải gồm đúng 12 chữ số');
      }
      const person = await registry.personByNationalId(principal, q.value);
      people = person ? [person] : [];
    } else {
      const compiled = compile(condition);
      // A group (poor household, disability, …) or a program says something about a person's circumstances.
      if ((compiled.group || compiled.programCode) && !mayReadBenefits(principal)) {
        throw new QueryProblem(
          'rjct.search_criteria.invalid',
          'group and program_code need the benefits:read scope',
          'group và program_code cần quyền benefits:read',
        );
      }
      people = await peopleMatching(principal, compiled);
      // Matching a group or a program says it of each person sent back (health; an HIV program: hiv). Partners
      // without HIV sight match no one in an HIV program (registry.beneficiaries), so this notes only what they see.
      if (compiled.group || compiled.programCode)
        criteriaGroups = compiled.programCode && HIV_PROGRAMS.has(compiled.programCode) ? ['health', 'hiv'] : ['health'];
    }
    for (const s of criteria.sort ?? []) {
      if (!SORT_ATTRIBUTES.includes(s.attribute_name as never)) {
        throw new QueryProblem(
          'rjct.sort.invalid',
          `sort attribute_name must be one of ${SORT_ATTRIBUTES.join(', ')}`,
          `thuộc tính sắp xếp phải là một trong ${SORT_ATTRIBUTES.join(', ')}`,
        );
      }
    }
    const sorts = [...(criteria.sort ?? [])].reverse();
    // Stable sorts from the last key to the first: the first key decides, later keys break its ties.
    for (const s of sorts) {
      const sign = s.sort_order === 'desc' ? -1 : 1;
      people.sort((a, b) => sign * (s.attribute_name === 'name' ? a.fullName.localeCompare(b.fullName, 'vi') : a.dateOfBirth.localeCompare(b.dateOfBirth)));
    }
    const pageSize = criteria.pagination?.page_size ?? DEFAULT_PAGE_SIZE;
    const pageNumber = criteria.pagination?.page_number ?? 1;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE || !Number.isInteger(pageNumber) || pageNumber < 1) {
      throw new QueryProblem(
        'rjct.pagination.invalid',
        `page_size must be 1–${MAX_PAGE_SIZE} and page_number at least 1`,
        `page_size phải từ 1 đến ${MAX_PAGE_SIZE} và page_number từ 1`,
      );
    }
    const groups = criteria.response_entity === 'Group' || collection === 'Group';
    let records: Json[];
    let total: number;
    if (groups) {
      const householdIds = [...new Set(people.map((p) => p.householdId).filter((id): id is string => id !== null))];
      total = householdIds.length;
      const pageIds = householdIds.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
      const rows = await registry.householdsByIds(pageIds);
      const byId = new Map(rows.map((h) => [h.id, h]));
      records = await mapGroups(
        { registry, places },
        principal,
        pageIds.map((id) => byId.get(id)).filter((h): h is HouseholdRow => h !== undefined),
        today,
        reads,
      );
      const onPage = new Set(pageIds);
      for (const p of people) if (p.householdId && onPage.has(p.householdId)) reads.note('person', p.id, criteriaGroups);
    } else {
      total = people.length;
      const page = people.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
      records = (await mapPeople({ registry, places }, principal, page, today, reads)).members;
      for (const p of page) reads.note('person', p.id, criteriaGroups);
    }
    return {
      reference_id: item.reference_id,
      timestamp: now(),
      status: 'succ',
      data: {
        version: '1.0.0',
        reg_type: 'ns:an-sinh:RegistryType:Social',
        reg_record_type: groups ? 'spdci-social:Group' : 'spdci-social:Member',
        reg_records: records,
      },
      pagination: { page_size: pageSize, page_number: pageNumber, total_count: total },
      ...(item.locale ? { locale: item.locale } : {}),
    };
  }

  /** The SearchResponse of a whole batch: each item succeeds or is rejected with its reason on its own. */
  async function runSearch(partner: repo.DciPartnerRow, request: z.infer<typeof SearchRequestSchema>, correlationId: string): Promise<Json> {
    const principal = principalOf(partner);
    const today = clock.today();
    const items: Json[] = [];
    const reads = new ReadLedger();
    reads.operation = 'dci.search';
    for (const item of request.search_request) {
      try {
        items.push(await searchOne(principal, item, today, reads));
      } catch (err) {
        if (!(err instanceof QueryProblem) && !(err instanceof DomainError)) throw err;
        const reason = err instanceof QueryProblem ? err.reason : 'rjct.search_criteria.invalid';
        const text = err instanceof QueryProblem ? (vi(item.locale) ? err.vi : err.en) : vi(item.locale) ? err.text.vi : err.text.en;
        items.push({
          reference_id: item.reference_id,
          timestamp: now(),
          status: 'rjct',
          status_reason_code: reason,
          status_reason_message: text.slice(0, 999),
          ...(item.locale ? { locale: item.locale } : {}),
        });
      }
    }
    // One access event per search (caller: the partner, request: the correlation id), written before the response
    // is signed and sent, as GraphQL writes its own before the answer leaves: no log, no data.
    await accessLog.record(principal, correlationId, reads);
    return { transaction_id: request.transaction_id, correlation_id: correlationId, search_response: items };
  }

  /** What a transaction keeps of a response: statuses and counts, never records. */
  const statusesOf = (items: Json[]) =>
    items.map((i) => ({
      reference_id: i.reference_id,
      timestamp: i.timestamp,
      status: i.status,
      ...(i.status_reason_code ? { status_reason_code: i.status_reason_code } : {}),
      ...(i.pagination ? { total_count: (i.pagination as Json).total_count } : {}),
    }));

  const overall = (items: Json[]) => (items.every((i) => i.status === 'rjct') ? 'rjct' : 'succ');

  /** The acknowledgement of an async request (the spec's Response). */
  const ack = (correlationId: string): Json => ({ message: { ack_status: 'ACK', timestamp: now(), correlation_id: correlationId } });

  return {
    senderId,
    publicJwks: signer.publicJwks,

    /** POST /dci/registry/sync/search: the SearchResponse in the reply, signed. */
    async syncSearch(body: unknown): Promise<DciReply> {
      const { partner, message } = await authenticate(body, 'search');
      requireScope(partner, 'dci:search');
      const request = parseMessage(SearchRequestSchema, message);
      const txn = await repo.insertTransaction(db, { senderId: partner.senderId, transactionId: request.transaction_id, action: 'search', status: 'pdng' });
      const response = await runSearch(partner, request, txn.correlationId);
      const items = response.search_response as Json[];
      await repo.finishTransaction(db, txn.correlationId, overall(items), statusesOf(items));
      const done = items.filter((i) => i.status === 'succ').length;
      return { status: 200, body: await signed(ourHeader('on-search', partner.senderId, overall(items), items.length, done), response) };
    },

    /** POST /dci/registry/search: ACK now, the SearchResponse POSTed to the sender's on-search callback after. */
    async search(body: unknown): Promise<DciReply> {
      const { partner, header, message } = await authenticate(body, 'search');
      const uri = callbackUri(partner, header);
      requireScope(partner, 'dci:search');
      const request = parseMessage(SearchRequestSchema, message);
      const txn = await repo.insertTransaction(db, { senderId: partner.senderId, transactionId: request.transaction_id, action: 'search', status: 'pdng' });
      return {
        status: 202,
        body: ack(txn.correlationId),
        after: async () => {
          const response = await runSearch(partner, request, txn.correlationId).catch(async (err: unknown) => {
            await repo.finishTransaction(db, txn.correlationId, 'rjct', []);
            throw err;
          });
          const items = response.search_response as Json[];
          await repo.finishTransaction(db, txn.correlationId, overall(items), statusesOf(items));
          const done = items.filter((i) => i.status === 'succ').length;
          await callBack(partner.senderId, uri, await signed(ourHeader('on-search', partner.senderId, overall(items), items.length, done), response));
        },
      };
    },

    /** POST /dci/registry/subscribe: subscriptions stored (audited) before the ACK; on-subscribe after. */
    async subscribe(body: unknown, requestId?: string): Promise<DciReply> {
      const { partner, header, message } = await authenticate(body, 'subscribe');
      const uri = callbackUri(partner, header);
      requireScope(partner, 'dci:subscribe');
      const request = parseMessage(SubscribeRequestSchema, message);
      const principal = principalOf(partner);
      const actor: AuditActor = { principal, requestId };
      const { txn, items } = await auditedTransaction(db, actor, async (tx) => {
        const audit: AuditEntry[] = [];
        const items: Json[] = [];
        for (const item of request.subscribe_request) {
          const c = item.subscribe_criteria;
          const reject = (code: string, en: string, viText: string) =>
            items.push({
              reference_id: item.reference_id,
              timestamp: now(),
              status: 'rjct',
              status_reason_code: code,
              status_reason_message: vi(item.locale) ? viText : en,
            });
          if (!DCI_EVENT_TYPES.includes(c.reg_event_type as DciEventType)) {
            reject(
              'rjct.notify_types.invalid',
              `reg_event_type must be one of ${DCI_EVENT_TYPES.join(', ')}`,
              `reg_event_type phải là một trong ${DCI_EVENT_TYPES.join(', ')}`,
            );
            continue;
          }
          if (BENEFITS_EVENTS.has(c.reg_event_type) && !mayReadBenefits(principal)) {
            reject('rjct.notify_types.invalid', `${c.reg_event_type} needs the benefits:read scope`, `${c.reg_event_type} cần quyền benefits:read`);
            continue;
          }
          const communeCodes = communesOfFilter(c.filter);
          if (communeCodes === null) {
            reject(
              'rjct.notify_details.invalid',
              'filter may only name communes (commune_code eq or in, ANDed)',
              'filter chỉ được nêu xã (commune_code eq hoặc in, nối bằng AND)',
            );
            continue;
          }
          const unknown = communeCodes.find((code) => places.get(code)?.level !== 'COMMUNE');
          if (unknown !== undefined) {
            reject('rjct.notify_details.invalid', `${unknown} is not a commune`, `${unknown} không phải là xã`);
            continue;
          }
          const row = await repo.insertSubscription(tx, { senderId: partner.senderId, eventType: c.reg_event_type, communeCodes, notifyUri: uri });
          audit.push({
            action: 'dci.subscribe',
            entityType: 'dci_subscription',
            entityId: row.code,
            after: { senderId: partner.senderId, eventType: row.eventType, communeCodes, notifyUri: uri },
          });
          const info = {
            version: '1.0.0',
            code: row.code,
            // The spec's SubscriptionInfo requires subscription_code and subscribe_criteria besides its own `code`.
            subscription_code: row.code,
            status: 'subscribe',
            timestamp: row.createdAt.toISOString(),
            reg_event_type: c.reg_event_type,
            ...(c.filter_type ? { filter_type: c.filter_type } : {}),
            filter: c.filter,
            notify_record_type: c.notify_record_type,
            subscribe_criteria: c,
          };
          items.push({
            reference_id: item.reference_id,
            timestamp: now(),
            status: 'succ',
            subscriptions: [info],
            ...(item.locale ? { locale: item.locale } : {}),
          });
        }
        const txn = await repo.insertTransaction(tx, {
          senderId: partner.senderId,
          transactionId: request.transaction_id,
          action: 'subscribe',
          status: overall(items),
          items: statusesOf(items),
        });
        // A batch whose every item was refused changes nothing; its transaction row is still kept (and audited).
        audit.push({
          action: 'dci.transaction',
          entityType: 'dci_transaction',
          entityId: txn.correlationId,
          after: { senderId: partner.senderId, action: 'subscribe', status: txn.status },
        });
        return { result: { txn, items }, audit };
      });
      const response = { transaction_id: request.transaction_id, correlation_id: txn.correlationId, subscribe_response: items };
      const done = items.filter((i) => i.status === 'succ').length;
      return {
        status: 202,
        body: ack(txn.correlationId),
        after: async () => {
          await callBack(partner.senderId, uri, await signed(ourHeader('on-subscribe', partner.senderId, overall(items), items.length, done), response));
        },
      };
    },

    /** POST /dci/registry/unsubscribe: the partner's own subscriptions end (audited); on-unsubscribe after. */
    async unsubscribe(body: unknown, requestId?: string): Promise<DciReply> {
      const { partner, header, message } = await authenticate(body, 'unsubscribe');
      const uri = callbackUri(partner, header);
      requireScope(partner, 'dci:subscribe');
      const request = parseMessage(UnsubscribeRequestSchema, message);
      const codes = [...new Set([...(request.subscription_codes ?? []), ...(request.sunscription_codes ?? [])])];
      if (codes.length === 0 || codes.length > 100) {
        throw new DciError(400, 'err.request.bad', 'message.subscription_codes must list 1–100 codes', 'message.subscription_codes phải có 1–100 mã');
      }
      const actor: AuditActor = { principal: principalOf(partner), requestId };
      const { txn, response } = await auditedTransaction(db, actor, async (tx) => {
        const rows = await repo.findSubscriptions(tx, codes.filter(isUuidText), true);
        const own = new Map(rows.filter((r) => r.senderId === partner.senderId).map((r) => [r.code, r]));
        let reason: string | undefined;
        if (codes.some((c) => !own.has(c))) reason = 'rjct.subscription_code.invalid';
        else if (codes.some((c) => own.get(c)?.status === 'unsubscribe')) reason = 'rjct.event.already_unsubscribed';
        const audit: AuditEntry[] = [];
        if (!reason) {
          for (const code of codes) {
            await repo.endSubscription(tx, code);
            audit.push({
              action: 'dci.unsubscribe',
              entityType: 'dci_subscription',
              entityId: code,
              before: { status: 'subscribe' },
              after: { status: 'unsubscribe' },
            });
          }
        }
        const status = reason ? 'rjct' : 'succ';
        const txn = await repo.insertTransaction(tx, {
          senderId: partner.senderId,
          transactionId: request.transaction_id,
          action: 'unsubscribe',
          status,
          items: [{ status, ...(reason ? { status_reason_code: reason } : {}) }],
        });
        audit.push({
          action: 'dci.transaction',
          entityType: 'dci_transaction',
          entityId: txn.correlationId,
          after: { senderId: partner.senderId, action: 'unsubscribe', status },
        });
        const response: Json = {
          transaction_id: request.transaction_id,
          correlation_id: txn.correlationId,
          timestamp: now(),
          status,
          ...(reason ? { status_reason_code: reason } : {}),
          subscription_status: codes.filter((c) => own.has(c)).map((c) => ({ code: c, status: reason ? (own.get(c)?.status ?? 'subscribe') : 'unsubscribe' })),
        };
        return { result: { txn, response }, audit };
      });
      return {
        status: 202,
        body: ack(txn.correlationId),
        after: async () => {
          await callBack(
            partner.senderId,
            uri,
            await signed(ourHeader('on-unsubscribe', partner.senderId, response.status as 'succ', 1, response.status === 'succ' ? 1 : 0), response),
          );
        },
      };
    },

    /** POST /dci/registry/sync/txn/status and /dci/registry/txn/status (then POSTed to txn/on-status). */
    async txnStatus(body: unknown, sync: boolean): Promise<DciReply> {
      const { partner, header, message } = await authenticate(body, 'txn-status');
      const uri = sync ? undefined : callbackUri(partner, header);
      const request = parseMessage(TxnStatusRequestSchema, message);
      const r = request.txnstatus_request;
      const value = r.attribute_value;
      let rows: repo.DciTransactionRow[];
      if (r.attribute_type === 'reference_id_list') {
        const wanted = new Set(Array.isArray(value) ? value : [value]);
        rows = (await repo.findPartnerTransactions(db, partner.senderId, r.txn_type)).filter((t) =>
          (t.items as Json[]).some((i) => wanted.has(String(i.reference_id))),
        );
      } else if (typeof value !== 'string') {
        throw new DciError(
          400,
          'err.request.bad',
          `attribute_value must be a text for ${r.attribute_type}`,
          `attribute_value phải là chuỗi với ${r.attribute_type}`,
        );
      } else if (r.attribute_type === 'correlation_id') {
        rows = isUuidText(value) ? await repo.findTransactions(db, partner.senderId, r.txn_type, { correlationId: value }) : [];
      } else {
        rows = await repo.findTransactions(db, partner.senderId, r.txn_type, { transactionId: value });
      }
      const txn = rows[0];
      if (!txn) throw new DciError(404, 'err.request.not_found', 'No such transaction of this partner', 'Không có giao dịch này của đối tác');
      const items = txn.items as Json[];
      // The statuses of the transaction's items, without records: a search is re-run to read them again.
      const txnStatus: Json =
        txn.action === 'search'
          ? { transaction_id: txn.transactionId, correlation_id: txn.correlationId, search_response: items.map((i) => ({ ...i, total_count: undefined })) }
          : txn.action === 'subscribe'
            ? { transaction_id: txn.transactionId, correlation_id: txn.correlationId, subscribe_response: items }
            : {
                transaction_id: txn.transactionId,
                correlation_id: txn.correlationId,
                timestamp: txn.updatedAt.toISOString(),
                status: txn.status,
                ...(items[0]?.status_reason_code ? { status_reason_code: items[0].status_reason_code } : {}),
              };
      const response = {
        transaction_id: request.transaction_id,
        correlation_id: txn.correlationId,
        txnstatus_response: { txn_type: `on-${txn.action}`, txn_status: txnStatus },
      };
      const envelope = await signed(ourHeader('txn-on-status', partner.senderId, 'succ', 1, 1), response);
      if (sync) return { status: 200, body: envelope };
      return {
        status: 202,
        body: ack(txn.correlationId),
        after: async () => {
          await callBack(partner.senderId, uri ?? '', envelope);
        },
      };
    },

    // Notify ----------------------------------------------------------------------------------------

    /** The active subscriptions an event concerns (the commune filter is deliverNotify's, which reads the person). */
    subscriptionsFor: (event: Pick<DciRegistryEvent, 'type'>) => repo.activeSubscriptions(db, event.type),

    /**
     * Sends one registry event to one subscription, as the spec's `notify` (NotifyEventRequest, signed), to the
     * subscription's URI if it is still on the partner's list. Meant to be the outbox dispatcher's sink for DCI
     * subscriptions: a result with `retry: true` asks for another attempt; the others are final.
     */
    async deliverNotify(subscription: repo.DciSubscriptionRow, event: DciRegistryEvent): Promise<NotifyResult> {
      const [current] = await repo.findSubscriptions(db, [subscription.code]);
      if (current?.status !== 'subscribe') return { delivered: false, reason: 'UNSUBSCRIBED' };
      if (current.eventType !== event.type) return { delivered: false, reason: 'OTHER_EVENT' };
      const partner = await repo.findPartner(db, current.senderId);
      if (partner?.active !== 'ACTIVE') return { delivered: false, reason: 'PARTNER_INACTIVE' };
      if (!partner.callbackUris.includes(current.notifyUri)) return { delivered: false, reason: 'URI_NOT_ALLOWED' };
      const principal = principalOf(partner);
      if (BENEFITS_EVENTS.has(event.type) && !mayReadBenefits(principal)) return { delivered: false, reason: 'SCOPE' };
      const person = await registry.person(principal, event.personId);
      if (!person) return { delivered: false, reason: 'NOT_FOUND' };
      if (current.communeCodes.length > 0 && !current.communeCodes.includes(person.communeCode)) return { delivered: false, reason: 'FILTERED' };
      const reads = new ReadLedger();
      reads.operation = 'dci.notify';
      const { members } = await mapPeople({ registry, places }, principal, [person], clock.today(), reads);
      // Logged before it is sent (a failure here is a failed delivery, retried with the event).
      await accessLog.record(principal, event.id, reads);
      const occurredAt = typeof event.occurredAt === 'string' ? event.occurredAt : event.occurredAt.toISOString();
      const message = {
        transaction_id: event.id.slice(0, 99),
        notify_event: [
          {
            reference_id: event.id,
            timestamp: occurredAt,
            data: {
              version: '1.0.0',
              reg_type: 'ns:an-sinh:RegistryType:Social',
              reg_event_type: event.type,
              subscription_code: current.code,
              reg_record_type: 'spdci-social:Member',
              reg_records: members[0],
            },
          },
        ],
      };
      const sent = await callBack(partner.senderId, current.notifyUri, await signed(ourHeader('notify', partner.senderId, 'succ', 1, 1), message));
      if (sent.ok) return { delivered: true, status: sent.status ?? 200 };
      return sent.status === undefined
        ? { delivered: false, reason: 'UNREACHABLE', retry: true }
        : { delivered: false, reason: 'HTTP_ERROR', status: sent.status, retry: true };
    },

    // Partner registry (admin) ----------------------------------------------------------------------

    async partners(principal: Principal) {
      assertRole(principal, 'admin');
      return repo.listPartners(db);
    },

    /** Registers a partner or replaces its settings (keys, callback URIs, scopes, rate limit, status); audited. */
    async savePartner(actor: AuditActor, input: PartnerInput) {
      assertRole(actor.principal, 'admin');
      const p = new Problems();
      if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,98}$/.test(input.senderId))
        p.add('input.senderId', 'must be 1–99 letters, digits, . _ : -', 'phải gồm 1–99 chữ cái, chữ số, . _ : -');
      if (input.senderId === senderId) p.add('input.senderId', "is An Sinh's own sender id", 'trùng mã bên gửi của An Sinh');
      const name = input.name.trim();
      if (name === '' || name.length > 200) p.add('input.name', 'must be 1–200 characters', 'phải từ 1 đến 200 ký tự');
      const keys = await checkJwks(p, input.jwks);
      if (input.callbackUris.length === 0 || input.callbackUris.length > 20) p.add('input.callbackUris', 'must list 1–20 URIs', 'phải có 1–20 địa chỉ');
      input.callbackUris.forEach((uri, i) => {
        let url: URL | undefined;
        try {
          url = new URL(uri);
        } catch {
          url = undefined;
        }
        if (!url || !['https:', 'http:'].includes(url.protocol) || url.href !== uri || url.username || url.password) {
          p.add(
            `input.callbackUris.${i}`,
            'must be an absolute http(s) URL, written as the URL parser writes it, without credentials',
            'phải là URL http(s) đầy đủ, dạng chuẩn, không kèm thông tin đăng nhập',
          );
        }
      });
      input.scopes.forEach((s, i) => {
        if (!DCI_SCOPES.includes(s as never))
          p.add(`input.scopes.${i}`, `must be one of ${DCI_SCOPES.join(', ')}`, `phải là một trong ${DCI_SCOPES.join(', ')}`);
      });
      const rate = input.rateLimitPerMinute ?? 60;
      if (!Number.isInteger(rate) || rate < 1 || rate > 10_000) p.add('input.rateLimitPerMinute', 'must be 1–10000', 'phải từ 1 đến 10000');
      p.throwIfAny();
      return auditedTransaction(db, actor, async (tx) => {
        const before = await repo.findPartner(tx, input.senderId, true);
        const row = await repo.upsertPartner(tx, {
          senderId: input.senderId,
          name,
          jwks: { keys },
          callbackUris: [...new Set(input.callbackUris)],
          scopes: [...new Set(input.scopes)].sort(),
          rateLimitPerMinute: rate,
          active: input.active === false ? 'SUSPENDED' : 'ACTIVE',
        });
        // Keys are public, but the log names them by kid: enough to tell which key was added or removed.
        const summary = (r: repo.DciPartnerRow) => ({ ...r, jwks: keyIdsOf(r), createdAt: undefined, updatedAt: undefined });
        return {
          result: row,
          audit: [
            {
              action: before ? 'dci.partner.update' : 'dci.partner.register',
              entityType: 'dci_partner',
              entityId: row.senderId,
              before: before ? summary(before) : undefined,
              after: summary(row),
            },
          ],
        };
      });
    },

    keyIdsOf,
  };
}

export type DciService = ReturnType<typeof createDciService>;

export interface PartnerInput {
  senderId: string;
  name: string;
  jwks: unknown;
  callbackUris: string[];
  scopes: string[];
  rateLimitPerMinute?: number | null;
  active?: boolean | null;
}

const isUuidText = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);

const keyIdsOf = (r: { jwks: unknown }): string[] => ((r.jwks as { keys?: { kid?: string }[] }).keys ?? []).map((k) => k.kid ?? '');

/** Public signing keys only, each with a kid and an asymmetric algorithm jose can import. */
async function checkJwks(p: Problems, jwks: unknown): Promise<Json[]> {
  const { importJWK } = await import('jose');
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > 10) {
    p.add('input.jwks', 'must be a JWK Set with 1–10 keys', 'phải là bộ JWK có 1–10 khóa');
    return [];
  }
  const out: Json[] = [];
  for (const [i, key] of keys.entries()) {
    const k = key as Json | null;
    if (k === null || typeof k !== 'object' || 'd' in k || 'k' in k) {
      p.add(`input.jwks.keys.${i}`, 'must be a public key (no private or secret part)', 'phải là khóa công khai (không có phần bí mật)');
      continue;
    }
    if (typeof k.kid !== 'string' || k.kid === '' || typeof k.alg !== 'string' || !['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'].includes(k.alg)) {
      p.add(
        `input.jwks.keys.${i}`,
        'needs a kid and an alg among ES256, ES384, EdDSA, Ed25519, RS256, PS256',
        'cần kid và alg thuộc ES256, ES384, EdDSA, Ed25519, RS256, PS256',
      );
      continue;
    }
    try {
      await importJWK(k, k.alg);
      out.push(k);
    } catch {
      p.add(`input.jwks.keys.${i}`, 'is not a valid key for its alg', 'không phải khóa hợp lệ với alg của nó');
    }
  }
  return out;
}

/**
 * The communes a subscription filter names: a predicate list or an expression whose terms are all commune_code
 * eq/in ANDed; no term means the whole district. null when the filter says anything else.
 */
function communesOfFilter(filter: unknown): string[] | null {
  let condition: Condition;
  try {
    if (Array.isArray(filter)) condition = fromPredicates(filter);
    else {
      const expression = (filter as { value?: { expression?: { query?: unknown } } } | null)?.value?.expression;
      if (!expression) return null;
      condition = fromMongo(expression.query ?? {});
    }
  } catch {
    return null;
  }
  const terms = condition.kind === 'and' ? condition.terms : [condition];
  const codes: string[] = [];
  for (const t of terms) {
    if (t.kind !== 'term' || t.attribute !== 'commune_code' || (t.operator !== 'eq' && t.operator !== 'in')) return null;
    const values = Array.isArray(t.value) ? t.value : [t.value];
    if (!values.every((v) => typeof v === 'string' && /^\d{5}$/.test(v))) return null;
    codes.push(...(values as string[]));
  }
  return [...new Set(codes)];
}
