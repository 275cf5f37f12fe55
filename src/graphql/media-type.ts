/**
 * The media types of GraphQL over HTTP: a client that accepts `application/graphql-response+json` gets
 * its answers in it, and with it the spec's status codes (400 for a document that does not parse or
 * validate); a client that asks for `application/json` (or says nothing) gets the legacy behaviour of the
 * spec: such errors come with 200, since the body is a well-formed GraphQL response.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const GRAPHQL_RESPONSE = 'application/graphql-response+json';

/** True when the Accept header lists application/graphql-response+json before (or without) application/json. */
export function wantsGraphqlResponse(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  const types = accept.split(',').map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '');
  const graphql = types.indexOf(GRAPHQL_RESPONSE);
  if (graphql === -1) return false;
  const json = types.indexOf('application/json');
  return json === -1 || graphql < json;
}

export function answerInRequestedMediaType(app: FastifyInstance, graphqlPath = '/graphql'): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.routeOptions.url !== graphqlPath || !wantsGraphqlResponse(request)) return payload;
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json')) reply.header('content-type', `${GRAPHQL_RESPONSE}; charset=utf-8`);
    return payload;
  });
}
