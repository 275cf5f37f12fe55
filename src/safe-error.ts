/**
 * What of an error may reach a log. A database error wrapped by Drizzle carries the SQL text and its
 * parameters (for registerPerson: the identification number, name and date of birth), PGlite's errors
 * carry them too, and PostgreSQL's detail echoes the row. None of that is logged: only the SQLSTATE code,
 * the constraint, table and column, and a message with quoted values masked; the stack keeps its frames
 * but not its first line (the message again).
 */
const TWELVE_DIGITS = /\b\d{12}\b/g;
/** Masks every 12-digit number (an identification number) to its first three and last three digits. */
export const scrubIdentifiers = (s: string) => s.replace(TWELVE_DIGITS, (m) => `${m.slice(0, 3)}******${m.slice(9)}`);

export interface DatabaseFacts {
  code: string;
  constraint?: string;
  table?: string;
  column?: string;
}

/** A PostgreSQL error somewhere in the cause chain: its SQLSTATE is five characters. */
export function databaseCause(err: unknown): (Error & DatabaseFacts) | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return e as Error & DatabaseFacts;
  }
  return undefined;
}

const SQL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$.]{0,62}$/;

/** The message with every quoted value replaced (identifiers such as table and constraint names stay). */
export function maskDatabaseMessage(message: string): string {
  const firstLine = message.split('\n')[0] ?? '';
  return scrubIdentifiers(firstLine.replace(/"([^"]*)"/g, (whole, inner: string) => (SQL_IDENTIFIER.test(inner) ? whole : '"…"'))).replace(
    /\(([^()]*)\)=\(([^()]*)\)/g,
    '($1)=(…)',
  );
}

const framesOf = (stack: string | undefined) =>
  (stack ?? '')
    .split('\n')
    .filter((line) => line.startsWith('    at '))
    .join('\n');

const stringProp = (o: object, key: string): string | undefined => {
  const v = (o as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
};

/** The pino `err` serializer: a plain object safe to log. Anything not an Error passes as it is. */
export function safeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const type = err.constructor.name;
  const db = databaseCause(err);
  if (db) {
    return {
      type,
      message: maskDatabaseMessage(db.message),
      database: {
        code: db.code,
        constraint: stringProp(db, 'constraint'),
        table: stringProp(db, 'table'),
        column: stringProp(db, 'column'),
        routine: stringProp(db, 'routine'),
      },
      stack: framesOf(err.stack),
    };
  }
  return { type, message: scrubIdentifiers(err.message), stack: framesOf(err.stack) };
}
