CREATE TABLE "audit_finding_reviews" (
	"finding_key" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"commune_code" text NOT NULL,
	"note" text NOT NULL,
	"reviewed_by" text NOT NULL,
	"reviewed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_finding_reviews" ADD CONSTRAINT "audit_finding_reviews_commune_code_admin_units_code_fk" FOREIGN KEY ("commune_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_finding_reviews_commune_idx" ON "audit_finding_reviews" USING btree ("commune_code","kind");--> statement-breakpoint
CREATE INDEX "persons_name_dob_idx" ON "persons" USING btree ("full_name_search","date_of_birth");--> statement-breakpoint
CREATE INDEX "payments_full_month_extra_idx" ON "payments" USING btree ("period","person_id") WHERE "payments"."kind" IN ('BACK_PAY', 'CARRY_OVER');