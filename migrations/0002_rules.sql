CREATE TABLE "base_levels" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"amount" bigint NOT NULL,
	"effective_from" date NOT NULL,
	"legal_basis" text NOT NULL,
	"confirmed" boolean NOT NULL,
	"published_by" text NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "base_levels_amount_positive" CHECK ("base_levels"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "enrolments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"program_code" text NOT NULL,
	"status" text NOT NULL,
	"decision_no" text NOT NULL,
	"decision_date" date NOT NULL,
	"start_month" date NOT NULL,
	"end_month" date,
	"end_reason" text,
	"proposed_by" text NOT NULL,
	"approved_by" text,
	"approved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "enrolments_months" CHECK ("enrolments"."end_month" IS NULL OR "enrolments"."end_month" >= "enrolments"."start_month" - interval '1 month')
);
--> statement-breakpoint
CREATE TABLE "person_circumstance_flags" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"flag" text NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"evidence" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "person_circumstance_flags_dates" CHECK ("person_circumstance_flags"."valid_to" IS NULL OR "person_circumstance_flags"."valid_to" >= "person_circumstance_flags"."valid_from")
);
--> statement-breakpoint
CREATE TABLE "program_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"program_code" text NOT NULL,
	"version" integer NOT NULL,
	"effective_from" date NOT NULL,
	"effective_to" date,
	"legal_basis" text NOT NULL,
	"definition" jsonb NOT NULL,
	"examples" jsonb NOT NULL,
	"confirmed" boolean NOT NULL,
	"note" text,
	"published_by" text NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "program_rules_dates" CHECK ("program_rules"."effective_to" IS NULL OR "program_rules"."effective_to" >= "program_rules"."effective_from")
);
--> statement-breakpoint
CREATE TABLE "programs" (
	"code" text PRIMARY KEY NOT NULL,
	"name_vi" text NOT NULL,
	"name_en" text NOT NULL,
	"family" text NOT NULL,
	"kind" text NOT NULL,
	"start_rule" text NOT NULL,
	"legal_basis" text NOT NULL,
	"sort_order" smallint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "enrolments" ADD CONSTRAINT "enrolments_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enrolments" ADD CONSTRAINT "enrolments_program_code_programs_code_fk" FOREIGN KEY ("program_code") REFERENCES "public"."programs"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_circumstance_flags" ADD CONSTRAINT "person_circumstance_flags_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "program_rules" ADD CONSTRAINT "program_rules_program_code_programs_code_fk" FOREIGN KEY ("program_code") REFERENCES "public"."programs"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "base_levels_kind_from_uq" ON "base_levels" USING btree ("kind","effective_from");--> statement-breakpoint
CREATE INDEX "enrolments_person_idx" ON "enrolments" USING btree ("person_id","program_code");--> statement-breakpoint
CREATE UNIQUE INDEX "enrolments_open_uq" ON "enrolments" USING btree ("person_id","program_code") WHERE "enrolments"."status" <> 'ENDED';--> statement-breakpoint
CREATE INDEX "enrolments_program_idx" ON "enrolments" USING btree ("program_code","status","person_id");--> statement-breakpoint
CREATE INDEX "person_circumstance_flags_person_idx" ON "person_circumstance_flags" USING btree ("person_id","flag","valid_from");--> statement-breakpoint
CREATE UNIQUE INDEX "program_rules_version_uq" ON "program_rules" USING btree ("program_code","version");--> statement-breakpoint
CREATE INDEX "program_rules_effective_idx" ON "program_rules" USING btree ("program_code","effective_from");--> statement-breakpoint
CREATE INDEX "persons_dob_idx" ON "persons" USING btree ("date_of_birth");
--> statement-breakpoint
-- Released rule versions and base levels are never edited or removed: a new decree is a new row
-- (Decree 20 art. 6; DESIGN.md "a new decree is a new version, not an edit"). Added by hand to the
-- generated migration: drizzle-kit does not model triggers.
CREATE OR REPLACE FUNCTION an_sinh_forbid_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are never changed or deleted: publish a new version instead', TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;
--> statement-breakpoint
CREATE TRIGGER program_rules_immutable BEFORE UPDATE OR DELETE ON "program_rules"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_forbid_rewrite();
--> statement-breakpoint
CREATE TRIGGER base_levels_immutable BEFORE UPDATE OR DELETE ON "base_levels"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_forbid_rewrite();
