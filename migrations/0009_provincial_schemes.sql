CREATE TABLE "provincial_schemes" (
	"program_code" text PRIMARY KEY NOT NULL,
	"province_code" text NOT NULL,
	"resolution_no" text NOT NULL,
	"resolution_issued_on" date NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"published_by" text NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "provincial_schemes_dates" CHECK ("provincial_schemes"."valid_to" IS NULL OR "provincial_schemes"."valid_to" >= "provincial_schemes"."valid_from")
);
--> statement-breakpoint
ALTER TABLE "programs" ADD COLUMN "highest_only" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "provincial_schemes" ADD CONSTRAINT "provincial_schemes_program_code_programs_code_fk" FOREIGN KEY ("program_code") REFERENCES "public"."programs"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "provincial_schemes" ADD CONSTRAINT "provincial_schemes_province_code_admin_units_code_fk" FOREIGN KEY ("province_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "programs" ADD CONSTRAINT "programs_highest_only_provincial" CHECK (NOT "programs"."highest_only" OR "programs"."family" = 'PROVINCIAL');--> statement-breakpoint
-- A provincial scheme's resolution is the legal basis of amounts already computed: like rule versions, never
-- rewritten (a new resolution is a new rule version of the scheme, or a new scheme).
CREATE TRIGGER provincial_schemes_immutable BEFORE UPDATE OR DELETE ON "provincial_schemes"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_forbid_rewrite();
