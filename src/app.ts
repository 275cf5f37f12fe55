/**
 * buildApp: the one composition root. It wires the database, the feature services and the HTTP layer
 * (health routes, authentication, GraphQL). Everything a module needs is passed to it here.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import mercurius from 'mercurius';
import { systemClock, type Clock } from './clock.js';
import { DEFAULT_DCI_SENDER_ID, DEFAULT_QUERY_LIMITS, type Config, type DispatchSettings, type OverloadConfig } from './config.js';
import type { Database } from './db/client.js';
import { databaseFault } from './db/faults.js';
import { errorBody } from './http/error-body.js';
import { requestScoped } from './db/row-security.js';
import { runRequestsUnderRowSecurity } from './http/row-security.js';
import { DomainError } from './errors.js';
import { safeError } from './safe-error.js';
import './graphql/context.js';
import type { RequestContext } from './graphql/context.js';
import { compiledReads } from './graphql/compiled/hook.js';
import { depthLimit, MAX_QUERY_DEPTH } from './graphql/depth-limit.js';
import { createErrorFormatter } from './graphql/errors.js';
import type { Loaders, Resolvers } from './graphql/generated.js';
import { checkOperationInputs } from './graphql/input-check.js';
import { answerInRequestedMediaType } from './graphql/media-type.js';
import { graphqlRequestErrorHandler } from './graphql/request-errors.js';
import { checkGraphqlRequestShape } from './graphql/request-shape.js';
import { persistedQueries } from './graphql/persisted-queries.js';
import { checkQueryLimits } from './graphql/query-limits.js';
import { limitRequestRates, registerOverloadAndCors } from './http/hardening.js';
import { closeConnectionsWhenClosing } from './http/drain.js';
import { registerGraphiql } from './http/graphiql.js';
import { registerPaymentFiles } from './http/payment-files.js';
import { registerExports } from './http/exports.js';
import { registerPaymentExports } from './http/payment-exports.js';
import { DOCS_PREFIX, registerDocsPage, registerOpenApi } from './http/openapi.js';
import { principalOf } from './http/principal.js';
import { PUBLIC_ROUTES, registerPublicRoutes } from './http/public-routes.js';
import { registerMetrics } from './ops/metrics.js';
import { scalarResolvers } from './graphql/scalars.js';
import { loadSchemaText } from './graphql/schema.js';
import { auditResolvers } from './modules/audit/audit.resolvers.js';
import { createAccessLogService } from './modules/audit/access-log.service.js';
import { ReadLedger } from './modules/auth/read-ledger.js';
import { enforceFieldPolicy, enforceHivPrograms } from './graphql/field-policy.js';
import { REFERENCE_TYPES } from './modules/auth/access-policy.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { changesResolvers } from './modules/changes/changes.resolvers.js';
import { createChangesService } from './modules/changes/changes.service.js';
import { createPlacesService } from './modules/places/places.service.js';
import { placesResolvers } from './modules/places/places.resolvers.js';
import { registryCompiledRoots } from './modules/registry/registry.compiled.js';
import { answerPrefetchedFirst } from './modules/registry/registry.prefetch.js';
import { registryLoaders, registryResolvers } from './modules/registry/registry.resolvers.js';
import { createRegistryService } from './modules/registry/registry.service.js';
import { residenceLoaders, residenceResolvers } from './modules/registry/residence.resolvers.js';
import { createPaymentsService } from './modules/payments/payments.service.js';
import { createExchangeService } from './modules/payments/exchange.service.js';
import { paymentsResolvers } from './modules/payments/payments.resolvers.js';
import { createFindingsService } from './modules/payments/findings.service.js';
import { findingsResolvers } from './modules/payments/findings.resolvers.js';
import { registerAuditExports } from './http/audit-exports.js';
import { DCI_JWKS_PATH, DCI_PREFIX, registerDciRoutes } from './http/dci-routes.js';
import { dciNotifySink } from './modules/dci/dci.notify.js';
import { createDciService } from './modules/dci/dci.service.js';
import { createDciSigner } from './modules/dci/dci.signing.js';
import { dciResolvers } from './modules/dci/dci.resolvers.js';
import { createResidenceService } from './modules/registry/residence.service.js';
import { benefitsLoaders, benefitsResolvers } from './modules/benefits/benefits.resolvers.js';
import { createBenefitsService } from './modules/benefits/benefits.service.js';
import { rulesLoaders, rulesResolvers } from './modules/rules/rules.resolvers.js';
import { createRulesService } from './modules/rules/rules.service.js';
import type { Services } from './services.js';

export type { Services } from './services.js';

export interface AppDeps {
  config: Pick<Config, 'jwt' | 'graphiql' | 'env'> &
    Partial<
      Pick<
        Config,
        'graphqlCompiledReads' | 'rowSecurity' | 'graphqlLimits' | 'graphqlPersistedOnlyRoles' | 'rateLimit' | 'corsOrigins' | 'requestTimeoutMs' | 'dci'
      >
    > & {
      /** The change-event dispatcher; without it (tests, the bench) the loop does not run (runOnce still works). */
      changes?: Partial<DispatchSettings>;
      /** Overload thresholds; `sampleIntervalMs` (default 1 s) lets a test see a tiny threshold crossed quickly. */
      overload?: OverloadConfig & { sampleIntervalMs?: number };
    };
  database: Database;
  clock?: Clock;
  /** Serve Prometheus metrics at /metrics to callers presenting this token (src/ops/metrics.ts). */
  metricsToken?: string | undefined;
  /** A pino logger (see src/logging.ts); silent when absent. */
  logger?: FastifyBaseLogger;
}

