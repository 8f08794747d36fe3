-- An import row's target is the record of the batch's kind (a person, an account, an installer, a lead …).
ALTER TABLE "import_rows" RENAME COLUMN "target_person_id" TO "target_id";--> statement-breakpoint
-- 0006 indexed people by postcode alone (outside crm's schema); the import's weak signal is name + postcode,
-- which that index answered by reading every person of the postcode. Now one probe, declared in crm's schema.
DROP INDEX IF EXISTS "people_tenant_postcode_idx";--> statement-breakpoint
CREATE INDEX "people_tenant_postcode_name_idx" ON "people" USING btree ("tenant_id","postcode",lower("full_name")) WHERE postcode is not null;--> statement-breakpoint
-- Room on each page for HOT updates: an import or an edit that changes no indexed column then touches no
-- index (the trigram GIN index above all).
ALTER TABLE "people" SET (fillfactor = 90);
