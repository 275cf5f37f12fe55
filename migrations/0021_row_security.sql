-- Row-level security, a second wall behind the access policy (docs/security.md "Row-level security"). Requests
-- run as the role ansinh_request (SET LOCAL ROLE through set_config, src/db/row-security.ts) with the caller's
-- role and communes in the transaction's settings ansinh.role and ansinh.communes; the policies below then hide
-- the rows of other communes' people even from a query the application forgot to filter. The owner (migrations,
-- seeds, the change-event dispatcher, CLIs, background jobs) is not subject to them: a table's owner and superusers
-- bypass row security.
--
-- Roles belong to the cluster, not the database: several databases on one server (the test suite creates one per
-- test file, concurrently) each run this migration, so the role is created only when missing, and a concurrent
-- creation (duplicate_object, or unique_violation while the other transaction is still open) is not an error.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ansinh_request') THEN
    CREATE ROLE ansinh_request NOLOGIN NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END $$;
--> statement-breakpoint
-- The login role must be a member to SET ROLE to it; a superuser may switch to any role already.
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
     AND NOT pg_has_role(current_user, 'ansinh_request', 'MEMBER') THEN
    EXECUTE format('GRANT ansinh_request TO %I', current_user);
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END $$;
--> statement-breakpoint
-- What a request may do is the application's to decide (mutations check roles and communes); the role only lacks
-- what no request does (TRUNCATE, DDL, REFERENCES, TRIGGER) and sees fewer rows of the tables below.
GRANT USAGE ON SCHEMA public TO ansinh_request;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ansinh_request;
--> statement-breakpoint
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ansinh_request;
--> statement-breakpoint
-- Tables of later migrations get the same grants (they are created by the role that runs this one).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ansinh_request;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ansinh_request;
--> statement-breakpoint
-- The caller reaches every commune: the district-level roles of src/modules/auth/access-policy.ts DISTRICT_ROLES.
-- Unset (no request settings) is no role at all: nothing is visible. Plain SQL functions, inlined into the policies.
CREATE OR REPLACE FUNCTION an_sinh_sees_all() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('ansinh.role', true), '') IN ('district_officer', 'auditor', 'integration', 'admin')
$$;
--> statement-breakpoint
-- The commune is one of the caller's (a comma-separated list, predecessors of a merged commune included).
-- Unset or empty: none.
CREATE OR REPLACE FUNCTION an_sinh_sees_commune(code text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(code = ANY (string_to_array(nullif(current_setting('ansinh.communes', true), ''), ',')), false)
$$;
--> statement-breakpoint
-- A person is visible to the officers of every commune they ever lived in (any residence period): a superset of
-- the access policy's rule by date, which the application still applies. SECURITY DEFINER, so that it reads all of
-- residence_periods: a policy on persons reading residence_periods, whose own policy reads persons' visibility,
-- would otherwise recurse.
CREATE OR REPLACE FUNCTION an_sinh_sees_person(person uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = public, pg_temp AS $$
  SELECT an_sinh_sees_all()
    OR EXISTS (SELECT 1 FROM residence_periods rp WHERE rp.person_id = person AND an_sinh_sees_commune(rp.commune_code))
$$;
--> statement-breakpoint
-- One policy per table, for every command, for the request role only (the owner bypasses row security). USING hides
-- rows from reads and keeps UPDATE and DELETE to visible rows; WITH CHECK (true) leaves what may be written to the
-- application (which checks both ends of a move), while INSERT ... RETURNING still needs the new row to be visible.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
    ('persons', 'an_sinh_sees_commune(commune_code) OR an_sinh_sees_person(id)'),
    ('households', 'an_sinh_sees_commune(commune_code)'),
    ('residence_periods', 'an_sinh_sees_commune(commune_code) OR an_sinh_sees_person(person_id)'),
    ('poverty_assessments', 'EXISTS (SELECT 1 FROM households h WHERE h.id = household_id)'),
    ('disability_certificates', 'an_sinh_sees_person(person_id)'),
    ('merit_records', 'an_sinh_sees_person(person_id)'),
    ('pension_statuses', 'an_sinh_sees_person(person_id)'),
    ('pregnancies', 'an_sinh_sees_person(person_id)'),
    ('person_circumstance_flags', 'an_sinh_sees_person(person_id)'),
    ('enrolments', 'an_sinh_sees_person(person_id)'),
    ('enrolment_suspensions', 'EXISTS (SELECT 1 FROM enrolments e WHERE e.id = enrolment_id)'),
    ('payment_recipients', 'EXISTS (SELECT 1 FROM enrolments e WHERE e.id = enrolment_id)'),
    ('payment_cycles', 'an_sinh_sees_commune(commune_code)'),
    ('payments', 'an_sinh_sees_person(person_id)'),
    ('payment_results', 'EXISTS (SELECT 1 FROM payments p WHERE p.id = payment_id)')
  ) AS x(tbl, visible) LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t.tbl);
    EXECUTE format('CREATE POLICY %I ON %I AS PERMISSIVE FOR ALL TO ansinh_request USING (an_sinh_sees_all() OR %s) WITH CHECK (true)',
      t.tbl || '_request_visible', t.tbl, t.visible);
  END LOOP;
END $$;
