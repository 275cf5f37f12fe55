/**
 * `column = ANY($1::uuid[])`: a list of ids as one parameter. drizzle's inArray sends one parameter per id; for the
 * thousands of people a payment cycle or a facts load reads at once, building, sending and planning that many
 * parameters cost more than the query (bench/payments.ts: drizzle's parameter building was the top CPU item).
 */
import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';

export const idIn = (column: AnyPgColumn | SQL, ids: readonly string[]): SQL => sql`${column} = ANY(${sql.param([...ids])}::uuid[])`;
