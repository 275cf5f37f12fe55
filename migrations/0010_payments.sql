CREATE TABLE "payment_cycles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"commune_code" text NOT NULL,
	"period" date NOT NULL,
	"status" text NOT NULL,
	"line_count" integer NOT NULL,
	"payable_amount" bigint NOT NULL,
	"recovery_amount" bigint NOT NULL,
	"by_program" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"approved_by" text,
	"approved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "payment_recipients" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"enrolment_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"recipient_person_id" uuid,
	"recipient_name" text NOT NULL,
	"method" text NOT NULL,
	"account_no" text,
	"provider" text,
	"valid_from" date NOT NULL,
	"recorded_by" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payment_recipients_account" CHECK ("payment_recipients"."method" IN ('POST_OFFICE', 'CASH') OR ("payment_recipients"."account_no" IS NOT NULL AND "payment_recipients"."provider" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "payment_results" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"payment_id" uuid NOT NULL,
	"status" text NOT NULL,
	"reference" text NOT NULL,
	"paid_at" date NOT NULL,
	"idempotency_key" text NOT NULL,
	"recorded_by" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"cycle_id" uuid NOT NULL,
	"enrolment_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"program_code" text NOT NULL,
	"period" date NOT NULL,
	"kind" text NOT NULL,
	"amount" bigint NOT NULL,
	"needs_approval" boolean DEFAULT false NOT NULL,
	"recipient_id" uuid,
	"method" text NOT NULL,
	"carried_from" uuid,
	"note" text NOT NULL,
	"note_vi" text NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"reference" text,
	"paid_at" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payments_amount_sign" CHECK (("payments"."kind" = 'RECOVERY') = ("payments"."amount" < 0) AND "payments"."amount" <> 0)
);
--> statement-breakpoint
ALTER TABLE "payment_cycles" ADD CONSTRAINT "payment_cycles_commune_code_admin_units_code_fk" FOREIGN KEY ("commune_code") REFERENCES "public"."admin_units"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_recipients" ADD CONSTRAINT "payment_recipients_enrolment_id_enrolments_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_recipients" ADD CONSTRAINT "payment_recipients_recipient_person_id_persons_id_fk" FOREIGN KEY ("recipient_person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_results" ADD CONSTRAINT "payment_results_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_cycle_id_payment_cycles_id_fk" FOREIGN KEY ("cycle_id") REFERENCES "public"."payment_cycles"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_enrolment_id_enrolments_id_fk" FOREIGN KEY ("enrolment_id") REFERENCES "public"."enrolments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_program_code_programs_code_fk" FOREIGN KEY ("program_code") REFERENCES "public"."programs"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_recipient_id_payment_recipients_id_fk" FOREIGN KEY ("recipient_id") REFERENCES "public"."payment_recipients"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_carried_from_payments_id_fk" FOREIGN KEY ("carried_from") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_cycles_commune_period_uq" ON "payment_cycles" USING btree ("commune_code","period");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_recipients_enrolment_from_uq" ON "payment_recipients" USING btree ("enrolment_id","valid_from");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_results_key_uq" ON "payment_results" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "payment_results_payment_idx" ON "payment_results" USING btree ("payment_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payments_regular_uq" ON "payments" USING btree ("enrolment_id","period") WHERE "payments"."kind" = 'REGULAR';--> statement-breakpoint
CREATE UNIQUE INDEX "payments_carried_uq" ON "payments" USING btree ("carried_from") WHERE "payments"."carried_from" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "payments_cycle_idx" ON "payments" USING btree ("cycle_id");--> statement-breakpoint
CREATE INDEX "payments_enrolment_idx" ON "payments" USING btree ("enrolment_id","period");--> statement-breakpoint
CREATE INDEX "payments_person_period_idx" ON "payments" USING btree ("person_id","period");--> statement-breakpoint
-- Money already written is never rewritten: a payment line keeps its enrolment, month, kind and amount for ever;
-- only its status moves forward (PENDING → PAID or FAILED, PAID → RETURNED), with the reference and paid date the
-- bank or post office gave. Corrections are new lines. Results and recipients are append-only.
CREATE OR REPLACE FUNCTION an_sinh_guard_payment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'payments rows are never deleted: record a result or a new line instead' USING ERRCODE = 'restrict_violation';
  END IF;
  IF (NEW.id, NEW.cycle_id, NEW.enrolment_id, NEW.person_id, NEW.program_code, NEW.period, NEW.kind, NEW.amount, NEW.needs_approval,
      NEW.recipient_id, NEW.method, NEW.carried_from, NEW.note, NEW.note_vi, NEW.created_at)
     IS DISTINCT FROM
     (OLD.id, OLD.cycle_id, OLD.enrolment_id, OLD.person_id, OLD.program_code, OLD.period, OLD.kind, OLD.amount, OLD.needs_approval,
      OLD.recipient_id, OLD.method, OLD.carried_from, OLD.note, OLD.note_vi, OLD.created_at) THEN
    RAISE EXCEPTION 'a payment line is never rewritten: only its status moves forward' USING ERRCODE = 'restrict_violation';
  END IF;
  IF NOT (OLD.status = NEW.status
          OR (OLD.status = 'PENDING' AND NEW.status IN ('PAID', 'FAILED'))
          OR (OLD.status = 'PAID' AND NEW.status = 'RETURNED')) THEN
    RAISE EXCEPTION 'a payment cannot go from % to %', OLD.status, NEW.status USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER payments_guard BEFORE UPDATE OR DELETE ON "payments"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_guard_payment();
--> statement-breakpoint
CREATE TRIGGER payment_results_immutable BEFORE UPDATE OR DELETE ON "payment_results"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_forbid_rewrite();
--> statement-breakpoint
CREATE TRIGGER payment_recipients_immutable BEFORE UPDATE OR DELETE ON "payment_recipients"
  FOR EACH ROW EXECUTE FUNCTION an_sinh_forbid_rewrite();
