/**
 * Seeding at start-up: reference data (places, poverty standards, …) is needed by the service itself and
 * is applied on every start (idempotent, a few ms); the demo population only when asked (by default on
 * the embedded database) and only once, so a restart never seeds twice.
 */
import { seedDemoPopulation } from '../../seeds/demo.js';
import { seedReferenceData } from '../../seeds/reference.js';
import type { Database } from './client.js';

export async function seedOnStart(database: Database, opts: { demo: boolean; people: number }) {
  await seedReferenceData(database.db);
  if (!opts.demo) return { demo: false };
  const result = await seedDemoPopulation(database, { people: opts.people });
  return { demo: true, ...result };
}
