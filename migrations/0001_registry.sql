CREATE TABLE "admin_units" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"level" text NOT NULL,
	"kind" text NOT NULL,
	"parent_code" text,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"successor_code" text,
	"code_confirmed" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "area_classifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"unit_code" text NOT NULL,
	"classification" text NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"legal_basis" text NOT NULL,
	"confirmed" boolean DEFAULT false NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"actor_role" text NOT NULL,
	"action" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_id" text NOT NULL,
	"before" jsonb,
	"after" jsonb,
	"request_id" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "disability_certificates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"level" text NOT NULL,
	"certificate_no" text NOT NULL,
	"issued_on" date NOT NULL,
	"valid_to" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "households" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"commune_code" text NOT NULL,
	"village_code" text,
	"address" text,
	"head_person_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "merit_records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"category" text NOT NULL,
	"injury_rate" smallint,
	"decision_no" text NOT NULL,
	"recognized_on" date NOT NULL,
	"valid_to" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "merit_records_injury_rate" CHECK ("merit_records"."injury_rate" IS NULL OR ("merit_records"."injury_rate" BETWEEN 1 AND 100))
);
--> statement-breakpoint
CREATE TABLE "pension_statuses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"monthly_amount" bigint,
	"starts_on" date NOT NULL,
	"ends_on" date,
	"decision_no" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "persons" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"national_id" text,
	"full_name" text NOT NULL,
	"full_name_search" text GENERATED ALWAYS AS (an_sinh_search_text(full_name)) STORED NOT NULL,
	"date_of_birth" date NOT NULL,
	"sex" text NOT NULL,
	"ethnicity" text,
	"commune_code" text NOT NULL,
	"household_id" uuid,
	"relation_to_head" text,
	"date_of_death" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "persons_death_after_birth" CHECK ("persons"."date_of_death" IS NULL OR "persons"."date_of_death" >= "persons"."date_of_birth")
);
--> statement-breakpoint
CREATE TABLE "poverty_assessments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"household_id" uuid NOT NULL,
	"assessed_on" date NOT NULL,
	"standard_code" text NOT NULL,
	"area" text NOT NULL,
	"income_per_person" integer NOT NULL,
	"deprivations" text[] NOT NULL,
	"classification" text NOT NULL,
	"decision_no" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "poverty_assessments_income_nonneg" CHECK ("poverty_assessments"."income_per_person" >= 0)
);
--> statement-breakpoint
CREATE TABLE "poverty_standards" (
	"code" text PRIMARY KEY NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date NOT NULL,
	"rural_income_line" integer NOT NULL,
	"urban_income_line" integer NOT NULL,
	"poor_min_deprivations" smallint NOT NULL,
	"legal_basis" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pregnancies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"reported_on" date NOT NULL,
	"expected_delivery_on" date NOT NULL,
	"ended_on" date,
	"outcome" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "seed_runs" (
	"name" text PRIMARY KEY NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL,
	"details" jsonb
);
--> statement-breakpoint
ALTER TABLE "area_classifications" ADD CONSTRAINT "area_classifications_unit_code_admin_units_code_fk" FOREIGN KEY ("unit_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disability_certificates" ADD CONSTRAINT "disability_certificates_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "households" ADD CONSTRAINT "households_commune_code_admin_units_code_fk" FOREIGN KEY ("commune_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "households" ADD CONSTRAINT "households_village_code_admin_units_code_fk" FOREIGN KEY ("village_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "merit_records" ADD CONSTRAINT "merit_records_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pension_statuses" ADD CONSTRAINT "pension_statuses_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "persons" ADD CONSTRAINT "persons_commune_code_admin_units_code_fk" FOREIGN KEY ("commune_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "persons" ADD CONSTRAINT "persons_household_id_households_id_fk" FOREIGN KEY ("household_id") REFERENCES "public"."households"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "poverty_assessments" ADD CONSTRAINT "poverty_assessments_household_id_households_id_fk" FOREIGN KEY ("household_id") REFERENCES "public"."households"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "poverty_assessments" ADD CONSTRAINT "poverty_assessments_standard_code_poverty_standards_code_fk" FOREIGN KEY ("standard_code") REFERENCES "public"."poverty_standards"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pregnancies" ADD CONSTRAINT "pregnancies_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "admin_units_parent_idx" ON "admin_units" USING btree ("parent_code");--> statement-breakpoint
CREATE INDEX "area_classifications_unit_idx" ON "area_classifications" USING btree ("unit_code","valid_from");--> statement-breakpoint
CREATE INDEX "audit_events_entity_idx" ON "audit_events" USING btree ("entity_type","entity_id","seq");--> statement-breakpoint
CREATE INDEX "disability_certificates_person_idx" ON "disability_certificates" USING btree ("person_id","issued_on");--> statement-breakpoint
CREATE UNIQUE INDEX "households_code_uq" ON "households" USING btree ("code");--> statement-breakpoint
CREATE INDEX "households_commune_idx" ON "households" USING btree ("commune_code","id");--> statement-breakpoint
CREATE INDEX "merit_records_person_idx" ON "merit_records" USING btree ("person_id","recognized_on");--> statement-breakpoint
CREATE INDEX "pension_statuses_person_idx" ON "pension_statuses" USING btree ("person_id","starts_on");--> statement-breakpoint
CREATE UNIQUE INDEX "persons_national_id_uq" ON "persons" USING btree ("national_id");--> statement-breakpoint
CREATE INDEX "persons_commune_id_idx" ON "persons" USING btree ("commune_code","id");--> statement-breakpoint
CREATE INDEX "persons_commune_dob_idx" ON "persons" USING btree ("commune_code","date_of_birth");--> statement-breakpoint
CREATE INDEX "persons_household_idx" ON "persons" USING btree ("household_id");--> statement-breakpoint
CREATE INDEX "persons_name_trgm_idx" ON "persons" USING gin ("full_name_search" gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "poverty_assessments_household_idx" ON "poverty_assessments" USING btree ("household_id","assessed_on");--> statement-breakpoint
CREATE INDEX "pregnancies_person_idx" ON "pregnancies" USING btree ("person_id","reported_on");