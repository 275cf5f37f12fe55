/**
 * The caller of a request. The onRequest hook of app.ts authenticates every request outside the public routes
 * (a bearer token, verified by the auth service) and leaves the principal on the request; GraphQL and the REST
 * routes read it here, so there is one way in.
 */
import type { FastifyRequest } from 'fastify';
import { unauthenticated } from '../errors.js';
import type { Principal } from '../modules/auth/auth.types.js';
import '../graphql/context.js';

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthenticated('A bearer token is required', 'Cần có mã xác thực đăng nhập');
  return request.principal;
}
