-- Access paths of the coverage-gaps statement (docs/rules.md, "Coverage gaps"). The household's poverty
-- classification in force is its latest assessment: read backwards, this index gives it first, from the index
-- alone (it replaces poverty_assessments_household_idx, whose every use it serves). households_village_idx finds
-- the households of a village classified as extremely disadvantaged.
DROP INDEX "poverty_assessments_household_idx";--> statement-breakpoint
CREATE INDEX "households_village_idx" ON "households" USING btree ("village_code");--> statement-breakpoint
CREATE INDEX "poverty_assessments_household_latest_idx" ON "poverty_assessments" USING btree ("household_id","assessed_on","created_at","standard_code","classification");