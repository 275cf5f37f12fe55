CREATE TABLE "pension_conversions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"commune_code" text NOT NULL,
	"effective_month" date NOT NULL,
	"legal_basis" text NOT NULL,
	"decision_no" text NOT NULL,
	"recorded_by" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pension_conversions_month_first_day" CHECK (extract(day from "pension_conversions"."effective_month") = 1)
);
--> statement-breakpoint
ALTER TABLE "base_levels" ADD COLUMN "issued_on" date;--> statement-breakpoint
ALTER TABLE "base_levels" ADD COLUMN "in_force_on" date;--> statement-breakpoint
-- Edited by hand: the rows that exist get the documented default, in force from the day they apply (our sources
-- give no other date for them; docs/law.md#social-assistance-base-level), and no issued date (unknown). Base levels
-- are immutable (trigger base_levels_immutable, migration 0002): the guard is lifted for this backfill only, inside
-- the migration's transaction.
ALTER TABLE "base_levels" DISABLE TRIGGER "base_levels_immutable";--> statement-breakpoint
UPDATE "base_levels" SET "in_force_on" = "effective_from";--> statement-breakpoint
ALTER TABLE "base_levels" ENABLE TRIGGER "base_levels_immutable";--> statement-breakpoint
ALTER TABLE "base_levels" ALTER COLUMN "in_force_on" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "pension_conversions" ADD CONSTRAINT "pension_conversions_commune_code_admin_units_code_fk" FOREIGN KEY ("commune_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "pension_conversions_commune_uq" ON "pension_conversions" USING btree ("commune_code");--> statement-breakpoint
ALTER TABLE "base_levels" ADD CONSTRAINT "base_levels_issued_before_in_force" CHECK ("base_levels"."issued_on" IS NULL OR "base_levels"."issued_on" <= "base_levels"."in_force_on");