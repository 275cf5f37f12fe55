/**
 * Compiled reads: a GraphQL operation that SQL can answer whole is compiled once per document into one
 * prepared statement that builds the response JSON in PostgreSQL, and PostgreSQL's text is sent as the
 * body. On the national data set the executor's own work (resolvers, loaders, turning rows into objects and
 * back into JSON) was most of a hot read's cost; this path skips all of it.
 *
 * Where it hooks in: a Fastify `preHandler` on the GraphQL route. It runs after authentication (onRequest)
 * and after Fastify has parsed and schema-checked the body, and before Mercurius' handler; when it sends a
 * response the handler does not run, when it returns without sending the request goes on to Mercurius
 * unchanged. Fastify's onSend/onResponse hooks run for both paths, so the x-request-id header and the
 * request's log line are the same. (A Mercurius hook such as preExecution would run after Mercurius has
 * parsed and validated the document and built its context, which is the cost to avoid.)
 *
 * The compiled path answers only the happy case. An unsupported document or field, invalid variables or
 * arguments, a root that is missing or outside the caller's communes, or any error at all: the request goes
 * to the executor, so errors, their codes and partial results stay the executor's.
 */
import { sql } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import type { Principal } from '../../modules/auth/auth.types.js';
import { requestTransaction } from '../../db/row-security.js';
import { readAccessOf, type ReadAccess } from './access.js';
import { graphql } from './graphql-runtime.js';
import { Lru } from './lru.js';
import { notePlanReads, seesAll, selectedGroups, withoutHiddenIds } from '../field-policy.js';
import type { FieldGroup } from '../../modules/auth/access-policy.js';
import { ReadLedger } from '../../modules/auth/read-ledger.js';
import { planOperation, type FieldPlan, type OperationPlan } from './plan.js';

/** A root field compiled to SQL. */
export interface CompiledRoot {
  /**
   * The response text for these (coerced) arguments, or undefined when the executor must answer (invalid
   * arguments, root not found or forbidden). Binds values only: the statements are built at compile time.
   */
  run(args: Record<string, unknown>, access: ReadAccess, argumentsOf: ArgumentsOf): Promise<string | undefined>;
}

/** The coerced arguments of a nested field for this request, or undefined when they are the executor's error. */
export type ArgumentsOf = (field: FieldPlan) => Record<string, unknown> | undefined;

/** Compiles one root field (by name); returns undefined when some selection under it is not supported. */
export type RootCompiler = (root: FieldPlan) => CompiledRoot | undefined;

export interface CompiledReadsOptions {
  /** The executable schema (read once, at the first request: Mercurius builds it after this is set up). */
  schema: () => GraphQLSchema;
  /** Compilers by root field name. */
  roots: Record<string, RootCompiler>;
  /** The executor's depth limit (src/graphql/depth-limit.ts): deeper documents are its error. */
  maxDepth: number;
  /** The GraphQL route's path. */
  path: string;
  /** Documents remembered (compiled or known to be unsupported). */
  cacheSize?: number;
  /** Mark compiled responses with `x-an-sinh-compiled: 1` (tests use it to prove the path was taken). */
  markResponses?: boolean;
}

interface Compiled {
  plan: OperationPlan;
  root: CompiledRoot;
  /** The access policy's field groups it selects (field-policy.ts). */
  groups: Set<FieldGroup>;
  /** The plan compiled: the document's, with ids added where a read to log lacked one (field-policy.ts). */
  compiledRoot: FieldPlan;
  hidden: boolean;
}

/** Reads `GET /graphql?variables=…` as Mercurius does; anything it would refuse goes to it. */
function variablesOfQueryString(text: unknown): unknown {
  if (text === undefined) return undefined;
  // secure-json-parse (Mercurius) refuses prototype keys: let Mercurius give that error.
  if (typeof text !== 'string' || text.includes('__proto__') || text.includes('constructor')) return FALLBACK;
  try {
    return JSON.parse(text);
  } catch {
    return FALLBACK;
  }
}
const FALLBACK = Symbol('fallback');
const { getArgumentValues, getVariableValues } = graphql;

