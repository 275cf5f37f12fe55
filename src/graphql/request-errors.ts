/**
 * Errors of a GraphQL request that never reached execution: a body that is not JSON, is empty or too
 * large, has no query or a query that is not a string, a query that does not parse or does not validate,
 * variables of the wrong type, a mutation sent with GET. They are the client's mistake: answered 4xx with
 * `VALIDATION_FAILED` (or the HTTP meaning), an English and a Vietnamese message, no `data` key (GraphQL
 * over HTTP: a request error has no data), and logged at info, not as a server error.
 * Mercurius calls this for anything thrown on /graphql; what is not a request error is answered INTERNAL
 * and logged at error level, as before.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { fieldOfInputError } from './error-field.js';
import { wantsGraphqlResponse } from './media-type.js';
import { PersistedQueryError } from './persisted-queries.js';
import { GraphqlLimitExceeded } from './query-limits.js';
import { BadGraphqlRequest } from './request-shape.js';
import { withoutSuggestions } from './suggestions.js';

interface RequestError {
  status: number;
  code: string;
  en: string;
  vi: string;
}

const BODY_ERRORS: Record<string, Omit<RequestError, 'code'>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, en: 'The request body is not valid JSON', vi: 'Nội dung yêu cầu không phải JSON hợp lệ' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, en: 'The request body is empty', vi: 'Nội dung yêu cầu trống' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, en: 'The request body is too large (at most 1 MiB)', vi: 'Nội dung yêu cầu quá lớn (tối đa 1 MiB)' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    en: 'Unsupported content type; send application/json',
    vi: 'Kiểu nội dung không được hỗ trợ; hãy gửi theo định dạng application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    en: 'The request body length does not match Content-Length',
    vi: 'Độ dài nội dung yêu cầu không khớp với khai báo',
  },
  MER_ERR_GQL_PERSISTED_QUERY_NOT_FOUND: { status: 400, en: 'The request has no query', vi: 'Yêu cầu không có câu truy vấn' },
};

/**
 * Mercurius loads graphql's CommonJS build and this module its ES build: their GraphQLError classes differ,
 * so errors are recognised by name rather than instanceof.
 */
const isGraphqlError = (e: unknown): e is GraphQLError => e instanceof Error && e.name === 'GraphQLError';

const SHAPE_VI: Record<string, string> = {
  'The query must be a string': 'Câu truy vấn phải là một chuỗi ký tự',
  'The operationName must be a string': 'Tên thao tác phải là một chuỗi ký tự',
  'The variables must be an object': 'Các biến phải được gửi dưới dạng một đối tượng JSON',
};

/** Vietnamese for GraphQL's own messages, which are English only: say what kind of mistake it is. */
function vietnameseFor(message: string): string {
  if (message.startsWith('Syntax Error')) return 'Câu truy vấn sai cú pháp';
  if (message.startsWith('Variable ')) return 'Giá trị của biến không hợp lệ hoặc bị thiếu';
  if (message.startsWith('Cannot query field')) return 'Câu truy vấn hỏi một trường không có trong lược đồ';
  if (message.startsWith('Unknown argument')) return 'Câu truy vấn dùng một tham số không có trong lược đồ';
  if (message.includes('must be a string') || message.startsWith('body/query')) return 'Câu truy vấn phải là một chuỗi ký tự';
  return 'Câu truy vấn không hợp lệ với lược đồ của dịch vụ (chi tiết trong thông báo tiếng Anh)';
}

