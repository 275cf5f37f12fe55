DROP INDEX "pension_conversions_commune_uq";--> statement-breakpoint
ALTER TABLE "pension_conversions" ADD COLUMN "withdrawn_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "pension_conversions" ADD COLUMN "withdrawn_by" text;--> statement-breakpoint
ALTER TABLE "pension_conversions" ADD COLUMN "withdrawal_reason" text;--> statement-breakpoint
CREATE UNIQUE INDEX "pension_conversions_commune_uq" ON "pension_conversions" USING btree ("commune_code") WHERE "pension_conversions"."withdrawn_at" IS NULL;--> statement-breakpoint
ALTER TABLE "pension_conversions" ADD CONSTRAINT "pension_conversions_withdrawal_complete" CHECK (("pension_conversions"."withdrawn_at" IS NULL) = ("pension_conversions"."withdrawn_by" IS NULL) AND ("pension_conversions"."withdrawn_at" IS NULL) = ("pension_conversions"."withdrawal_reason" IS NULL));