/**
 * Checks the shape of a POST /graphql body before Mercurius sees it. Fastify's schema validation coerces
 * `{"query": 42}` into the string "42", which Mercurius then tries to read as a JSON document and fails on
 * with an internal error; a query must be a string, said plainly. `"extensions": null` is allowed by the
 * GraphQL-over-HTTP spec but refused by Mercurius' body schema, so it is dropped here.
 */
import type { FastifyInstance } from 'fastify';

export class BadGraphqlRequest extends Error {
  readonly code = 'AN_SINH_BAD_GRAPHQL_REQUEST';
  readonly statusCode = 400;
}

export function checkGraphqlRequestShape(app: FastifyInstance, graphqlPath = '/graphql'): void {
  app.addHook('preValidation', (request, _reply, done) => {
    try {
      checkBody(request.method === 'POST' && request.routeOptions.url === graphqlPath ? request.body : undefined);
    } catch (err) {
      done(err as BadGraphqlRequest);
      return;
    }
    done();
  });
}

function checkBody(body: unknown): void {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return;
  const fields = body as Record<string, unknown>;
  if ('query' in fields && fields.query !== undefined && typeof fields.query !== 'string') {
    throw new BadGraphqlRequest('The query must be a string');
  }
  if ('operationName' in fields && fields.operationName != null && typeof fields.operationName !== 'string') {
    throw new BadGraphqlRequest('The operationName must be a string');
  }
  if ('variables' in fields && fields.variables != null && (typeof fields.variables !== 'object' || Array.isArray(fields.variables))) {
    throw new BadGraphqlRequest('The variables must be an object');
  }
  if (fields.extensions === null) delete fields.extensions;
}