export function toRequestErrors(
  error: FastifyError & { errors?: unknown[] },
  graphqlResponse: boolean,
  options: { suggestions?: boolean } = {},
): { status: number; errors: GraphQLError[] } | undefined {
  if (error instanceof GraphqlLimitExceeded || error instanceof PersistedQueryError) {
    // Refused before execution, like a document that does not validate: 200 under application/json (an APQ
    // client reads PERSISTED_QUERY_NOT_FOUND from a 200 answer, then sends the document).
    return {
      status: graphqlResponse ? 400 : 200,
      errors: [new GraphQLError(error.message, { extensions: { code: error.code, messageVi: error.messageVi, ...error.details } })],
    };
  }
  if (error instanceof BadGraphqlRequest) {
    return {
      status: 400,
      errors: [
        new GraphQLError(error.message, {
          extensions: { code: 'VALIDATION_FAILED', messageVi: SHAPE_VI[error.message] ?? 'Yêu cầu GraphQL không đúng định dạng' },
        }),
      ],
    };
  }
  const known = BODY_ERRORS[error.code];
  if (known) {
    return { status: known.status, errors: [new GraphQLError(known.en, { extensions: { code: 'VALIDATION_FAILED', messageVi: known.vi } })] };
  }
  if (error.code === 'MER_ERR_METHOD_NOT_ALLOWED') {
    return {
      status: 405,
      errors: [
        new GraphQLError('Mutations must be sent with POST', {
          extensions: { code: 'VALIDATION_FAILED', messageVi: 'Thao tác thay đổi dữ liệu phải gửi bằng phương thức POST' },
        }),
      ],
    };
  }
  if (error.code === 'MER_ERR_GQL_VALIDATION' && !Array.isArray(error.errors)) {
    // Mercurius' JSON.parse of a GET request's `variables` or `extensions` failed (it gives the JSON error
    // itself that code); it used to be answered as an internal error (found by test/document-fuzz.test.ts).
    return {
      status: 400,
      errors: [
        new GraphQLError('The variables and extensions of a GET request must be JSON objects', {
          extensions: { code: 'VALIDATION_FAILED', messageVi: 'Các tham số variables và extensions của yêu cầu GET phải là đối tượng JSON hợp lệ' },
        }),
      ],
    };
  }
  if (error.code === 'MER_ERR_GQL_VALIDATION' && Array.isArray(error.errors)) {
    // A document that does not parse or validate, or variables that do not coerce, is a well-formed GraphQL
    // response: 400 under application/graphql-response+json, 200 under application/json (the spec's
    // legacy rule). Body schema errors (variables not an object) are malformed requests: 400 always.
    const documentErrors = error.errors.every(isGraphqlError);
    return {
      status: documentErrors && !graphqlResponse ? 200 : 400,
      errors: error.errors.map((inner) => {
        const e = isGraphqlError(inner) ? inner : undefined;
        const message = inner instanceof Error ? inner.message : String(inner);
        // Fastify's body schema errors (e.g. {"query": 42}) say "body/query must be string".
        const shown = options.suggestions === false ? withoutSuggestions(message) : message;
        const text = shown.startsWith('body/query') ? 'The query must be a string' : shown;
        const viExisting = e?.extensions.messageVi;
        // A scalar's refusal names its argument (`to`, `input.dateOfBirth`), found from its place in the query.
        const field = e ? fieldOfInputError(e) : undefined;
        return new GraphQLError(text, {
          nodes: e?.nodes,
          extensions: {
            ...(e?.extensions ?? {}),
            ...(field === undefined ? {} : { field }),
            code: 'VALIDATION_FAILED',
            messageVi: typeof viExisting === 'string' ? viExisting : vietnameseFor(message),
          },
        });
      }),
    };
  }
  return undefined;
}

/** The app's GraphQL error formatter (src/graphql/errors.ts), as Mercurius' own error handler calls it. */
type ErrorFormatter = (
  execution: { errors: GraphQLError[] },
  context: { reply: FastifyReply },
) => {
  statusCode: number;
  response: { errors: readonly GraphQLError[] };
};

/**
 * Mercurius' errorHandler: request errors answered here; anything else (an input refused by the
 * preExecution check, a database fault, a bug) gets the error formatter's answer, as Mercurius' default
 * handler gives it, so codes, fields, 503s and safe logging stay the formatter's.
 */
export function graphqlRequestErrorHandler(format: ErrorFormatter, options: { suggestions?: boolean } = {}) {
  return async (error: FastifyError & { errors?: unknown[] }, request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    // Awaiting the reply resolves once it is sent, so Fastify does not try to send a second answer.
    const mapped = toRequestErrors(error, wantsGraphqlResponse(request), options);
    if (mapped) {
      request.log.info({ code: error.code, status: mapped.status }, 'bad GraphQL request');
      await reply.code(mapped.status).send({ errors: mapped.errors.map((e) => e.toJSON()) });
      return;
    }
    // Mercurius may hand over its own (CommonJS) GraphQLError: rebuilt with this module's class.
    const graphqlError = isGraphqlError(error)
      ? new GraphQLError(error.message, { nodes: error.nodes, path: error.path, originalError: error.originalError ?? undefined, extensions: error.extensions })
      : new GraphQLError(error.message, { originalError: error });
    const { statusCode, response } = format({ errors: [graphqlError] }, { reply });
    // A bug is the server's fault whatever the media type: 500, as before.
    const internal = response.errors.some((e) => e.extensions.code === 'INTERNAL');
    await reply.code(internal ? 500 : statusCode).send(response);
  };
}
