// `npm run db:migrate`: apply pending migrations to the configured database and exit.
import { loadConfig } from '../config.js';
import { openDatabase } from './client.js';
import { runMigrations } from './migrate.js';

const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
const started = Date.now();
await runMigrations(database);
await database.close();
console.log(`migrations applied to ${database.kind} in ${Date.now() - started} ms`);
