/**
 * Limits on a GraphQL document, checked before anything runs: its size, its tokens, its aliases and its
 * cost. One request with 20 aliased `coverageGaps(first: 500)` used to take seconds of database time; the
 * cost, computed from the document and its variables alone, refuses it before a single statement is sent.
 *
 * Where it hooks in: a Fastify preHandler on the GraphQL route, registered before the compiled reads
 * (src/graphql/compiled/hook.ts), so that neither the compiled path nor Mercurius' executor sees a document
 * over a limit. Depth stays with the executor's validation rule (depth-limit.ts), which the compiled path
 * respects. A document that does not parse is refused here with its syntax error (Mercurius would try it as a
 * JSON-encoded AST, outside these limits); one whose variables do not coerce goes on to Mercurius, whose error it
 * is, and so does a document deeper than the depth limit. Documents are
 * not validated here: a fragment bomb (fragments spreading each other twice, 2^20 fields in 60 lines) would make
 * validation itself the attack, while the cost count stops at 10,000 nodes and refuses it.
 *
 * The cost (docs/security.md, "Query cost"): every field returning an object costs 1, leaves cost nothing,
 * introspection (`__schema`, `__type`) costs nothing. A list costs its length times the cost of one item: the
 * length is its `first` (or `limit`) argument, else the heavy field's assumed length below, else
 * DEFAULT_LIST_SIZE; lists inside a page (a `…Connection`) are the page's `first` items, counted once. The
 * heavy fields read or compute much more per item than a plain row and have their own weight per item.
 * The computation is graphql-query-complexity's (fragments, inline fragments, @skip/@include, unions), with
 * the estimator here.
 */
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DocumentNode, GraphQLSchema, SelectionSetNode } from 'graphql';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import type { QueryLimits } from '../config.js';
import { graphql } from './compiled/graphql-runtime.js';
import { Lru } from './compiled/lru.js';
import { MAX_QUERY_DEPTH } from './depth-limit.js';

// The CommonJS build, which uses the graphql copy Mercurius built the schema with (see graphql-runtime.ts).
const { getComplexity } = createRequire(import.meta.url)('graphql-query-complexity') as typeof import('graphql-query-complexity');

/** Assumed length of a list that has no `first`/`limit` argument and no weight of its own. */
// A person's own records (certificates, merit records, pregnancies…) are a handful; a household has 3–5 members.
export const DEFAULT_LIST_SIZE = 5;

/**
 * The heavy fields, by `Type.field`: `weight` is the cost of one item (instead of 1), `items` the assumed
 * length of a list without `first`. Each computes or reads far more per item than a plain row.
 */
export const HEAVY_FIELDS: Record<string, { weight: number; items?: number; maxFirst?: number; months?: true }> = {
  // Each gap is an eligibility evaluation of one person over all programs: about ten times a plain person row
  // (one page of 500 took 0.23–0.54 s on the demo data set). More than 500 is the service's VALIDATION_FAILED.
  'Query.coverageGaps': { weight: 20, maxFirst: 500 },
  // A page of people with their residence and benefit state on `asOf`; at most 200.
  'Query.beneficiaries': { weight: 2, maxFirst: 200 },
  // One item per month from `from` to `to` (at most 120: more is the service's VALIDATION_FAILED), each an
  // evaluation of the person's rules that month.
  'Query.entitlements': { weight: 3, months: true },
  // Up to 500 cycles (schema/payments.graphql); 50 assumed.
  'Query.paymentCycles': { weight: 2, items: 50 },
  // A commune's payments for a month: a few hundred.
  'PaymentCycle.payments': { weight: 1, items: 200 },
  // An entity's whole audit trail, unpaged.
  'Query.auditTrail': { weight: 2, items: 50 },
};

/** The most months entitlements answers (benefits.service.ts); a longer range is refused there, not costed. */
const MAX_ENTITLEMENT_MONTHS = 120;

/** Months covered by `from`..`to` (yyyy-mm), at least 1; the Period scalar has already checked them. */
function monthsBetween(from: unknown, to: unknown): number {
  const month = (v: unknown) => {
    const m = /^(\d{4})-(\d{2})/.exec(typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : '');
    return m ? Number(m[1]) * 12 + Number(m[2]) : undefined;
  };
  const a = month(from);
  const b = month(to);
  return a === undefined || b === undefined ? 1 : Math.min(MAX_ENTITLEMENT_MONTHS, Math.max(1, b - a + 1));
}

const estimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (field.name.startsWith('__')) return 0; // introspection reads the schema in memory
  const named = graphql.getNamedType(field.type);
  const leaf = graphql.isLeafType(named);
  const heavy = HEAVY_FIELDS[`${type.name}.${field.name}`];
  const perItem = (heavy?.weight ?? (leaf ? 0 : 1)) + childComplexity;
  const given = typeof args.first === 'number' ? args.first : typeof args.limit === 'number' ? args.limit : undefined;
  // A `first` past the field's maximum is refused by the service with VALIDATION_FAILED naming it.
  const first = given === undefined ? undefined : Math.min(given, heavy?.maxFirst ?? given);
  if (heavy?.months) return monthsBetween(args.from, args.to) * perItem;
  if (first !== undefined) return Math.max(1, first) * perItem;
  const list = graphql.isListType(graphql.getNullableType(field.type));
  // The items of a page were counted by the page's `first`.
  if (!list || type.name.endsWith('Connection')) return perItem;
  return (heavy?.items ?? DEFAULT_LIST_SIZE) * perItem;
};

/** A document refused by a limit: answered by the request error handler (request-errors.ts). */
export class GraphqlLimitExceeded extends Error {
  readonly statusCode = 400;
  constructor(
    readonly code: 'QUERY_TOO_COSTLY' | 'QUERY_TOO_LARGE',
    message: string,
    readonly messageVi: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The deepest operation's depth in data fields, as depth-limit.ts counts it; each fragment measured once. */
function depthOf(document: DocumentNode): number {
  const fragments = new Map<string, SelectionSetNode>();
  for (const d of document.definitions) if (d.kind === graphql.Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d.selectionSet);
  const memo = new Map<string, number>();
  const depth = (set: SelectionSetNode | undefined, path: ReadonlySet<string>): number => {
    if (!set) return 0;
    let deepest = 0;
    for (const s of set.selections) {
      if (s.kind === graphql.Kind.FIELD) {
        if (!s.name.value.startsWith('__')) deepest = Math.max(deepest, 1 + depth(s.selectionSet, path));
      } else if (s.kind === graphql.Kind.INLINE_FRAGMENT) {
        deepest = Math.max(deepest, depth(s.selectionSet, path));
      } else {
        const name = s.name.value;
        if (path.has(name)) continue; // a cycle: the executor's error
        let d = memo.get(name);
        if (d === undefined) {
          d = depth(fragments.get(name), new Set([...path, name]));
          memo.set(name, d);
        }
        deepest = Math.max(deepest, d);
      }
    }
    return deepest;
  };
  let max = 0;
  for (const d of document.definitions) if (d.kind === graphql.Kind.OPERATION_DEFINITION) max = Math.max(max, depth(d.selectionSet, new Set()));
  return max;
}

/** Aliases in the document (every operation and fragment). */
function aliasCount(document: DocumentNode): number {
  let n = 0;
  graphql.visit(document, {
    Field(node) {
      if (node.alias) n += 1;
    },
  });
  return n;
}

/** The cost of the operation the request runs, or undefined when the document or variables are Mercurius' error. */
export function costOf(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName?: string): number | undefined {
  try {
    return getComplexity({ schema, query: document, variables, operationName, estimators: [estimator] });
  } catch (err) {
    // A fragment bomb: graphql-query-complexity stops counting at 10,000 nodes.
    if (err instanceof Error && err.message.includes('maximum allowed number of nodes')) return Number.POSITIVE_INFINITY;
    return undefined;
  }
}

function requestOf(request: FastifyRequest): { query: unknown; operationName: unknown; variables: unknown } | undefined {
  if (request.method === 'POST') {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const { query, operationName, variables } = body as Record<string, unknown>;
    return { query, operationName, variables };
  }
  if (request.method === 'GET') {
    const q = request.query as Record<string, unknown>;
    let variables: unknown;
    if (typeof q.variables === 'string') {
      try {
        variables = JSON.parse(q.variables);
      } catch {
        return undefined; // Mercurius refuses it
      }
    }
    return { query: q.query, operationName: q.operationName, variables };
  }
  return undefined;
}

/** The error Mercurius gives a document that does not validate, answered by request-errors.ts as a validation error. */
function syntaxErrorOf(error: Error): Error {
  return Object.assign(new Error('Graphql validation error'), { code: 'MER_ERR_GQL_VALIDATION', statusCode: 400, errors: [error] });
}

/** Checks every request to the GraphQL route against the limits; throws GraphqlLimitExceeded. */
export function checkQueryLimits(app: FastifyInstance, limits: QueryLimits, graphqlPath = '/graphql'): void {
  // Parsed documents (or the syntax error of one that does not parse), bounded: documents are client input.
  const parsed = new Lru<string, DocumentNode | Error>(500);
  function check(request: FastifyRequest): void {
    if (request.routeOptions.url !== graphqlPath || request.validationError) return;
    const given = requestOf(request);
    if (!given || typeof given.query !== 'string') return;
    const { query } = given;
    if (query.length > limits.maxDocumentChars) {
      throw new GraphqlLimitExceeded(
        'QUERY_TOO_LARGE',
        `The document is ${query.length} characters long; at most ${limits.maxDocumentChars} are allowed`,
        `Câu truy vấn dài ${query.length} ký tự, vượt quá giới hạn ${limits.maxDocumentChars} ký tự`,
        { limit: 'documentChars', actual: query.length, max: limits.maxDocumentChars },
      );
    }
    let document = parsed.get(query);
    if (document === undefined) {
      try {
        document = graphql.parse(query, { maxLexicalTokens: limits.maxTokens });
      } catch (err) {
        if (err instanceof Error && err.message.includes('tokens. Parsing aborted')) {
          throw new GraphqlLimitExceeded(
            'QUERY_TOO_LARGE',
            `The document has more than ${limits.maxTokens} tokens`,
            `Câu truy vấn có hơn ${limits.maxTokens} thành phần từ vựng (token), vượt quá giới hạn`,
            { limit: 'tokens', max: limits.maxTokens },
          );
        }
        document = err instanceof Error ? err : new Error(String(err));
      }
      parsed.set(query, document);
    }
    // A document that does not parse is refused here, with GraphQL's syntax error, as Mercurius would refuse
    // it: Mercurius itself retries such a text as a JSON-encoded AST and executes that, which would skip these
    // limits (and a JSON that is not an AST failed as an internal error). Found by test/document-fuzz.test.ts.
    if (document instanceof Error) throw syntaxErrorOf(document);
    const operationName = typeof given.operationName === 'string' ? given.operationName : undefined;
    // Mercurius reads the operation of a GET request to refuse mutations, and fails with an internal error when
    // the operationName matches none (found by test/document-fuzz.test.ts): the executor's message, here.
    if (request.method === 'GET' && !graphql.getOperationAST(document, operationName)) {
      throw syntaxErrorOf(
        new graphql.GraphQLError(
          operationName !== undefined
            ? `Unknown operation named "${operationName}".`
            : document.definitions.some((d) => d.kind === graphql.Kind.OPERATION_DEFINITION)
              ? 'Must provide operation name if query contains multiple operations.'
              : 'Must provide an operation.',
        ),
      );
    }
    const aliases = aliasCount(document);
    if (aliases > limits.maxAliases) {
      throw new GraphqlLimitExceeded(
        'QUERY_TOO_LARGE',
        `The document has ${aliases} aliases; at most ${limits.maxAliases} are allowed`,
        `Câu truy vấn dùng ${aliases} bí danh (alias), vượt quá giới hạn ${limits.maxAliases}`,
        { limit: 'aliases', actual: aliases, max: limits.maxAliases },
      );
    }
    const variables = typeof given.variables === 'object' && given.variables !== null ? (given.variables as Record<string, unknown>) : {};
    const cost = costOf(app.graphql.schema, document, variables, operationName);
    // A document too deep is the depth rule's error (depth-limit.ts), which names the depth; the executor
    // reports it. (Not a fragment bomb: counting stopped at 10,000 nodes, so the depth rule's walk is bounded.)
    if (cost !== undefined && Number.isFinite(cost) && depthOf(document) > MAX_QUERY_DEPTH) return;
    if (cost !== undefined && cost > limits.maxCost) {
      const shown = Number.isFinite(cost) ? cost : null;
      throw new GraphqlLimitExceeded(
        'QUERY_TOO_COSTLY',
        `The query would cost ${shown ?? 'more than can be counted'}; at most ${limits.maxCost} is allowed. Ask for fewer items (first), fewer aliases or fewer nested lists`,
        `Câu truy vấn có chi phí ${shown ?? 'quá lớn'}, vượt quá giới hạn ${limits.maxCost}; hãy yêu cầu ít mục hơn (first), ít bí danh hoặc ít danh sách lồng nhau hơn`,
        { cost: shown, maxCost: limits.maxCost },
      );
    }
  }
  app.addHook('preHandler', (request, _reply, done) => {
    try {
      check(request);
    } catch (err) {
      done(err as GraphqlLimitExceeded);
      return;
    }
    done();
  });
}
