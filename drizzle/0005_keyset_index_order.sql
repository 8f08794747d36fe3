DROP INDEX "accounts_tenant_id_desc_idx";--> statement-breakpoint
DROP INDEX "opportunities_person_recent_idx";--> statement-breakpoint
DROP INDEX "opportunities_tenant_id_desc_idx";--> statement-breakpoint
DROP INDEX "people_tenant_id_desc_idx";--> statement-breakpoint
DROP INDEX "projects_tenant_id_desc_idx";--> statement-breakpoint
DROP INDEX "interactions_person_time_idx";--> statement-breakpoint
DROP INDEX "leads_tenant_id_desc_idx";--> statement-breakpoint
DROP INDEX "leads_tenant_status_idx";--> statement-breakpoint
DROP INDEX "leads_tenant_assigned_idx";--> statement-breakpoint
DROP INDEX "leads_tenant_source_idx";--> statement-breakpoint
CREATE INDEX "accounts_tenant_id_desc_idx" ON "accounts" USING btree ("tenant_id","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "opportunities_person_recent_idx" ON "opportunities" USING btree ("tenant_id","person_id","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "opportunities_tenant_id_desc_idx" ON "opportunities" USING btree ("tenant_id","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "people_tenant_id_desc_idx" ON "people" USING btree ("tenant_id","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "projects_tenant_id_desc_idx" ON "projects" USING btree ("tenant_id","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "interactions_person_time_idx" ON "interactions" USING btree ("tenant_id","person_id","happened_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "leads_tenant_id_desc_idx" ON "leads" USING btree ("tenant_id","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "leads_tenant_status_idx" ON "leads" USING btree ("tenant_id","status","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "leads_tenant_assigned_idx" ON "leads" USING btree ("tenant_id","assigned_user_id","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "leads_tenant_source_idx" ON "leads" USING btree ("tenant_id","source","id" DESC NULLS FIRST);