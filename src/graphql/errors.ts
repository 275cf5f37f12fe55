/**
 * Maps errors to the contract's `extensions.code` once for all resolvers. Domain errors keep their code,
 * field and bilingual message; GraphQL's own parse/validation/coercion errors become VALIDATION_FAILED;
 * anything else is INTERNAL with no detail leaked (the full error is logged with the request id).
 */
import type { FastifyInstance } from 'fastify';
import { GraphQLError } from 'graphql';
import type { MercuriusContext } from 'mercurius';
import { databaseUnavailable, isDatabaseUnavailable } from '../db/faults.js';
import { DomainError } from '../errors.js';
import { wantsGraphqlResponse } from './media-type.js';

interface ExecutionLike {
  data?: unknown;
  errors?: readonly GraphQLError[];
}

export function formatGraphqlError(error: GraphQLError, log?: { error: (o: object, m: string) => void }) {
  let original = error.originalError as (Error & { errors?: GraphQLError[] }) | undefined;
  // The database being away is not a bug: a clear DATABASE_UNAVAILABLE (HTTP 503) the client can retry.
  if (isDatabaseUnavailable(original)) original = databaseUnavailable();
  if (original instanceof DomainError) {
    return new GraphQLError(original.text.en, {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: original.code, messageVi: original.text.vi, ...original.details },
    });
  }
  if (typeof error.extensions?.code === 'string') return error;
  if (!original || original instanceof GraphQLError) {
    // Parse and validation errors, and variable coercion errors: the caller's query is at fault.
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      path: error.path,
      extensions: { code: 'VALIDATION_FAILED', messageVi: 'Câu truy vấn hoặc giá trị của biến không hợp lệ', ...(error.extensions ?? {}) },
    });
  }
  log?.error({ err: original, path: error.path }, 'unexpected error in resolver');
  return new GraphQLError('Internal error', {
    nodes: error.nodes,
    path: error.path,
    extensions: { code: 'INTERNAL', messageVi: 'Lỗi hệ thống' },
  });
}

export function createErrorFormatter(app: FastifyInstance) {
  return (execution: ExecutionLike, context: MercuriusContext) => {
    const log = context?.reply?.request?.log ?? app.log;
    let statusCode = 200;
    const errors = (execution.errors ?? []).flatMap((e) => {
      // Mercurius wraps parse/validation/variable errors in one error carrying the list and a 400.
      const wrapped = e.originalError as (Error & { errors?: unknown[]; statusCode?: number }) | undefined;
      if (wrapped && Array.isArray(wrapped.errors)) {
        if (typeof wrapped.statusCode === 'number' && !execution.data) statusCode = wrapped.statusCode;
        return wrapped.errors.map(
          (inner) =>
            new GraphQLError((inner as Error).message, {
              nodes: (inner as GraphQLError).nodes,
              extensions: { ...((inner as GraphQLError).extensions ?? {}), code: 'VALIDATION_FAILED' },
            }),
        );
      }
      return [formatGraphqlError(e, log)];
    });
    // Resolver errors keep 200 so partial data reaches the client, as GraphQL over HTTP expects; but
    // when the database is away the answer is unusable, and a 503 lets load balancers and clients retry.
    if (errors.some((e) => e.extensions.code === 'DATABASE_UNAVAILABLE')) statusCode = 503;
    // No data and no error on a field: a request error (variables that do not coerce on the compiled path).
    // GraphQL over HTTP: no `data` key, and 400 when the client speaks application/graphql-response+json.
    if (!execution.data && errors.every((e) => e.path === undefined)) {
      const request = context?.reply?.request;
      if (statusCode === 200 && request && wantsGraphqlResponse(request)) statusCode = 400;
      return { statusCode, response: { errors } };
    }
    return { statusCode, response: { data: execution.data ?? null, errors } };
  };
}
