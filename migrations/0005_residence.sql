CREATE TABLE "residence_periods" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"person_id" uuid NOT NULL,
	"household_id" uuid,
	"commune_code" text,
	"relation_to_head" text,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"destination" text,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "residence_periods_order" CHECK ("residence_periods"."valid_to" IS NULL OR "residence_periods"."valid_to" >= "residence_periods"."valid_from"),
	CONSTRAINT "residence_periods_place" CHECK ("residence_periods"."commune_code" IS NOT NULL OR "residence_periods"."destination" IS NOT NULL)
);
--> statement-breakpoint
ALTER TABLE "households" ADD COLUMN "dissolved_on" date;--> statement-breakpoint
-- Edited by hand from here to the end of the resident_from steps: the column is added empty, filled, then made
-- NOT NULL, so the migration runs on a registry that already holds people. Everyone on record is taken to have
-- lived where the registry says since birth (the registry knew no earlier residence), which is how every past
-- month was read before this migration.
ALTER TABLE "persons" ADD COLUMN "resident_from" date DEFAULT NULL;--> statement-breakpoint
UPDATE "persons" SET "resident_from" = "date_of_birth";--> statement-breakpoint
ALTER TABLE "persons" ALTER COLUMN "resident_from" SET NOT NULL;--> statement-breakpoint
INSERT INTO "residence_periods" ("person_id", "household_id", "commune_code", "relation_to_head", "valid_from", "reason")
  SELECT "id", "household_id", "commune_code", "relation_to_head", "resident_from", 'REGISTRATION' FROM "persons";--> statement-breakpoint
ALTER TABLE "persons" ADD COLUMN "resident_to" date;--> statement-breakpoint
ALTER TABLE "residence_periods" ADD CONSTRAINT "residence_periods_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "residence_periods" ADD CONSTRAINT "residence_periods_household_id_households_id_fk" FOREIGN KEY ("household_id") REFERENCES "public"."households"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "residence_periods" ADD CONSTRAINT "residence_periods_commune_code_admin_units_code_fk" FOREIGN KEY ("commune_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "residence_periods_person_from_uq" ON "residence_periods" USING btree ("person_id","valid_from");--> statement-breakpoint
CREATE INDEX "residence_periods_closed_commune_idx" ON "residence_periods" USING btree ("commune_code","valid_to") WHERE "residence_periods"."valid_to" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "residence_periods_household_idx" ON "residence_periods" USING btree ("household_id","valid_from");--> statement-breakpoint
-- Added by hand (drizzle-kit does not model triggers). Everyone on the registry has a first residence period,
-- whoever inserts the person (the service, a seed's COPY, a test, hand-written SQL): when resident_from is left
-- out it is the date of birth, and the period is written with the person. A correction of the date of birth
-- moves the start of a first period that began at birth.
CREATE FUNCTION an_sinh_person_resident_from() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.resident_from := COALESCE(NEW.resident_from, NEW.date_of_birth);
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER persons_resident_from BEFORE INSERT ON "persons"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_person_resident_from();--> statement-breakpoint
CREATE FUNCTION an_sinh_person_first_residence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO residence_periods (person_id, household_id, commune_code, relation_to_head, valid_from, valid_to, reason)
    VALUES (NEW.id, NEW.household_id, NEW.commune_code, NEW.relation_to_head, NEW.resident_from, NEW.resident_to, 'REGISTRATION');
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER persons_first_residence AFTER INSERT ON "persons"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_person_first_residence();--> statement-breakpoint
CREATE FUNCTION an_sinh_person_birth_corrected() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE residence_periods SET valid_from = NEW.date_of_birth
    WHERE person_id = NEW.id AND valid_from = OLD.date_of_birth AND reason = 'REGISTRATION';
  IF NEW.resident_from = OLD.date_of_birth THEN
    NEW.resident_from := NEW.date_of_birth;
  END IF;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER persons_birth_corrected BEFORE UPDATE OF date_of_birth ON "persons"
  FOR EACH ROW WHEN (NEW.date_of_birth IS DISTINCT FROM OLD.date_of_birth)
  EXECUTE FUNCTION an_sinh_person_birth_corrected();