/** Merges resolver (or loader) maps type by type: each feature owns its own fields of a type. */
function mergeResolvers<M extends object>(merged: M, ...maps: M[]): M {
  for (const m of maps) for (const type in m) merged[type] = { ...merged[type], ...m[type] };
  return merged;
}

/** Overload checks all off (0). */
const NO_SHEDDING: OverloadConfig = { maxEventLoopDelayMs: 0, maxEventLoopUtilization: 0, maxHeapUsedBytes: 0 };

/** The channel on which the database announces changes to cached reference data (migration 0004). */
export const REFERENCE_CHANNEL = 'an_sinh_reference_changed';

/** A URL without its query string. */
const pathOf = (url: string) => url.split('?', 1)[0] ?? url;

/** Paths open without a token. */
// /metrics checks its own token (METRICS_TOKEN), not a user's JWT.
// The DCI API's routes authenticate partners by message signatures, not tokens (src/http/dci-routes.ts).
const PUBLIC_PATHS = new Set<string>(['/healthz', '/readyz', '/metrics', DCI_JWKS_PATH, ...PUBLIC_ROUTES]);

/**
 * The domain services, wired once: modules reach each other only through the services built here. buildApp serves
 * them over HTTP; server.ts also hands them to the demo seed (seeds/payments.ts), which pays its history through the
 * same use cases an officer would.
 */
