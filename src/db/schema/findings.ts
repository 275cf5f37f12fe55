/**
 * Reviews of audit findings (docs/payments.md#audit-findings). Findings themselves are computed on demand from the
 * payments, enrolments and registry, never stored: a review is keyed by the finding's stable key (its kind, the
 * commune it belongs to and its evidence ids and month), so it still applies when the finding is computed again.
 */
import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { FINDING_KINDS } from '../../core/code-lists.js';
import { adminUnits } from './registry.js';

export const auditFindingReviews = pgTable(
  'audit_finding_reviews',
  {
    findingKey: text('finding_key').primaryKey(),
    kind: text('kind', { enum: FINDING_KINDS }).notNull(),
    communeCode: text('commune_code')
      .notNull()
      .references(() => adminUnits.code),
    note: text('note').notNull(),
    reviewedBy: text('reviewed_by').notNull(),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('audit_finding_reviews_commune_idx').on(t.communeCode, t.kind)],
);
