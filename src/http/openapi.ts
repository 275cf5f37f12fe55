/**
 * OpenAPI documentation of the REST routes (the exports, the payment files, the audit exports), built by
 * @fastify/swagger from the routes' own `schema` and served at `/docs` (Swagger UI, from the @fastify/swagger-ui
 * package's files: no CDN, so it works on a district network without internet) and `/docs/json` (the document).
 * GraphQL has its own contract (`/graphql/schema.graphql`) and is not repeated here: only tagged routes are listed.
 *
 * The schemas document; they do not validate. Each route checks its own query and answers the app's bilingual
 * error (`{ error: { code, message, messageVi, problems? } }`, field by field), which Fastify's generic schema
 * validation would replace with one English message: `documentedOnly` below is the routes' compilers.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';

/** Paths open without a token: the page, its files and the document (the contract, no data). */
export const DOCS_PREFIX = '/docs';

/**
 * The page's policy replaces the API's (which allows nothing, src/http/hardening.ts) on /docs only: scripts, styles
 * and images of this origin, and the document fetched from it. Swagger UI sets style attributes, hence
 * 'unsafe-inline' for styles (not for scripts).
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Route options for a documented route: the schema is for the document only (see above). */
export function documentedOnly(schema: FastifySchema) {
  return {
    schema,
    validatorCompiler: () => () => true,
    serializerCompiler: () => (data: unknown) => JSON.stringify(data),
  };
}

/** The app's REST error, as every documented route answers it. */
const ERROR_BODY = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'messageVi'],
      properties: {
        code: { type: 'string', description: 'VALIDATION_FAILED, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT, DATABASE_UNAVAILABLE, …' },
        message: { type: 'string', description: 'In English.' },
        messageVi: { type: 'string', description: 'In Vietnamese.' },
        field: { type: 'string', description: 'For VALIDATION_FAILED: the first parameter at fault.' },
        problems: {
          type: 'array',
          description: 'For VALIDATION_FAILED: every parameter at fault, in English (en) and Vietnamese (vi).',
          items: { type: 'object', properties: { field: { type: 'string' }, en: { type: 'string' }, vi: { type: 'string' } } },
        },
      },
    },
  },
} as const;

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ERROR_BODY } } });

/** The error answers every authenticated route may give. */
export const ERROR_RESPONSES = {
  400: errorResponse('VALIDATION_FAILED: a query parameter is wrong (each in `problems`).'),
  401: errorResponse('UNAUTHENTICATED: no valid bearer token.'),
  403: errorResponse('FORBIDDEN: the token does not cover the commune, or lacks the role or scope.'),
  503: errorResponse('DATABASE_UNAVAILABLE or TIMEOUT.'),
} as const;

/** A file answered as CSV (UTF-8 with a byte order mark) or XLSX. */
export const fileResponse = (description: string, type: 'text/csv' | 'xlsx') => ({
  description,
  content:
    type === 'text/csv'
      ? { 'text/csv': { schema: { type: 'string' } } }
      : { 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } } },
});

/** `?lang=`: the language of the column headers. */
export const LANG_PARAMETER = {
  type: 'string',
  enum: ['vi', 'en'],
  description: 'Column headers in Vietnamese (default) or English; without it, the first of vi/en in Accept-Language.',
} as const;

/** Registers the document builder; call before any documented route is declared (it collects them as they are). */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'An Sinh REST',
        version: '1',
        description:
          'Files of An Sinh: exports of beneficiaries, household members, coverage gaps, the lines of a payment cycle and ' +
          'audit findings (CSV and XLSX, streamed), ' +
          'the payment file of a cycle and its reconciliation, audit findings and the payment report. Same tokens and ' +
          'access policy as GraphQL (`/graphql`, schema at `/graphql/schema.graphql`). See docs/integration.md.',
      },
      tags: [
        { name: 'exports', description: 'Registry and benefit lists as CSV or XLSX' },
        { name: 'payments', description: 'Payment files, reconciliation, audit findings and reports' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    hideUntagged: true,
  });
}

/** Serves the page and the document at /docs; after every route is declared. */
export async function registerDocsPage(app: FastifyInstance): Promise<void> {
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // No call to validator.swagger.io (the district network has no internet, and the document is ours).
    uiConfig: { validatorUrl: null, deepLinking: false },
    staticCSP: DOCS_CSP,
  });
}
