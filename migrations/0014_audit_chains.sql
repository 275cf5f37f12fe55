CREATE TABLE "audit_roots" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"anchored_at" timestamp with time zone NOT NULL,
	"heads" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "chain" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "audit_events_chain_idx" ON "audit_events" USING btree ("chain","seq");--> statement-breakpoint
-- Roots are as append-only as the events they anchor. Added by hand: drizzle-kit does not model triggers.
CREATE TRIGGER audit_roots_append_only BEFORE UPDATE OR DELETE ON "audit_roots"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_forbid_audit_rewrite();
--> statement-breakpoint
CREATE TRIGGER audit_roots_no_truncate BEFORE TRUNCATE ON "audit_roots"
  FOR EACH STATEMENT EXECUTE FUNCTION an_sinh_forbid_audit_rewrite();
