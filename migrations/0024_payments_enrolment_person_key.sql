-- A payment line's enrolment and person are checked by one key instead of two (payments_enrolment_person_fk): a
-- month's cycles write hundreds of thousands of lines, and each foreign-key check finds and locks a row, the
-- person's among ten million. The person's existence follows from the enrolment's own key to persons; the new key
-- also refuses a line whose person is not its enrolment's, which the two keys allowed.
ALTER TABLE "enrolments" ADD CONSTRAINT "enrolments_id_person_uq" UNIQUE("id","person_id");
--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_enrolment_person_fk" FOREIGN KEY ("enrolment_id","person_id") REFERENCES "public"."enrolments"("id","person_id") ON DELETE no action ON UPDATE no action;
--> statement-breakpoint
ALTER TABLE "payments" DROP CONSTRAINT "payments_enrolment_id_enrolments_id_fk";
--> statement-breakpoint
ALTER TABLE "payments" DROP CONSTRAINT "payments_person_id_persons_id_fk";
