CREATE TABLE "program_rule_withdrawals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"rule_id" uuid NOT NULL,
	"effective_to" date NOT NULL,
	"reason" text NOT NULL,
	"withdrawn_by" text NOT NULL,
	"withdrawn_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "disability_certificates" ADD COLUMN "withdrawn_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "disability_certificates" ADD COLUMN "withdrawal_reason" text;--> statement-breakpoint
ALTER TABLE "merit_records" ADD COLUMN "withdrawn_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "merit_records" ADD COLUMN "withdrawal_reason" text;--> statement-breakpoint
ALTER TABLE "pension_statuses" ADD COLUMN "withdrawn_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "pension_statuses" ADD COLUMN "withdrawal_reason" text;--> statement-breakpoint
ALTER TABLE "pregnancies" ADD COLUMN "withdrawn_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "pregnancies" ADD COLUMN "withdrawal_reason" text;--> statement-breakpoint
ALTER TABLE "person_circumstance_flags" ADD COLUMN "withdrawn_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "person_circumstance_flags" ADD COLUMN "withdrawal_reason" text;--> statement-breakpoint
ALTER TABLE "program_rule_withdrawals" ADD CONSTRAINT "program_rule_withdrawals_rule_id_program_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."program_rules"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "program_rule_withdrawals_rule_uq" ON "program_rule_withdrawals" USING btree ("rule_id");--> statement-breakpoint
CREATE UNIQUE INDEX "poverty_assessments_household_date_uq" ON "poverty_assessments" USING btree ("household_id","assessed_on");--> statement-breakpoint
-- A withdrawal is part of the rule book's history: appended, never changed or removed (like the versions).
-- Added by hand to the generated migration: drizzle-kit does not model triggers.
CREATE TRIGGER program_rule_withdrawals_immutable BEFORE UPDATE OR DELETE ON "program_rule_withdrawals"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_forbid_rewrite();
--> statement-breakpoint
-- Reference data that app instances cache (places and area classifications, poverty standards): any write
-- tells every instance listening on the channel to reload, when the writing transaction commits. A trigger,
-- not application code, so seeds and hand-written SQL notify as well.
CREATE OR REPLACE FUNCTION an_sinh_notify_reference_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('an_sinh_reference_changed', TG_TABLE_NAME);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER admin_units_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "admin_units"
  FOR EACH STATEMENT EXECUTE FUNCTION an_sinh_notify_reference_changed();
--> statement-breakpoint
CREATE TRIGGER area_classifications_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "area_classifications"
  FOR EACH STATEMENT EXECUTE FUNCTION an_sinh_notify_reference_changed();
--> statement-breakpoint
CREATE TRIGGER poverty_standards_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "poverty_standards"
  FOR EACH STATEMENT EXECUTE FUNCTION an_sinh_notify_reference_changed();