export async function createDomainServices(deps: {
  database: Database;
  clock: Clock;
  changes?: Partial<DispatchSettings>;
  /** Where long jobs (a month's payment cycles) say what they did and how long it took. */
  logger?: FastifyBaseLogger;
}): Promise<Omit<Services, 'auth' | 'dci'>> {
  const { database, clock } = deps;
  const places = createPlacesService(database);
  await places.reload();
  // A death ends the person's enrolments from the next month, in recordDeath's own transaction. The
  // benefits service is built after the registry it depends on (below): the hooks reach it only when a
  // mutation calls them, long after this function has returned.
  const registry = createRegistryService({
    database,
    places,
    clock,
    onDeath: (tx, personId, dateOfDeath) => benefits.endEnrolmentsAfterDeath(tx, personId, dateOfDeath),
    // A corrected death re-opens what it closed, in correctDeath's own transaction.
    onDeathCorrected: (tx, personId, dateOfDeath, reason) => benefits.reopenAfterDeathCorrection(tx, personId, dateOfDeath, reason),
  });
  // A move out of the district ends the person's enrolments with the month of the move, in movePerson's own
  // transaction (Decree 20/2021 art. 8.4); like the death hooks, it reaches the benefits service built below.
  const residence = createResidenceService({
    database,
    places,
    clock,
    onTransferOut: (tx, personId, movedOn, destination) => benefits.endEnrolmentsOnTransferOut(tx, personId, movedOn, destination),
  });
  const rules = createRulesService({ database, clock, places, registry });
  const benefits = createBenefitsService({ database, clock, places, registry, rules });
  const payments = createPaymentsService({ database, clock, places, registry, benefits, logger: deps.logger });
  const exchange = createExchangeService({ database, clock, payments });
  const findings = createFindingsService({ database, clock, places, registry, benefits });
  const changes = createChangesService({ database, clock, places, settings: deps.changes });
  return {
    clock,
    audit: createAuditService(database),
    accessLog: createAccessLogService(database),
    places,
    registry,
    residence,
    rules,
    benefits,
    payments,
    exchange,
    findings,
    changes,
  };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  // Row-level security (DB_ROW_SECURITY, src/db/row-security.ts): the services get a handle that is the request's
  // transaction, as the request role, inside a request; without it (tests, the bench) they use the owner's handle.
  const rowSecurity = config.rowSecurity ?? false;
  const database = rowSecurity ? requestScoped(deps.database) : deps.database;
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    loggerInstance: deps.logger,
    // One line per request, written below when the response is sent (Fastify's default is two).
    logController: new LogController({ disableRequestLogging: true }),
    // Every log line of a request carries its id; a caller's X-Request-Id is kept when it looks sane.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    bodyLimit: 1_048_576,
    // A client that trickles its request (slowloris) holds a socket at most this long; Fastify's default is none.
    requestTimeout: config.requestTimeoutMs ?? 30_000,
  });

  // Dispatch is off unless configured (server.ts passes CHANGES_*): a background loop would disturb tests that count statements.
  const changeSettings = { ...config.changes, dispatch: config.changes?.dispatch ?? false };
  const domain = await createDomainServices({ database, clock, changes: changeSettings, logger: app.log });
  // The DCI API signs with An Sinh's key (DCI_SIGNING_KEY; generated at start-up outside production).
  const dci = createDciService({
    database,
    clock,
    registry: domain.registry,
    places: domain.places,
    signer: await createDciSigner(config.dci?.signingKey),
    accessLog: domain.accessLog,
    senderId: config.dci?.senderId ?? DEFAULT_DCI_SENDER_ID,
    log: {
      warn: (obj, msg) => {
        app.log.warn(obj, msg);
      },
    },
  });
  const services: Services = { ...domain, auth: createAuthService(config.jwt), dci };
  // DCI subscribers hear of changes through the change-event dispatcher (docs/integration.md).
  services.changes.registerSink(dciNotifySink(dci));
  const { places, registry } = services;
  // Instances share one database but cache its reference data: a trigger NOTIFYs every change to it
  // (migration 0004), and each instance reloads places and forgets the poverty standards it read.
  const stopListening = await database.listen(REFERENCE_CHANNEL, () => {
    registry.forgetPovertyStandards();
    places.reloadAfterChange((err) => {
      app.log.warn({ code: (err as { code?: unknown }).code }, 'reloading reference data failed');
    });
  });
  app.addHook('onClose', stopListening);
  // The change-event dispatcher runs while the app does: started once ready (sinks registered by then), stopped
  // on close before the database is closed; a delivery in flight is abandoned and sent again later.
  if (changeSettings.dispatch) {
    app.addHook('onReady', (done) => {
      services.changes.dispatcher.start(app.log);
      done();
    });
  }
  app.addHook('onClose', () => services.changes.dispatcher.stop());
  // The CLIs (payments.cli.ts) use the services as wired here.
  app.decorate('services', services);

  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  // The request's reads of sensitive field groups, one access event per request, written before the answer
  // leaves: if the log cannot be written, the data is not sent either (docs/security.md "Logged reads").
  app.addHook('onSend', async (request) => {
    if (request.reads && !request.reads.empty && request.principal) await services.accessLog.record(request.principal, request.id, request.reads);
  });
  closeConnectionsWhenClosing(app);
  // Shedding, CORS and security headers come before authentication (src/http/hardening.ts). The server passes
  // its configuration (defaults in config.ts); an app built without one (tests, the bench) neither sheds nor
  // rate-limits, since an embedded database working on the event loop looks like overload.
  await registerOverloadAndCors(app, { overload: config.overload ?? NO_SHEDDING, corsOrigins: config.corsOrigins ?? [] });
  if (deps.metricsToken) registerMetrics(app, { token: deps.metricsToken, pool: database.pool });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        // The path only: query strings (GET /graphql?query=…) can carry personal data.
        path: pathOf(request.url),
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        sub: request.principal?.subject,
        role: request.principal?.role,
      },
      'request',
    );
  });

  // REST errors: domain errors keep their code; anything else is logged and answered without detail.
  const HTTP_STATUS: Record<string, number> = {
    UNAUTHENTICATED: 401,
    FORBIDDEN: 403,
    NOT_FOUND: 404,
    VALIDATION_FAILED: 400,
    CONFLICT: 409,
    RATE_LIMITED: 429,
    TIMEOUT: 503,
    DATABASE_UNAVAILABLE: 503,
    OVERLOADED: 503,
    CURSOR_EXPIRED: 410,
    INTERNAL: 500,
  };
  app.setErrorHandler((thrown, request, reply) => {
    const err = databaseFault(thrown) ?? thrown;
    if (err instanceof DomainError) {
      if (typeof err.details.retryAfterSeconds === 'number') void reply.header('retry-after', err.details.retryAfterSeconds);
      return reply.code(HTTP_STATUS[err.code] ?? 500).send(errorBody(request, err.code, err.text.en, err.text.vi, err.details));
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status < 500) {
      request.log.info({ code: (err as { code?: unknown }).code, status }, 'bad request');
      return reply.code(status).send(errorBody(request, 'VALIDATION_FAILED', (err as Error).message, 'Yêu cầu không hợp lệ'));
    }
    request.log.error({ err: safeError(err) }, 'unhandled error');
    return reply.code(500).send(errorBody(request, 'INTERNAL', 'Internal error', 'Lỗi hệ thống'));
  });

  // The OpenAPI document collects the REST routes as they are declared below (src/http/openapi.ts).
  await registerOpenApi(app);
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await database.db.execute(sql`SELECT 1`);
      return { status: 'ready', database: database.kind };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });

  // Authentication for everything but the health routes (and GraphiQL's static page, which holds no data).
  app.addHook('onRequest', async (request, reply) => {
    const path = pathOf(request.url);
    // /docs: the REST document and its page, the contract without data (like /graphql/schema.graphql). /dci/registry/:
    // partner systems authenticate by their messages' signatures (docs/integration.md).
    if (PUBLIC_PATHS.has(path) || path.startsWith('/graphiql') || path.startsWith(DCI_PREFIX) || path === DOCS_PREFIX || path.startsWith(`${DOCS_PREFIX}/`))
      return;
    try {
      request.principal = await services.auth.authenticate(request.headers.authorization);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return reply.code(401).send({
        errors: [{ message: err.text.en, extensions: { code: err.code, messageVi: err.text.vi } }],
      });
    }
  });

  // Per client, so after authentication has named the client.
  await limitRequestRates(app, config.rateLimit ?? { max: 0, windowMs: 60_000 });

  checkGraphqlRequestShape(app);
  answerInRequestedMediaType(app);
  // A hash becomes its stored document, and allow-list-only roles are held to it, before anything reads the
  // document (src/graphql/persisted-queries.ts). An app built without a configuration (the tests) restricts nobody.
  persistedQueries(app, { onlyPersistedRoles: config.graphqlPersistedOnlyRoles ?? [] });
  // Size, tokens, aliases and cost, before the compiled reads and the executor see the document.
  checkQueryLimits(app, config.graphqlLimits ?? DEFAULT_QUERY_LIMITS);
  // From here on an authenticated request reads and writes as the request role, in one transaction (before the first
  // hook that reads the database: the compiled reads).
  if (rowSecurity) runRequestsUnderRowSecurity(app, { db: deps.database.db, communesOn: places.communesOn });
  // Whole registry reads answered by one compiled statement, in front of the executor (graphql/compiled/hook.ts).
  if (config.graphqlCompiledReads ?? true) {
    app.addHook(
      'preHandler',
      compiledReads({
        schema: () => app.graphql.schema,
        roots: registryCompiledRoots({ db: database.db, places, clock }),
        // The executor's depth limit (validationRules below): deeper documents are its error.
        maxDepth: MAX_QUERY_DEPTH,
        path: '/graphql',
        markResponses: config.env === 'test',
      }),
    );
  }
  // "Did you mean …?" would read the schema out name by name: production answers without it.
  const suggestions = config.env !== 'production';
  const formatError = createErrorFormatter(app, { suggestions });
  await app.register(mercurius, {
    schema: loadSchemaText(),
    resolvers: mergeResolvers<Resolvers>(
      {},
      scalarResolvers,
      { Query: { ping: () => 'pong' } },
      placesResolvers,
      registryResolvers,
      residenceResolvers,
      auditResolvers,
      rulesResolvers,
      benefitsResolvers,
      paymentsResolvers,
      findingsResolvers,
      dciResolvers,
      changesResolvers,
    ),
    loaders: mergeResolvers<Loaders>({}, registryLoaders, residenceLoaders, rulesLoaders, benefitsLoaders),
    context: (request): RequestContext => ({ principal: principalOf(request), requestId: request.id, services, reads: (request.reads ??= new ReadLedger()) }),
    // GraphiQL is served from npm packages by src/http/graphiql.ts (Mercurius' page loads a CDN).
    graphiql: false,
    jit: 1,
    // One operation per request: a batch would multiply every limit (cost, aliases, rate) by its length.
    allowBatchedQueries: false,
    // Depth is limited by our own rule, which leaves introspection out (src/graphql/depth-limit.ts).
    validationRules: [depthLimit(MAX_QUERY_DEPTH)],
    errorFormatter: formatError,
    // Request errors (bad body, parse, validation) are the client's: 4xx, bilingual, logged at info.
    errorHandler: graphqlRequestErrorHandler(formatError, { suggestions }),
  });
  // Every text input of an operation is normalised and checked before anything runs (graphql/input-check.ts).
  app.graphql.addHook('preExecution', (schema, document, _context, variables) => checkOperationInputs(schema, document, variables));
  registerAuditExports(app, services);
  registerPublicRoutes(app, { graphiql: config.graphiql });
  registerPaymentFiles(app, { exchange: services.exchange });
  registerDciRoutes(app, dci);
  registerExports(app, services);
  registerPaymentExports(app, services);
  await registerDocsPage(app);
  if (config.graphiql) registerGraphiql(app, config);
  // Registry fields that the hot root fields prefetch answer without their loaders (registry.prefetch.ts).
  answerPrefetchedFirst(app.graphql.schema);
  // The access policy's field groups on every person-bearing field, and the withheld ones stated in the answer.
  enforceFieldPolicy(app.graphql.schema);
  enforceHivPrograms(app.graphql.schema, REFERENCE_TYPES);
  app.graphql.addHook('onResolution', (execution, context) => {
    if (context.reads.withheld.length > 0) execution.extensions = { ...execution.extensions, withheld: context.reads.withheld };
    return Promise.resolve();
  });

  return app;
}
