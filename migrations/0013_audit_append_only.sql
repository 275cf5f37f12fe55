-- The audit log is append-only in the database itself, not only by convention in the code: an UPDATE, DELETE or
-- TRUNCATE of audit_events fails whoever runs it. A superuser can still disable the triggers; `npm run
-- audit:verify` finds what was changed that way (the hash chain breaks at the first altered event).
-- Its own function, not an_sinh_forbid_rewrite: "publish a new version" means nothing for an audit event.
CREATE OR REPLACE FUNCTION an_sinh_forbid_audit_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are never changed or deleted: the audit log is append-only', TG_TABLE_NAME
    USING ERRCODE = 'restrict_violation';
END $$;
--> statement-breakpoint
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON "audit_events"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_forbid_audit_rewrite();
--> statement-breakpoint
-- TRUNCATE fires no row triggers: a statement trigger of its own.
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION an_sinh_forbid_audit_rewrite();
