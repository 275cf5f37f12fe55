/**
 * Process entry: configuration, database (migrated, and seeded), the app, listen, and a graceful shutdown
 * on SIGINT/SIGTERM. The one file of src/ that may import the demo generator (seeds/).
 */
import pino from 'pino';
import { seedDemoPopulation } from '../seeds/demo.js';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { loggerOptions } from './logging.js';
import { seedReferenceData } from './reference/reference.js';

const startedAt = performance.now();
let config;
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
const database = await openDatabase({
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  poolSize: config.databasePoolSize,
  statementTimeoutMs: config.databaseStatementTimeoutMs,
  onIdleConnectionError: (err) => {
    log.warn({ code: err.code }, 'the database closed an idle connection; the pool replaces it');
  },
});
await runMigrations(database);
// Reference data (places, programs and rules, base levels, poverty standards) is part of the product:
// applied on every start (idempotent, a few ms). The demo population only when the configuration asks
// for it (by default on the embedded database), and only once: it records its own seed run.
await seedReferenceData(database.db);
const seeded = config.seedDemo ? { demo: true, ...(await seedDemoPopulation(database, { people: config.demoPeople })) } : { demo: false };
const app = await buildApp({ config, database, logger: log });

const address = await app.listen({ port: config.port, host: config.host });
const startupMs = Math.round(performance.now() - startedAt);
log.info({ database: database.kind, startupMs, seeded }, `An Sinh listening on ${address}`);

if (database.kind === 'pglite' && config.jwt.secret) {
  // Convenience for a newcomer on the embedded database: where to click, and a token to paste.
  const token = await createAuthService(config.jwt).issueToken({ sub: 'dev-district-officer', role: 'district_officer' });
  console.log(`\nGraphiQL: ${address}/graphiql\nDevelopment token (district_officer, 12h):\n  Authorization: Bearer ${token}\n`);
}

let closing = false;
async function shutDown(signal: NodeJS.Signals) {
  if (closing) return;
  closing = true;
  log.info({ signal }, 'shutting down');
  await app.close();
  await database.close();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // A failed close is an unhandled rejection, as before: Node prints it and exits with an error code.
  process.on(signal, (s) => {
    void shutDown(s);
  });
}
