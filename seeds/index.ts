/** Seeding entry points: reference data every installation needs (src/reference/), then the generated demo population. */
import type { Database } from '../src/db/client.js';
import { seedDemoPopulation, type DemoResult } from './demo.js';
import { seedReferenceData } from '../src/reference/reference.js';

export { seedReferenceData } from '../src/reference/reference.js';
export { seedDemoPopulation, DEFAULT_AS_OF, DEFAULT_SEED, type DemoOptions, type DemoResult } from './demo.js';

export interface SeedAllOptions {
  /** Size of the demo population; 0 seeds reference data only. */
  people: number;
  seed?: number;
  asOf?: string;
  /** From how many people a real server bulk-loads (seeds/demo.ts DemoOptions). */
  bulkLoadFrom?: number;
}

/** Reference data, then the demo population; both idempotent, so safe on every start. */
export async function seedAll(database: Database, options: SeedAllOptions): Promise<DemoResult> {
  await seedReferenceData(database.db);
  if (options.people <= 0) return { people: 0, households: 0, ms: 0, skipped: true };
  return seedDemoPopulation(database, options);
}

/** What the server does at start-up (src/server.ts): reference data always, the demo population when asked. */
export async function seedOnStart(database: Database, opts: { demo: boolean; people: number }) {
  await seedReferenceData(database.db);
  if (!opts.demo) return { demo: false };
  const result = await seedDemoPopulation(database, { people: opts.people });
  return { demo: true, ...result };
}
