CREATE TABLE "change_deliveries" (
	"sink" text NOT NULL,
	"position" bigint NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"delivered_at" timestamp with time zone,
	"dead_lettered_at" timestamp with time zone,
	CONSTRAINT "change_deliveries_sink_position_pk" PRIMARY KEY("sink","position"),
	CONSTRAINT "change_deliveries_attempts" CHECK ("change_deliveries"."attempts" >= 0)
);
--> statement-breakpoint
CREATE TABLE "change_dispatch_lease" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"lease_until" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"position" bigint,
	"type" text NOT NULL,
	"person_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"household_id" uuid,
	"commune_code" text NOT NULL,
	"previous_commune_code" text,
	"order_keys" uuid[] NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"payload" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "change_sinks" (
	"name" text PRIMARY KEY NOT NULL,
	"through" bigint NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "change_deliveries" ADD CONSTRAINT "change_deliveries_sink_change_sinks_name_fk" FOREIGN KEY ("sink") REFERENCES "public"."change_sinks"("name") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "change_deliveries_open_idx" ON "change_deliveries" USING btree ("sink","position") WHERE "change_deliveries"."delivered_at" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "change_events_position_uq" ON "change_events" USING btree ("position");--> statement-breakpoint
CREATE INDEX "change_events_unnumbered_idx" ON "change_events" USING btree ("id") WHERE "change_events"."position" IS NULL;--> statement-breakpoint
CREATE INDEX "change_events_commune_idx" ON "change_events" USING btree ("commune_code","position");