/**
 * Maps errors to the contract's `extensions.code` once for all resolvers. Domain errors keep their code,
 * field and bilingual message; GraphQL's own parse/validation/coercion errors become VALIDATION_FAILED;
 * anything else is INTERNAL with no detail leaked (the full error is logged with the request id).
 */
import type { FastifyInstance } from 'fastify';
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import { databaseFault } from '../db/faults.js';
import { DomainError } from '../errors.js';
import { databaseCause, safeError } from '../safe-error.js';
import { fieldOfInputError } from './error-field.js';
import { wantsGraphqlResponse } from './media-type.js';
import { withoutSuggestions } from './suggestions.js';

type ExecutionLike = Pick<ExecutionResult, 'data' | 'errors'>;

/** SQLSTATE query_canceled: the statement timeout fired. */
const QUERY_CANCELED = '57014';

export function formatGraphqlError(
  error: GraphQLError,
  log?: { error: (o: object, m: string) => void; warn: (o: object, m: string) => void },
  options: { suggestions?: boolean } = {},
) {
  // The database being away, or every connection busy, is not a bug: a clear DATABASE_UNAVAILABLE or
  // OVERLOADED (HTTP 503) the client can retry.
  const original = databaseFault(error.originalError) ?? error.originalError;
  // graphql-jit's variable coercion errors on the compiled executor come without extensions.
  const extensions = (error.extensions as GraphQLError['extensions'] | undefined) ?? {};
  if (original instanceof DomainError) {
    return new GraphQLError(original.text.en, {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: original.code, messageVi: original.text.vi, ...original.details },
    });
  }
  if (typeof extensions.code === 'string') return error;
  if (!original || original instanceof GraphQLError) {
    // Parse and validation errors, and variable coercion errors: the caller's query is at fault.
    return new GraphQLError(options.suggestions === false ? withoutSuggestions(error.message) : error.message, {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: 'VALIDATION_FAILED', messageVi: 'Câu truy vấn hoặc giá trị của biến không hợp lệ', ...extensions },
    });
  }
  if (databaseCause(original)?.code === QUERY_CANCELED) {
    // The statement timeout (DATABASE_STATEMENT_TIMEOUT_MS) cut the query short: say so, not INTERNAL.
    log?.warn({ err: safeError(original), path: error.path }, 'statement timeout');
    return new GraphQLError('The request took too long and was stopped; narrow it (a commune, a program, a shorter range)', {
      nodes: error.nodes,
      path: error.path,
      extensions: {
        code: 'TIMEOUT',
        messageVi: 'Yêu cầu chạy quá lâu nên đã bị dừng; hãy thu hẹp phạm vi (một xã, một chương trình, khoảng thời gian ngắn hơn)',
      },
    });
  }
  // Only the error's code, constraint and masked message: never the query's parameters (safe-error.ts).
  log?.error({ err: safeError(original), path: error.path }, 'unexpected error in resolver');
  return new GraphQLError('Internal error', {
    nodes: error.nodes,
    path: error.path,
    extensions: { code: 'INTERNAL', messageVi: 'Lỗi hệ thống' },
  });
}

/** Mercurius' wrapper of parse, validation and variable errors: their list and an HTTP status. */
function wrappedErrors(e: GraphQLError): { errors: unknown[]; statusCode: unknown } | undefined {
  const original = e.originalError;
  if (!original || !('errors' in original) || !Array.isArray(original.errors)) return undefined;
  const errors: unknown[] = original.errors;
  return { errors, statusCode: 'statusCode' in original ? original.statusCode : undefined };
}

/** `suggestions: false` (production) drops GraphQL's "Did you mean …?" hints from messages (request-errors.ts). */
export function createErrorFormatter(app: FastifyInstance, options: { suggestions?: boolean } = {}) {
  // `reply` is absent when the app calls app.graphql() itself (no HTTP request): log on the app then.
  return (execution: ExecutionLike, context: Partial<Pick<MercuriusContext, 'reply'>>) => {
    const log = context.reply?.request.log ?? app.log;
    let statusCode = 200;
    const errors = (execution.errors ?? []).flatMap((e) => {
      // Mercurius wraps parse/validation/variable errors in one error carrying the list and a 400.
      const wrapped = wrappedErrors(e);
      if (wrapped) {
        if (typeof wrapped.statusCode === 'number' && !execution.data) statusCode = wrapped.statusCode;
        return wrapped.errors.map((inner) => {
          const error = inner instanceof GraphQLError ? inner : new GraphQLError(inner instanceof Error ? inner.message : String(inner));
          const field = fieldOfInputError(error);
          return new GraphQLError(options.suggestions === false ? withoutSuggestions(error.message) : error.message, {
            nodes: error.nodes,
            extensions: {
              messageVi: 'Truy vấn hoặc dữ liệu gửi lên không hợp lệ',
              ...error.extensions,
              ...(field === undefined ? {} : { field }),
              code: 'VALIDATION_FAILED',
            },
          });
        });
      }
      return [formatGraphqlError(e, log, options)];
    });
    // Resolver errors keep 200 so partial data reaches the client, as GraphQL over HTTP expects; but
    // when the database is away the answer is unusable, and a 503 lets load balancers and clients retry.
    if (errors.some((e) => e.extensions.code === 'DATABASE_UNAVAILABLE' || e.extensions.code === 'OVERLOADED')) statusCode = 503;
    const retryAfter = errors.map((e) => e.extensions.retryAfterSeconds).find((s) => typeof s === 'number');
    if (retryAfter !== undefined) void context.reply?.header('retry-after', retryAfter);
    // No data and no error on a field: a request error (variables that do not coerce on the compiled path).
    // GraphQL over HTTP: no `data` key, and 400 when the client speaks application/graphql-response+json.
    if (!execution.data && errors.every((e) => e.path === undefined)) {
      const request = context.reply?.request;
      if (statusCode === 200 && request && wantsGraphqlResponse(request)) statusCode = 400;
      return { statusCode, response: { errors } };
    }
    return { statusCode, response: { data: execution.data ?? null, errors } };
  };
}
