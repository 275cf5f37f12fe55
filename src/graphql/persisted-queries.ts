/**
 * Persisted queries: a client may send the SHA-256 of a document instead of the document
 * (`extensions.persistedQuery.sha256Hash`, the automatic-persisted-queries protocol of Apollo and urql), and
 * the roles named in GRAPHQL_PERSISTED_ONLY_ROLES (by default integration clients) may run only the
 * operations of the allow-list, the files under `persisted/`.
 *
 * Why not Mercurius' own `persistedQueryProvider`: it turns the hash into a document inside Mercurius' route
 * handler, after every Fastify preHandler has run. The limits (query-limits.ts) would then see a request
 * without a document and cost nothing, and the compiled reads (compiled/hook.ts) would hand every persisted
 * read to the executor. Its `onlyPersisted` is also all-or-nothing, where officers must keep ad-hoc queries.
 * So the hash is resolved here, in the first GraphQL preHandler: the stored document is written into the
 * request (body for POST, query string for GET) and the `persistedQuery` extension removed, so that what
 * follows (limits, compiled reads, Mercurius) sees an ordinary request with its document.
 *
 * Two stores:
 *   - the allow-list: every `persisted/*.graphql`, keyed by the SHA-256 (hex) of the file's exact bytes
 *     (`sha256sum persisted/*.graphql` prints the hashes a client sends). Read once at start-up.
 *   - the automatic store, for roles not restricted: a document sent with its hash once is remembered
 *     (bounded, per instance) and can then be sent by hash alone. A restricted role never reaches it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Role } from '../modules/auth/auth.types.js';
import { Lru } from './compiled/lru.js';

export const PERSISTED_FOLDER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../persisted');

export type PersistedQueryCode = 'PERSISTED_QUERY_NOT_FOUND' | 'PERSISTED_QUERY_REQUIRED' | 'PERSISTED_QUERY_HASH_MISMATCH' | 'VALIDATION_FAILED';

/** A request refused here: answered by the request error handler (request-errors.ts), like a limit. */
export class PersistedQueryError extends Error {
  readonly statusCode = 400;
  constructor(
    readonly code: PersistedQueryCode,
    message: string,
    readonly messageVi: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface PersistedQueryOptions {
  /** Roles that may run allow-listed operations only (GRAPHQL_PERSISTED_ONLY_ROLES). */
  onlyPersistedRoles: readonly Role[];
  /** The allow-list: documents by SHA-256 hex (default: the files under persisted/). */
  allowList?: ReadonlyMap<string, string>;
  /** Documents remembered for automatic persisted queries (0: none). */
  automaticCacheSize?: number;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The allow-list: each `*.graphql` file of the folder by the SHA-256 of its text. */
export function loadAllowList(folder = PERSISTED_FOLDER): Map<string, string> {
  const list = new Map<string, string>();
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.graphql'))) {
    const text = readFileSync(path.join(folder, file), 'utf8');
    list.set(sha256Hex(text), text);
  }
  return list;
}

interface Carrier {
  /** Where the request keeps its fields (the body, or the parsed query string). */
  fields: Record<string, unknown>;
  extensions: Record<string, unknown> | undefined;
  /** Writes the extensions back (undefined: remove them). */
  setExtensions(e: Record<string, unknown> | undefined): void;
}

function carrierOf(request: FastifyRequest): Carrier | undefined {
  if (request.method === 'POST') {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const fields = body as Record<string, unknown>;
    const e = fields.extensions;
    return {
      fields,
      extensions: typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as Record<string, unknown>) : undefined,
      setExtensions: (next) => {
        if (next) fields.extensions = next;
        else delete fields.extensions;
      },
    };
  }
  if (request.method === 'GET') {
    const fields = request.query as Record<string, unknown>;
    let extensions: Record<string, unknown> | undefined;
    if (typeof fields.extensions === 'string') {
      try {
        const parsed: unknown = JSON.parse(fields.extensions);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) extensions = parsed as Record<string, unknown>;
      } catch {
        // Mercurius refuses it
      }
    }
    return {
      fields,
      extensions,
      setExtensions: (next) => {
        if (next) fields.extensions = JSON.stringify(next);
        else delete fields.extensions;
      },
    };
  }
  return undefined;
}

