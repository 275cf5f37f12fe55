/**
 * Process entry: configuration, database (migrated, and seeded), the app, listen, and a graceful shutdown
 * on SIGINT/SIGTERM. The one file of src/ that may import the demo generator (seeds/).
 */
import closeWithGrace from 'close-with-grace';
import pino from 'pino';
import { DEFAULT_AS_OF, seedDemoPopulation } from '../seeds/demo.js';
import { seedDemoFindings } from '../seeds/findings.js';
import { seedDemoPayments } from '../seeds/payments.js';
import { buildApp, createDomainServices } from './app.js';
import { systemClock } from './clock.js';
import { ConfigError, DEVELOPMENT_JWT_SECRET, loadConfig, type Config } from './config.js';
import { openDatabase } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { loggerOptions } from './logging.js';
import { describeStartupFailure } from './ops/startup.js';
import { seedReferenceData } from './reference/reference.js';

const startedAt = performance.now();
let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

const log = pino(loggerOptions(config.logLevel));

async function start(config: Config) {
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
    acquireTimeoutMs: config.databaseAcquireTimeoutMs,
    // A dropped idle connection (PostgreSQL restart, failover, idle timeout) is replaced on next use.
    onPoolError: (err) => {
      log.warn({ code: (err as { code?: unknown }).code, reason: err.message }, 'database connection lost; it will be reopened');
    },
  });
  try {
    await runMigrations(database);
    // Reference data (places, programs and rules, base levels, poverty standards) is part of the product:
    // applied on every start (idempotent, a few ms). The demo population only when the configuration asks
    // for it (by default on the embedded database), and only once: it records its own seed run.
    await seedReferenceData(database.db);
    const seeded = config.seedDemo ? { demo: true, ...(await seedDemoPopulation(database, { people: config.demoPeople })) } : { demo: false };
    // The demo's payment history, paid through the payments use cases themselves (once; seeds/payments.ts), then a
    // handful of each audit finding planted on it (once; seeds/findings.ts).
    const services = config.seedDemo && config.demoPaymentMonths > 0 ? await createDomainServices({ database, clock: systemClock }) : undefined;
    const payments = services ? await seedDemoPayments(database, services.payments, { asOf: DEFAULT_AS_OF, months: config.demoPaymentMonths }) : undefined;
    const planted = services ? await seedDemoFindings(database, services, { asOf: DEFAULT_AS_OF }) : undefined;
    // Counts in the start-up line; the people themselves are in seed_runs 'demo-findings'.
    const findings = planted && { ...planted, planted: Object.fromEntries(Object.entries(planted.planted).map(([kind, ids]) => [kind, ids.length])) };
    const app = await buildApp({ config, database, logger: log, metricsToken: config.metricsToken });
    const address = await app.listen({ port: config.port, host: config.host });
    return { database, app, address, seeded: { ...seeded, payments, findings } };
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
}

let started;
try {
  started = await start(config);
} catch (err) {
  // One line naming the cause (a port in use, an unreachable database), not a stack.
  console.error(`An Sinh could not start: ${describeStartupFailure(err, config)}`);
  process.exit(1);
}
const { database, app, address, seeded } = started;
const startupMs = Math.round(performance.now() - startedAt);
log.info({ database: database.kind, startupMs, seeded }, `An Sinh listening on ${address}`);

if (config.env === 'development' && config.jwt.secret === DEVELOPMENT_JWT_SECRET) {
  // Convenience for a newcomer: where to click, and a token to paste (GraphiQL can also mint one).
  const token = await createAuthService(config.jwt).issueToken({ sub: 'dev-district-officer', role: 'district_officer' });
  console.log(`\nGraphiQL: ${address}/graphiql\nDevelopment token (district_officer, 12h):\n  Authorization: Bearer ${token}\n`);
}

// SIGTERM/SIGINT: stop accepting connections, let in-flight requests finish (at most 10 s), then close
// the database. An uncaught error closes the same way and exits 1.
const closeLog = {
  error: (m: unknown) => {
    log.error(m);
  },
};
closeWithGrace({ delay: 10_000, logger: closeLog }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'closing after an unexpected error');
  else log.info({ signal }, 'shutting down');
  await app.close();
  log.info('requests drained; closing the database');
  await database.close();
});
