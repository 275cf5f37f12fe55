/**
 * Recognises "the database is not there right now" among the errors a query can raise: a refused or
 * timed-out connection, a connection the server terminated (restart, failover, pg_terminate_backend), or
 * a server that is starting up or shutting down. Those are not the caller's fault and not a bug: they
 * are answered as DATABASE_UNAVAILABLE (HTTP 503) so clients and load balancers retry, instead of INTERNAL.
 */
import { DomainError } from '../errors.js';

/** Node socket errors that mean the server could not be reached or dropped the connection. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception) and the 57P0x family (admin shutdown, crash
 * shutdown, cannot connect now, database dropped).
 */
const isUnavailableSqlState = (code: string) => code.startsWith('08') || /^57P0[1-4]$/.test(code);

/** Messages node-postgres uses for its own connection failures (they carry no code). */
const POOL_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection terminated unexpectedly',
];

function isUnavailableOne(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || isUnavailableSqlState(code))) return true;
  return POOL_MESSAGES.some((m) => err.message.startsWith(m));
}

/** True when the error, or one of its causes (Drizzle wraps driver errors), says the database is away. */
export function isDatabaseUnavailable(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (isUnavailableOne(current)) return true;
    current = current.cause;
  }
  return false;
}

export const databaseUnavailable = () =>
  new DomainError('DATABASE_UNAVAILABLE', {
    en: 'The database is unavailable for the moment; please try again shortly',
    vi: 'Cơ sở dữ liệu tạm thời không truy cập được, vui lòng thử lại sau ít phút',
  });