const notAllowed = (role: string) =>
  new PersistedQueryError(
    'PERSISTED_QUERY_REQUIRED',
    `A client with the role ${role} may run only the published operations (persisted/*.graphql): send one of them, or its SHA-256 in extensions.persistedQuery.sha256Hash`,
    `Tài khoản có vai trò ${role} chỉ được chạy các thao tác đã công bố (persisted/*.graphql): hãy gửi một trong các thao tác đó hoặc mã SHA-256 của nó trong extensions.persistedQuery.sha256Hash`,
    { role },
  );

/** Resolves persisted queries and enforces the allow-list, before any other GraphQL preHandler. */
export function persistedQueries(app: FastifyInstance, options: PersistedQueryOptions, graphqlPath = '/graphql'): void {
  const allowList = options.allowList ?? loadAllowList();
  const restricted = new Set<string>(options.onlyPersistedRoles);
  const automatic = new Lru<string, string>(Math.max(1, options.automaticCacheSize ?? 1000));
  const automaticOn = (options.automaticCacheSize ?? 1000) > 0;

  function resolve(request: FastifyRequest): void {
    if (request.routeOptions.url !== graphqlPath || request.validationError || !request.principal) return;
    const carrier = carrierOf(request);
    if (!carrier) return;
    const role = request.principal.role;
    const onlyPersisted = restricted.has(role);
    const given = carrier.extensions?.persistedQuery;
    const query = carrier.fields.query;

    if (given === undefined) {
      if (!onlyPersisted) return;
      // An allow-listed document sent in full is the same operation as its hash.
      if (typeof query === 'string' && allowList.has(sha256Hex(query))) return;
      throw notAllowed(role);
    }

    const hash = typeof given === 'object' && given !== null ? (given as Record<string, unknown>).sha256Hash : undefined;
    const version = typeof given === 'object' && given !== null ? (given as Record<string, unknown>).version : undefined;
    if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/i.test(hash) || (version !== undefined && version !== 1)) {
      throw new PersistedQueryError(
        'VALIDATION_FAILED',
        'extensions.persistedQuery must be {"version": 1, "sha256Hash": "<64 hexadecimal digits>"}',
        'extensions.persistedQuery phải có dạng {"version": 1, "sha256Hash": "<64 chữ số thập lục phân>"}',
        { field: 'extensions.persistedQuery' },
      );
    }
    const key = hash.toLowerCase();

    let document: string | undefined;
    if (typeof query === 'string') {
      // A document sent with its hash: an automatic registration, or an allow-listed one sent in full.
      if (sha256Hex(query) !== key) {
        throw new PersistedQueryError(
          'PERSISTED_QUERY_HASH_MISMATCH',
          'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent',
          'Mã sha256Hash trong extensions.persistedQuery không khớp với câu truy vấn đã gửi',
          { field: 'extensions.persistedQuery.sha256Hash' },
        );
      }
      if (!allowList.has(key)) {
        if (onlyPersisted) throw notAllowed(role);
        if (automaticOn) automatic.set(key, query);
      }
      document = query;
    } else {
      document = allowList.get(key) ?? (onlyPersisted || !automaticOn ? undefined : automatic.get(key));
      if (document === undefined) {
        // The message clients of the APQ protocol look for, then what to do.
        throw new PersistedQueryError(
          'PERSISTED_QUERY_NOT_FOUND',
          onlyPersisted
            ? 'PersistedQueryNotFound: no published operation has this SHA-256 (persisted/*.graphql)'
            : 'PersistedQueryNotFound: no document is stored under this SHA-256; send it again with its query',
          onlyPersisted
            ? 'Không có thao tác đã công bố nào có mã SHA-256 này (persisted/*.graphql)'
            : 'Không có câu truy vấn nào được lưu với mã SHA-256 này; hãy gửi lại kèm câu truy vấn',
          { sha256Hash: key },
        );
      }
    }

    // Hand on an ordinary request: the limits cost this document, the compiled reads may answer it.
    carrier.fields.query = document;
    const rest = { ...carrier.extensions };
    delete rest.persistedQuery;
    carrier.setExtensions(Object.keys(rest).length > 0 ? rest : undefined);
  }

  app.addHook('preHandler', (request, _reply, done) => {
    try {
      resolve(request);
    } catch (err) {
      done(err as PersistedQueryError);
      return;
    }
    done();
  });
}
