CREATE TABLE "entitlement_forecast_people" (
	"person_id" uuid PRIMARY KEY NOT NULL,
	"computed_month" date NOT NULL,
	"through_month" date NOT NULL,
	"computed_below" "xid8" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "entitlement_forecasts" (
	"person_id" uuid NOT NULL,
	"enrolment_id" uuid NOT NULL,
	"program_code" text NOT NULL,
	"paying_commune_code" text NOT NULL,
	"from_month" date NOT NULL,
	"through_month" date NOT NULL,
	"kind" text NOT NULL,
	"amount" bigint NOT NULL,
	"note" text NOT NULL,
	"note_vi" text NOT NULL,
	CONSTRAINT "entitlement_forecasts_enrolment_id_from_month_pk" PRIMARY KEY("enrolment_id","from_month")
);
--> statement-breakpoint
CREATE INDEX "entitlement_forecasts_person_idx" ON "entitlement_forecasts" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "entitlement_forecasts_commune_idx" ON "entitlement_forecasts" USING btree ("paying_commune_code","through_month");--> statement-breakpoint
-- A payment line written outside its cycle's creation (by hand, by a data load) is something the cycles did not
-- compute: the person's next cycle must look at their past months again. Cycles already tell such lines apart (their
-- created_at differs from the cycle's), but only for people they load; a person whose month comes from the forecast
-- is not loaded, so the line marks them as changed instead (src/db/schema/entitlement-inputs.ts).
CREATE FUNCTION mark_payments_outside_cycles() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The statement's distinct (cycle, created_at) pairs first: a cycle writes hundreds of lines of one cycle at once,
  -- and probing its cycle once, not once per line, keeps the check off the cost of writing a month.
  WITH written AS (SELECT DISTINCT cycle_id, created_at FROM inserted),
  outside AS (SELECT w.cycle_id, w.created_at FROM written w JOIN payment_cycles c ON c.id = w.cycle_id WHERE c.created_at <> w.created_at)
  INSERT INTO entitlement_input_changes (id, changed_xid)
  SELECT DISTINCT n.person_id, pg_current_xact_id() FROM inserted n JOIN outside o ON o.cycle_id = n.cycle_id AND o.created_at = n.created_at
  ON CONFLICT (id) DO UPDATE SET changed_xid = greatest(entitlement_input_changes.changed_xid, excluded.changed_xid);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER payments_outside_cycles AFTER INSERT ON "payments" REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION mark_payments_outside_cycles();
--> statement-breakpoint
-- What a person will be owed is financial personal data: the forecast is behind the same wall as payments (0021).
ALTER TABLE "entitlement_forecast_people" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "entitlement_forecast_people_request_visible" ON "entitlement_forecast_people" AS PERMISSIVE FOR ALL TO ansinh_request
  USING (an_sinh_sees_all() OR an_sinh_sees_person(person_id)) WITH CHECK (true);
--> statement-breakpoint
ALTER TABLE "entitlement_forecasts" ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY "entitlement_forecasts_request_visible" ON "entitlement_forecasts" AS PERMISSIVE FOR ALL TO ansinh_request
  USING (an_sinh_sees_all() OR an_sinh_sees_person(person_id)) WITH CHECK (true);
