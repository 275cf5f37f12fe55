-- Issue 13: timing rules (start and change months by period of the law, seeded from src/reference/timing-rules.ts),
-- enrolment suspensions and stop cases (Circular 02/2021 art. 2), and year-only dates of birth with their convention.
CREATE TABLE "birth_year_conventions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"month_day" text NOT NULL,
	"legal_basis" text NOT NULL,
	"confirmed" boolean NOT NULL,
	"set_by" text NOT NULL,
	"set_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "birth_year_conventions_month_day" CHECK ("birth_year_conventions"."month_day" ~ '^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$' AND "birth_year_conventions"."month_day" <> '02-29')
);
--> statement-breakpoint
CREATE TABLE "enrolment_suspensions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"enrolment_id" uuid NOT NULL,
	"from_month" date NOT NULL,
	"to_month" date,
	"reason" text NOT NULL,
	"paid_back" boolean DEFAULT false NOT NULL,
	"suspended_by" text NOT NULL,
	"suspended_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resumed_by" text,
	"resumed_at" timestamp with time zone,
	CONSTRAINT "enrolment_suspensions_months" CHECK ("enrolment_suspensions"."to_month" IS NULL OR "enrolment_suspensions"."to_month" >= "enrolment_suspensions"."from_month")
);
--> statement-breakpoint
CREATE TABLE "timing_rules" (
	"code" text PRIMARY KEY NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"families" text[] NOT NULL,
	"start_basis" text NOT NULL,
	"back_pay_floor" date,
	"increase_effect" text NOT NULL,
	"decrease_effect" text NOT NULL,
	"legal_basis" text NOT NULL,
	"confirmed" boolean NOT NULL,
	"note" text,
	CONSTRAINT "timing_rules_dates" CHECK ("timing_rules"."valid_to" IS NULL OR "timing_rules"."valid_to" >= "timing_rules"."valid_from")
);
--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "birth_date_precision" text DEFAULT 'DAY' NOT NULL;--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "birth_year_convention_id" uuid;--> statement-breakpoint
ALTER TABLE "enrolments" ADD COLUMN "end_case" text;--> statement-breakpoint
ALTER TABLE "enrolment_suspensions" ADD CONSTRAINT "enrolment_suspensions_enrolment_id_enrolments_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "enrolment_suspensions_enrolment_idx" ON "enrolment_suspensions" USING btree ("enrolment_id","from_month");--> statement-breakpoint
CREATE UNIQUE INDEX "enrolment_suspensions_open_uq" ON "enrolment_suspensions" USING btree ("enrolment_id") WHERE "enrolment_suspensions"."to_month" IS NULL;--> statement-breakpoint
ALTER TABLE "persons" ADD CONSTRAINT "persons_birth_year_convention_id_birth_year_conventions_id_fk" FOREIGN KEY ("birth_year_convention_id") REFERENCES "public"."birth_year_conventions"("id") ON DELETE no action ON UPDATE no action;