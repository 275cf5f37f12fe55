CREATE TABLE "base_level_confirmations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"base_level_id" uuid NOT NULL,
	"source" text NOT NULL,
	"confirmed_by" text NOT NULL,
	"confirmed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "base_levels_kind_from_uq";--> statement-breakpoint
ALTER TABLE "base_levels" ADD COLUMN "supersedes" uuid;--> statement-breakpoint
ALTER TABLE "base_level_confirmations" ADD CONSTRAINT "base_level_confirmations_base_level_id_base_levels_id_fk" FOREIGN KEY ("base_level_id") REFERENCES "public"."base_levels"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "base_level_confirmations_level_uq" ON "base_level_confirmations" USING btree ("base_level_id");--> statement-breakpoint
ALTER TABLE "base_levels" ADD CONSTRAINT "base_levels_supersedes_base_levels_id_fk" FOREIGN KEY ("supersedes") REFERENCES "public"."base_levels"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "base_levels_supersedes_uq" ON "base_levels" USING btree ("supersedes");--> statement-breakpoint
CREATE UNIQUE INDEX "base_levels_kind_from_uq" ON "base_levels" USING btree ("kind","effective_from") WHERE "base_levels"."supersedes" IS NULL;--> statement-breakpoint
-- A confirmation is a record of what was checked, like the levels themselves never changed or deleted.
CREATE TRIGGER base_level_confirmations_immutable BEFORE UPDATE OR DELETE ON "base_level_confirmations"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_forbid_rewrite();
