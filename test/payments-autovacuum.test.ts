/**
 * Migration 0022: payment lines are vacuumed and analysed after 2 % of them changed, on both databases (the embedded
 * one keeps the settings too, though it has no autovacuum worker to act on them).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from './support/database.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase();
});
afterAll(() => t.dispose());

it('sets the payments table to be vacuumed and analysed after 2 % of its rows changed', async () => {
  const r = await t.database.db.execute<{ options: string[] | null }>(sql`SELECT reloptions AS options FROM pg_class WHERE oid = 'payments'::regclass`);
  expect([...(r.rows[0]?.options ?? [])].sort()).toEqual(['autovacuum_analyze_scale_factor=0.02', 'autovacuum_vacuum_scale_factor=0.02']);
});
