CREATE TABLE "entitlement_input_changes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"changed_xid" "xid8" DEFAULT pg_current_xact_id() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "payment_cycles" ADD COLUMN "planned_below" "xid8";--> statement-breakpoint
-- Records, per person, household or everyone, the latest transaction that changed what their entitlements are
-- computed from (src/db/schema/entitlement-inputs.ts). Statement-level, reading the transition tables, so a bulk
-- load marks its rows in one statement. TG_ARGV[0] says what the key column names: a person, an enrolment (its
-- person), a household, or nothing (everyone); TG_ARGV[1] names the key column. A person's change also marks every
-- household they have lived in: household members' entitlements read each other (spouses under art. 20.2, young
-- children, the household's poverty classification).
CREATE FUNCTION mark_entitlement_inputs() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  keys text;
  people text;
BEGIN
  -- A statement that changed no row (an idempotent reference-data load: ON CONFLICT DO NOTHING) changes nothing.
  IF NOT EXISTS (SELECT 1 FROM changed) THEN
    RETURN NULL;
  END IF;
  IF TG_ARGV[0] = 'everyone' THEN
    INSERT INTO entitlement_input_changes (id, changed_xid) VALUES ('00000000-0000-0000-0000-000000000000', pg_current_xact_id())
    ON CONFLICT (id) DO UPDATE SET changed_xid = greatest(entitlement_input_changes.changed_xid, excluded.changed_xid);
    RETURN NULL;
  END IF;
  keys := CASE WHEN TG_OP = 'UPDATE'
    THEN format('SELECT %1$I AS k FROM changed UNION SELECT %1$I FROM changed_before', TG_ARGV[1])
    ELSE format('SELECT %1$I AS k FROM changed', TG_ARGV[1]) END;
  people := CASE TG_ARGV[0]
    WHEN 'person' THEN 'SELECT k FROM keys'
    WHEN 'enrolment' THEN 'SELECT e.person_id AS k FROM enrolments e JOIN keys ON keys.k = e.id'
    ELSE 'SELECT NULL::uuid AS k WHERE false' END;
  EXECUTE format($sql$
    WITH keys AS (SELECT DISTINCT k FROM (%s) x WHERE k IS NOT NULL),
    people AS (%s),
    marked AS (
      SELECT k AS id FROM people
      UNION SELECT rp.household_id FROM residence_periods rp JOIN people p ON p.k = rp.person_id WHERE rp.household_id IS NOT NULL
      UNION SELECT k FROM keys WHERE %L = 'household'
    )
    INSERT INTO entitlement_input_changes (id, changed_xid) SELECT id, pg_current_xact_id() FROM marked
    ON CONFLICT (id) DO UPDATE SET changed_xid = greatest(entitlement_input_changes.changed_xid, excluded.changed_xid)$sql$,
    keys, people, TG_ARGV[0]);
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Three triggers per table (PostgreSQL allows transition tables only on single-event triggers).
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
    ('persons', 'person', 'id'),
    ('residence_periods', 'person', 'person_id'),
    ('disability_certificates', 'person', 'person_id'),
    ('merit_records', 'person', 'person_id'),
    ('pension_statuses', 'person', 'person_id'),
    ('pregnancies', 'person', 'person_id'),
    ('person_circumstance_flags', 'person', 'person_id'),
    ('enrolments', 'person', 'person_id'),
    ('enrolment_suspensions', 'enrolment', 'enrolment_id'),
    -- Not an input of the amounts, but of the cycle's lines: a care allowance is held until its carer is recorded.
    ('payment_recipients', 'enrolment', 'enrolment_id'),
    ('households', 'household', 'id'),
    ('poverty_assessments', 'household', 'household_id'),
    ('programs', 'everyone', ''),
    ('program_rules', 'everyone', ''),
    ('program_rule_withdrawals', 'everyone', ''),
    ('base_levels', 'everyone', ''),
    ('base_level_confirmations', 'everyone', ''),
    ('timing_rules', 'everyone', ''),
    ('provincial_schemes', 'everyone', ''),
    ('area_classifications', 'everyone', ''),
    ('poverty_standards', 'everyone', ''),
    ('admin_units', 'everyone', ''),
    ('birth_year_conventions', 'everyone', ''),
    ('pension_conversions', 'everyone', '')
  ) AS x(tbl, kind, col) LOOP
    EXECUTE format('CREATE TRIGGER %1$s_inputs_ins AFTER INSERT ON %1$I REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION mark_entitlement_inputs(%2$L, %3$L)', t.tbl, t.kind, t.col);
    EXECUTE format('CREATE TRIGGER %1$s_inputs_upd AFTER UPDATE ON %1$I REFERENCING NEW TABLE AS changed OLD TABLE AS changed_before FOR EACH STATEMENT EXECUTE FUNCTION mark_entitlement_inputs(%2$L, %3$L)', t.tbl, t.kind, t.col);
    EXECUTE format('CREATE TRIGGER %1$s_inputs_del AFTER DELETE ON %1$I REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION mark_entitlement_inputs(%2$L, %3$L)', t.tbl, t.kind, t.col);
  END LOOP;
END $$;
