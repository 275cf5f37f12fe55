/**
 * Recognises "the database is not there right now" among the errors a query can raise: a refused or
 * timed-out connection, a connection the server terminated (restart, failover, pg_terminate_backend), or
 * a server that is starting up or shutting down. Those are not the caller's fault and not a bug: they
 * are answered as DATABASE_UNAVAILABLE (HTTP 503) so clients and load balancers retry, instead of INTERNAL.
 * A pool whose connections all stay busy past DATABASE_ACQUIRE_TIMEOUT_MS is told apart: the database is
 * there, the service is overloaded (OVERLOADED, HTTP 503 with Retry-After).
 */
import { DomainError } from '../errors.js';

/** Node socket errors that mean the server could not be reached or dropped the connection. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception) and the 57P0x family (admin shutdown, crash
 * shutdown, cannot connect now, database dropped).
 */
const isUnavailableSqlState = (code: string) => code.startsWith('08') || /^57P0[1-4]$/.test(code);

/**
 * Messages node-postgres uses for its own connection failures (they carry no code). 'timeout expired' is a new
 * connection the server did not answer within DATABASE_CONNECT_TIMEOUT_MS (src/db/client.ts).
 */
const POOL_MESSAGES = [
  'Connection terminated',
  'timeout expired',
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

/**
 * node-postgres's message when every pooled connection stayed busy for DATABASE_ACQUIRE_TIMEOUT_MS. The database
 * is there; the service has more work in flight than connections, which is load (OVERLOADED), not an outage.
 */
const POOL_WAIT_EXPIRED = 'timeout exceeded when trying to connect';
const isPoolWaitExpiredOne = (err: Error) => err.message.startsWith(POOL_WAIT_EXPIRED);

/** True when the error, or one of its causes (Drizzle wraps driver errors), passes the test. */
function anyCause(err: unknown, test: (e: Error) => boolean): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (test(current)) return true;
    current = current.cause;
  }
  return false;
}

/** True when the error, or one of its causes, says the database is away. */
export const isDatabaseUnavailable = (err: unknown): boolean => anyCause(err, isUnavailableOne);

/** True when the error, or one of its causes, is a wait for a free pooled connection that ran out. */
export const isPoolWaitExpired = (err: unknown): boolean => anyCause(err, isPoolWaitExpiredOne);

/** Seconds a caller is told to wait when every database connection is busy (Retry-After). */
export const POOL_BUSY_RETRY_AFTER_S = 5;

export const databaseUnavailable = () =>
  new DomainError('DATABASE_UNAVAILABLE', {
    en: 'The database is unavailable for the moment; please try again shortly',
    vi: 'Cơ sở dữ liệu tạm thời không truy cập được, vui lòng thử lại sau ít phút',
  });

export const databaseBusy = () =>
  new DomainError(
    'OVERLOADED',
    {
      en: `Every database connection is busy; retry in ${POOL_BUSY_RETRY_AFTER_S} seconds`,
      vi: `Mọi kết nối cơ sở dữ liệu đang bận; vui lòng thử lại sau ${POOL_BUSY_RETRY_AFTER_S} giây`,
    },
    { retryAfterSeconds: POOL_BUSY_RETRY_AFTER_S },
  );

/** The domain error a database fault is answered with, or undefined when the error is not one. */
export function databaseFault(err: unknown): DomainError | undefined {
  if (isPoolWaitExpired(err)) return databaseBusy();
  if (isDatabaseUnavailable(err)) return databaseUnavailable();
  return undefined;
}
