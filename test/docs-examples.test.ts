/**
 * The docs run: every ```graphql example in README.md and docs/*.md (with the ```json block right after
 * it as its variables, when there is one) is run against the demo population a first start seeds
 * (36,000 people, deterministic: the ids in the README are real), and must answer without errors and
 * with something in it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_AS_OF, seedDemoPopulation } from '../seeds/demo.js';
import { seedDemoFindings } from '../seeds/findings.js';
import { seedDemoPayments } from '../seeds/payments.js';
import { createDomainServices } from '../src/app.js';
import { systemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { startTestApp, type TestApp } from './support/app.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const FILES = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

interface Example {
  file: string;
  line: number;
  query: string;
  variables: Record<string, unknown> | undefined;
}

function examplesOf(file: string): Example[] {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const out: Example[] = [];
  const block = /```graphql\n([\s\S]*?)```(?:\s*```json\n([\s\S]*?)```)?/g;
  for (const m of text.matchAll(block)) {
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ file, line, query: m[1] ?? '', variables: m[2] ? (JSON.parse(m[2]) as Record<string, unknown>) : undefined });
  }
  return out;
}

/** Something in it: no root field null or an empty list, and a page has people on it. */
function emptyRoots(data: Record<string, unknown>): string[] {
  return Object.entries(data)
    .filter(([, v]) => {
      if (v === null || (Array.isArray(v) && v.length === 0)) return true;
      const nodes = typeof v === 'object' ? (v as { nodes?: unknown }).nodes : undefined;
      return Array.isArray(nodes) && nodes.length === 0;
    })
    .map(([k]) => k);
}

const examples = FILES.flatMap(examplesOf);

describe('the GraphQL examples of the docs run on the demo data', () => {
  let t: TestApp;
  beforeAll(async () => {
    const people = loadConfig({}).demoPeople;
    t = await startTestApp({
      seed: async (db) => {
        await seedDemoPopulation(db.database, { people, asOf: DEFAULT_AS_OF });
        // A short payment history with the planted findings, for the auditFindings examples (three months: what they ask).
        const services = await createDomainServices({ database: db.database, clock: systemClock });
        await seedDemoPayments(db.database, services.payments, { asOf: DEFAULT_AS_OF, months: 3 });
        await seedDemoFindings(db.database, services, { asOf: DEFAULT_AS_OF });
      },
    });
  }, 300_000);
  afterAll(async () => {
    await t.close();
  });

  it('finds the examples (README has at least six)', () => {
    expect(examples.filter((e) => e.file === 'README.md').length).toBeGreaterThanOrEqual(6);
  });

  it.each(examples.map((e) => [`${e.file}:${e.line}`, e] as const))('%s answers with data and no errors', async (_where, e) => {
    const r = await t.gql(e.query, e.variables);
    expect(r.body.errors, JSON.stringify(r.body.errors)).toBeUndefined();
    expect(r.status).toBe(200);
    expect(emptyRoots(r.body.data as Record<string, unknown>)).toEqual([]);
  });
});