export function compiledReads(options: CompiledReadsOptions) {
  const cache = new Lru<string, Compiled | null>(options.cacheSize ?? 500);
  let schema: GraphQLSchema | undefined;

  function compile(query: string, operationName: string | undefined): Compiled | null {
    schema ??= options.schema();
    const plan = planOperation(schema, query, operationName, options.maxDepth);
    if (!plan) return null;
    // A read of a sensitive group is logged by the ids of whom it read: added to the plan where not asked.
    const { groups, plan: compiledRoot, hidden } = selectedGroups(plan.root);
    const compiler = options.roots[plan.root.fieldName];
    const root = compiler?.(compiledRoot);
    return root ? { plan, root, groups, compiledRoot, hidden } : null;
  }

  async function answer(request: FastifyRequest, principal: Principal, savepoint: { made: boolean }): Promise<string | undefined> {
    let query: unknown, operationName: unknown, variables: unknown;
    if (request.method === 'POST') {
      const body = request.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
      ({ query, operationName, variables } = body as Record<string, unknown>);
      if ((body as Record<string, unknown>).extensions !== undefined) return undefined;
    } else if (request.method === 'GET') {
      const q = request.query as Record<string, unknown>;
      ({ query, operationName } = q);
      if (q.extensions !== undefined) return undefined;
      variables = variablesOfQueryString(q.variables);
    } else return undefined;
    if (typeof query !== 'string' || variables === FALLBACK) return undefined;
    if (operationName != null && typeof operationName !== 'string') return undefined;
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;

    const key = `${operationName ?? ''}\u0000${query}`;
    let compiled = cache.get(key);
    if (compiled === undefined) {
      compiled = compile(query, operationName ?? undefined);
      cache.set(key, compiled);
    }
    if (!compiled || !schema) return undefined;
    const { plan, root, groups, compiledRoot, hidden } = compiled;
    // A group withheld from the caller: the executor answers, with its `extensions.withheld` notes.
    if (!seesAll(principal, groups)) return undefined;
    const coerced = getVariableValues(schema, plan.operation.variableDefinitions ?? [], (variables ?? {}) as Record<string, unknown>);
    if (coerced.errors || !plan.root.field) return undefined;
    let args: Record<string, unknown>;
    try {
      args = getArgumentValues(plan.root.field, plan.root.node, coerced.coerced);
    } catch {
      return undefined; // e.g. null for a non-null argument: the executor's error
    }
    const argumentsOf: ArgumentsOf = (field) => {
      if (!field.field) return undefined;
      try {
        return getArgumentValues(field.field, field.node, coerced.coerced);
      } catch {
        return undefined;
      }
    };
    // Under row-level security the request is one transaction, and a failed statement would abort it for the
    // executor that answers next: the compiled statement runs after a savepoint, rolled back to if it fails (never
    // released: one statement more, not two; the commit ends it).
    const tx = requestTransaction();
    if (tx) {
      await tx.execute(sql`SAVEPOINT compiled_read`);
      savepoint.made = true;
    }
    const body = await root.run(args, readAccessOf(principal), argumentsOf);
    if (body === undefined || groups.size === 0) return body;
    const parsed = JSON.parse(body) as { data: Record<string, unknown> };
    notePlanReads(compiledRoot, parsed.data[plan.root.responseName], (request.reads ??= new ReadLedger()));
    // The executor's serialisation (JSON.stringify) of the same value, without the ids the client did not ask for.
    return hidden ? JSON.stringify(withoutHiddenIds(parsed)) : body;
  }

  return async function compiledReadsPreHandler(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (request.routeOptions.url !== options.path || request.validationError || !request.principal) return undefined;
    let body: string | undefined;
    const savepoint = { made: false };
    try {
      body = await answer(request, request.principal, savepoint);
    } catch (err) {
      // Back to before the compiled statement, so the executor can use the request's transaction. Should that fail
      // too (the connection lost), the executor meets the same fault and answers it.
      if (savepoint.made)
        await requestTransaction()
          ?.execute(sql`ROLLBACK TO SAVEPOINT compiled_read`)
          .catch(() => undefined);
      // The executor will meet the same problem and report it properly; log only what kind it was
      // (messages can quote values, and values can be personal data).
      request.log.warn({ code: (err as { code?: unknown }).code, name: (err as Error).name }, 'compiled read failed; executor answers');
      return undefined;
    }
    if (body === undefined) return undefined;
    reply.code(200).type('application/json; charset=utf-8');
    if (options.markResponses) reply.header('x-an-sinh-compiled', '1');
    return reply.send(body);
  };
}
