/**
 * Start-up failures an operator can act on, said in one line: which database could not be reached, which
 * port is taken. Anything else still names its message (the stack is no help to district IT).
 */
export function describeStartupFailure(err: unknown, where: { databaseUrl?: string | undefined; host: string; port: number }): string {
  const code = err instanceof Error ? (err as { code?: unknown }).code : undefined;
  const message = err instanceof Error ? err.message || err.name : String(err);
  const database = where.databaseUrl ? databaseAddress(where.databaseUrl) : 'the embedded database';
  switch (code) {
    case 'EADDRINUSE':
      return `port ${where.port} on ${where.host} is already in use (another An Sinh or another program listens there); set PORT to a free port`;
    case 'EACCES':
      return `not allowed to listen on ${where.host}:${where.port}; use a port above 1023`;
    case 'EADDRNOTAVAIL':
      return `HOST ${where.host} is not an address of this machine`;
    case 'ECONNREFUSED':
      return `cannot reach the database at ${database}: connection refused (is PostgreSQL running there?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach the database at ${database}: host name not found`;
    case 'ETIMEDOUT':
      return `cannot reach the database at ${database}: connection timed out`;
    case '3D000':
      return `the database at ${database} does not exist (create it with createdb): ${message}`;
    case '28P01':
    case '28000':
      return `the database at ${database} refused the credentials in DATABASE_URL: ${message}`;
    default:
      if (message.startsWith('timeout expired') || message.startsWith('timeout exceeded when trying to connect')) {
        return `cannot reach the database at ${database}: no answer within DATABASE_CONNECT_TIMEOUT_MS`;
      }
      // AggregateError (localhost resolving to several addresses) carries its codes inside.
      if (err instanceof AggregateError && err.errors.length > 0) return describeStartupFailure(err.errors[0], where);
      return message;
  }
}

/** host:port/database of a postgres:// URL, without the user or password. */
function databaseAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'DATABASE_URL';
  }
}
