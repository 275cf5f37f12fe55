/**
 * The DCI Social Registry API (docs/integration.md, "DCI Social Registry API"): the partner systems allowed to
 * call it, the transactions they started (async search, subscribe, unsubscribe: what `txn/status` answers), and
 * their event subscriptions. Partners are registered by an administrator (audited GraphQL mutation).
 */
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** A partner system: its DCI sender id, its public keys (JWKS), where it may be called back, and what it may do. */
export const dciPartners = pgTable(
  'dci_partners',
  {
    /** The `sender_id` the partner puts in every message header. */
    senderId: text('sender_id').primaryKey(),
    name: text('name').notNull(),
    /** Its public signing keys as a JWK Set ({ keys: [...] }); requests must be signed with one of them. */
    jwks: jsonb('jwks').notNull(),
    /** The only URIs An Sinh ever calls back for this partner (exact match). */
    callbackUris: text('callback_uris').array().notNull(),
    /** What the partner may search, subscribe to and see (docs/integration.md lists them). */
    scopes: text('scopes').array().notNull(),
    /** Requests per minute; beyond it the partner gets err.request.too_many_requests. */
    rateLimitPerMinute: integer('rate_limit_per_minute').notNull(),
    active: text('active', { enum: ['ACTIVE', 'SUSPENDED'] })
      .notNull()
      .default('ACTIVE'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('dci_partners_rate_limit_ck', sql`${t.rateLimitPerMinute} > 0`)],
);

/**
 * A transaction a partner started. `correlation_id` is ours, `transaction_id` the partner's. Only statuses are
 * kept, never the records sent: txn/status tells where a search stands, it does not serve personal data again.
 */
export const dciTransactions = pgTable(
  'dci_transactions',
  {
    correlationId: uuid('correlation_id').primaryKey().defaultRandom(),
    senderId: text('sender_id')
      .notNull()
      .references(() => dciPartners.senderId),
    transactionId: text('transaction_id').notNull(),
    action: text('action', { enum: ['search', 'subscribe', 'unsubscribe'] }).notNull(),
    status: text('status', { enum: ['rcvd', 'pdng', 'succ', 'rjct'] }).notNull(),
    /** Per reference_id of the batch: its status, reason code and, for searches, how many records matched. */
    items: jsonb('items')
      .notNull()
      .default(sql`'[]'::jsonb`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('dci_transactions_sender_txn_idx').on(t.senderId, t.transactionId)],
);

/** A partner's subscription to registry events; `code` is the DCI subscription code. */
export const dciSubscriptions = pgTable(
  'dci_subscriptions',
  {
    code: uuid('code').primaryKey().defaultRandom(),
    senderId: text('sender_id')
      .notNull()
      .references(() => dciPartners.senderId),
    /** The DCI reg_event_type subscribed to (REGISTER, DEATH, …; src/modules/dci/dci.events.ts). */
    eventType: text('event_type').notNull(),
    /** Communes whose events are wanted; empty: the whole district. */
    communeCodes: text('commune_codes').array().notNull(),
    /** Where notify is POSTed: the subscribe request's sender_uri, which had to be on the partner's list. */
    notifyUri: text('notify_uri').notNull(),
    status: text('status', { enum: ['subscribe', 'unsubscribe'] })
      .notNull()
      .default('subscribe'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [index('dci_subscriptions_event_idx').on(t.eventType, t.status)],
);
