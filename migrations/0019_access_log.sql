CREATE TABLE "access_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"actor_role" text NOT NULL,
	"request_id" text NOT NULL,
	"operation" text NOT NULL,
	"field_groups" text[] NOT NULL,
	"person_ids" uuid[] NOT NULL,
	"household_ids" uuid[] NOT NULL
);
--> statement-breakpoint
CREATE INDEX "access_events_person_ids_idx" ON "access_events" USING gin ("person_ids");--> statement-breakpoint
CREATE INDEX "access_events_household_ids_idx" ON "access_events" USING gin ("household_ids");--> statement-breakpoint
CREATE INDEX "access_events_occurred_at_idx" ON "access_events" USING btree ("occurred_at");--> statement-breakpoint
-- Append-only like the audit log (migration 0013): an UPDATE, DELETE or TRUNCATE of access_events fails. Not
-- hash-chained (docs/security.md "Logged reads": a chain would serialise every read of the service on its head).
CREATE OR REPLACE FUNCTION an_sinh_forbid_access_log_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are never changed or deleted: the access log is append-only', TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;
--> statement-breakpoint
CREATE TRIGGER access_events_append_only BEFORE UPDATE OR DELETE ON "access_events"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_forbid_access_log_rewrite();
--> statement-breakpoint
CREATE TRIGGER access_events_no_truncate BEFORE TRUNCATE ON "access_events"
  FOR EACH STATEMENT EXECUTE FUNCTION an_sinh_forbid_access_log_rewrite();
