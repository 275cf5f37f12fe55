CREATE TABLE "dci_partners" (
	"sender_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"jwks" jsonb NOT NULL,
	"callback_uris" text[] NOT NULL,
	"scopes" text[] NOT NULL,
	"rate_limit_per_minute" integer NOT NULL,
	"active" text DEFAULT 'ACTIVE' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dci_partners_rate_limit_ck" CHECK ("dci_partners"."rate_limit_per_minute" > 0)
);
--> statement-breakpoint
CREATE TABLE "dci_subscriptions" (
	"code" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"sender_id" text NOT NULL,
	"event_type" text NOT NULL,
	"commune_codes" text[] NOT NULL,
	"notify_uri" text NOT NULL,
	"status" text DEFAULT 'subscribe' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "dci_transactions" (
	"correlation_id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"sender_id" text NOT NULL,
	"transaction_id" text NOT NULL,
	"action" text NOT NULL,
	"status" text NOT NULL,
	"items" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dci_subscriptions" ADD CONSTRAINT "dci_subscriptions_sender_id_dci_partners_sender_id_fk" FOREIGN KEY ("sender_id") REFERENCES "public"."dci_partners"("sender_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dci_transactions" ADD CONSTRAINT "dci_transactions_sender_id_dci_partners_sender_id_fk" FOREIGN KEY ("sender_id") REFERENCES "public"."dci_partners"("sender_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dci_subscriptions_event_idx" ON "dci_subscriptions" USING btree ("event_type","status");--> statement-breakpoint
CREATE INDEX "dci_transactions_sender_txn_idx" ON "dci_transactions" USING btree ("sender_id","transaction_id");