/**
 * Routes open without a token, and the answer to unknown routes:
 * - `GET /` says what the service is and where to go next (GraphiQL, the SDL, the REST document, health);
 * - `GET /graphql/schema.graphql` serves the schema's SDL with its descriptions, for codegen and API tools.
 *   The schema is the published contract and holds no personal data, so it needs no token (introspection
 *   through /graphql still does, like every query);
 * - unknown routes get the same JSON error shape as every other error.
 */
import type { FastifyInstance } from 'fastify';
import { buildSchema, printSchema } from 'graphql';
import { loadSchemaText } from '../graphql/schema.js';

export const PUBLIC_ROUTES = ['/', '/graphql/schema.graphql'] as const;

export function registerPublicRoutes(app: FastifyInstance, options: { graphiql: boolean }): void {
  app.get('/', () => ({
    service: 'An Sinh',
    graphql: '/graphql',
    schema: '/graphql/schema.graphql',
    graphiql: options.graphiql ? '/graphiql' : null,
    // The REST routes (files: exports, payment files, audit exports), described in OpenAPI (src/http/openapi.ts).
    rest: { docs: '/docs', openapi: '/docs/json' },
    health: { live: '/healthz', ready: '/readyz' },
    authentication: 'Authorization: Bearer <token> on /graphql and the REST routes',
  }));

  let sdl: string | undefined;
  app.get('/graphql/schema.graphql', async (_request, reply) => {
    // Printed from the contract files (Mercurius holds its schema in graphql's CommonJS build, which the
    // ES module build here cannot print).
    sdl ??= printSchema(buildSchema(loadSchemaText()));
    return reply.type('text/plain; charset=utf-8').send(sdl);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    return reply.code(404).send({
      error: {
        code: 'NOT_FOUND',
        message: `No route ${request.method} ${path}; see GET / for what this service offers`,
        messageVi: `Không có đường dẫn ${request.method} ${path}; xem GET / để biết dịch vụ cung cấp những gì`,
      },
    });
  });
}
