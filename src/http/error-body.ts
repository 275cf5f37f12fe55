/**
 * An error answer in the shape of the route it answers: GraphQL's `errors` (code and Vietnamese message in
 * `extensions`) on /graphql, the REST `error` object elsewhere. Errors raised before GraphQL runs (overload, rate
 * limits, a request's row-security transaction that cannot begin) reach Fastify's handlers, not Mercurius': a
 * GraphQL client still finds `errors[0].extensions.code`.
 */
import type { FastifyRequest } from 'fastify';

const pathOf = (url: string) => url.split('?', 1)[0] ?? url;

export function errorBody(request: FastifyRequest, code: string, en: string, vi: string, details: Record<string, unknown> = {}) {
  return pathOf(request.url) === '/graphql'
    ? { errors: [{ message: en, extensions: { code, messageVi: vi, ...details } }] }
    : { error: { code, message: en, messageVi: vi, ...details } };
}
