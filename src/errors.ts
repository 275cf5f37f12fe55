/**
 * Domain errors with stable codes. Services throw these; the GraphQL error formatter and the REST error
 * handler map them once (src/graphql/errors.ts, src/app.ts). Messages a person reads come in Vietnamese
 * and English.
 */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'VALIDATION_FAILED'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  /** A query ran past the statement timeout (DATABASE_STATEMENT_TIMEOUT_MS) and was cancelled. */
  | 'TIMEOUT'
  /** The database could not be reached or dropped the connection: retry later (503). */
  | 'DATABASE_UNAVAILABLE'
  /** The service has more work in flight than it can take (every database connection busy): retry later (503). */
  | 'OVERLOADED'
  /** A `changes` cursor from before the events retention kept: the caller has missed events and must resync. */
  | 'CURSOR_EXPIRED'
  | 'INTERNAL';

export interface Bilingual {
  vi: string;
  en: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly text: Bilingual,
    readonly details: Record<string, unknown> = {},
  ) {
    super(`${text.en} / ${text.vi}`);
    this.name = 'DomainError';
  }
}

export interface FieldProblem {
  /** Path of the input field at fault, e.g. "input.nationalId". */
  field: string;
  vi: string;
  en: string;
}

/** Bad input: carries every field at fault so a client can show them all at once. */
export class ValidationError extends DomainError {
  constructor(readonly problems: FieldProblem[]) {
    const first = problems[0] ?? { field: '', vi: 'Dữ liệu không hợp lệ', en: 'Invalid input' };
    super('VALIDATION_FAILED', { vi: `${first.field}: ${first.vi}`, en: `${first.field}: ${first.en}` }, { field: first.field, problems });
  }
}

/** What a record is called in Vietnamese messages (never the English word). */
const RECORD_VI: Record<string, string> = {
  enrolment: 'hồ sơ hưởng trợ cấp',
  person: 'người',
  household: 'hộ',
  'area classification': 'phân loại địa bàn',
  'pension conversion': 'quyết định chuyển đổi sang trợ cấp hưu trí xã hội',
  'base level': 'mức chuẩn',
};

export const notFound = (what: string, id: string) =>
  new DomainError('NOT_FOUND', { vi: `Không tìm thấy ${RECORD_VI[what] ?? 'bản ghi'} có mã ${id}`, en: `${what} ${id} not found` }, { id });

export const forbidden = (en: string, vi: string) => new DomainError('FORBIDDEN', { vi, en });

export const conflict = (en: string, vi: string, details: Record<string, unknown> = {}) => new DomainError('CONFLICT', { vi, en }, details);

export const unauthenticated = (en: string, vi: string) => new DomainError('UNAUTHENTICATED', { vi, en });

/** Collects field problems while checking input, then throws them together. */
export class Problems {
  private readonly list: FieldProblem[] = [];
  add(field: string, en: string, vi: string): this {
    this.list.push({ field, en, vi });
    return this;
  }
  get any(): boolean {
    return this.list.length > 0;
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ValidationError(this.list);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (id: string) => UUID.test(id);

/** Ids are UUIDs: anything else is the caller's mistake, reported before it reaches the database. */
export function checkId(field: string, id: string): void {
  if (!isUuid(id)) new Problems().add(field, 'is not a valid id', 'không phải mã hợp lệ').throwIfAny();
}

/** Is a violation of the unique index `constraint` behind this error (pg or PGlite, wrapped by drizzle or not)? */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    const { code, constraint: c, message } = e as { code?: string; constraint?: string; message?: string };
    if (code === '23505' && (c === constraint || message?.includes(constraint))) return true;
  }
  return false;
}

/**
 * Runs a mutation whose service checks uniqueness before inserting. When two requests race past that check,
 * the database's unique index has the last word: its violation becomes the same CONFLICT the check gives.
 */
export async function uniqueAsConflict<T>(run: () => Promise<T>, conflicts: Record<string, () => DomainError>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    for (const [constraint, toError] of Object.entries(conflicts)) {
      if (isUniqueViolation(err, constraint)) throw toError();
    }
    throw err;
  }
}
