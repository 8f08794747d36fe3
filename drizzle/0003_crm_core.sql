CREATE TABLE "campaign_assignments" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"lead_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"strategy" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaign_assignments_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "campaign_members" (
	"tenant_id" uuid NOT NULL,
	"campaign_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"weight" integer DEFAULT 1 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaign_members_tenant_id_campaign_id_user_id_pk" PRIMARY KEY("tenant_id","campaign_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "campaigns" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"strategy" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "campaigns_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "person_emails" (
	"tenant_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"email" text NOT NULL,
	"label" text,
	"is_primary" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "person_emails_tenant_id_person_id_email_pk" PRIMARY KEY("tenant_id","person_id","email")
);
--> statement-breakpoint
CREATE TABLE "person_phones" (
	"tenant_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"phone" text NOT NULL,
	"label" text,
	"is_primary" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "person_phones_tenant_id_person_id_phone_pk" PRIMARY KEY("tenant_id","person_id","phone")
);
--> statement-breakpoint
CREATE TABLE "project_contacts" (
	"tenant_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"role" text NOT NULL,
	"is_primary" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "project_contacts_tenant_id_project_id_person_id_pk" PRIMARY KEY("tenant_id","project_id","person_id")
);
--> statement-breakpoint
CREATE TABLE "property_interests" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"inventory_project_ref" text,
	"inventory_unit_ref" text,
	"product_code" text,
	"level" text DEFAULT 'medium' NOT NULL,
	"notes" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "property_interests_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "relationships" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"from_person_id" uuid NOT NULL,
	"to_person_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "relationships_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "interactions" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"type" text NOT NULL,
	"direction" text DEFAULT 'outbound' NOT NULL,
	"happened_at" timestamp with time zone NOT NULL,
	"summary" text,
	"source_ref" text,
	"account_id" uuid,
	"opportunity_id" uuid,
	"project_id" uuid,
	"lead_id" uuid,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "interactions_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "score_timeseries" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"score_type" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"value" numeric NOT NULL,
	"signal_source" text,
	"evidence_ref" text,
	CONSTRAINT "score_timeseries_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "scores" (
	"tenant_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"score_type" text NOT NULL,
	"current_value" numeric NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	"evidence_refs" jsonb,
	CONSTRAINT "scores_tenant_id_person_id_score_type_pk" PRIMARY KEY("tenant_id","person_id","score_type")
);
--> statement-breakpoint
DROP INDEX "tasks_person_idx";--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "linkedin_url" text;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "source_confidence" numeric;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "created_by_user_id" uuid;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "notes" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "created_by_user_id" uuid;--> statement-breakpoint
ALTER TABLE "campaign_assignments" ADD CONSTRAINT "campaign_assignments_tenant_id_campaign_id_campaigns_tenant_id_id_fk" FOREIGN KEY ("tenant_id","campaign_id") REFERENCES "public"."campaigns"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "campaign_members" ADD CONSTRAINT "campaign_members_tenant_id_campaign_id_campaigns_tenant_id_id_fk" FOREIGN KEY ("tenant_id","campaign_id") REFERENCES "public"."campaigns"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_emails" ADD CONSTRAINT "person_emails_tenant_id_person_id_people_tenant_id_id_fk" FOREIGN KEY ("tenant_id","person_id") REFERENCES "public"."people"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_phones" ADD CONSTRAINT "person_phones_tenant_id_person_id_people_tenant_id_id_fk" FOREIGN KEY ("tenant_id","person_id") REFERENCES "public"."people"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_contacts" ADD CONSTRAINT "project_contacts_tenant_id_project_id_projects_tenant_id_id_fk" FOREIGN KEY ("tenant_id","project_id") REFERENCES "public"."projects"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_contacts" ADD CONSTRAINT "project_contacts_tenant_id_person_id_people_tenant_id_id_fk" FOREIGN KEY ("tenant_id","person_id") REFERENCES "public"."people"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "property_interests" ADD CONSTRAINT "property_interests_tenant_id_person_id_people_tenant_id_id_fk" FOREIGN KEY ("tenant_id","person_id") REFERENCES "public"."people"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "relationships" ADD CONSTRAINT "relationships_tenant_id_from_person_id_people_tenant_id_id_fk" FOREIGN KEY ("tenant_id","from_person_id") REFERENCES "public"."people"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "relationships" ADD CONSTRAINT "relationships_tenant_id_to_person_id_people_tenant_id_id_fk" FOREIGN KEY ("tenant_id","to_person_id") REFERENCES "public"."people"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "campaign_assignments_lead_key" ON "campaign_assignments" USING btree ("tenant_id","campaign_id","lead_id");--> statement-breakpoint
CREATE INDEX "campaign_assignments_user_idx" ON "campaign_assignments" USING btree ("tenant_id","campaign_id","user_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "person_emails_one_primary_key" ON "person_emails" USING btree ("tenant_id","person_id") WHERE is_primary;--> statement-breakpoint
CREATE INDEX "person_emails_email_idx" ON "person_emails" USING btree ("tenant_id","email");--> statement-breakpoint
CREATE UNIQUE INDEX "person_phones_one_primary_key" ON "person_phones" USING btree ("tenant_id","person_id") WHERE is_primary;--> statement-breakpoint
CREATE INDEX "person_phones_phone_idx" ON "person_phones" USING btree ("tenant_id","phone");--> statement-breakpoint
CREATE UNIQUE INDEX "project_contacts_one_primary_key" ON "project_contacts" USING btree ("tenant_id","project_id") WHERE is_primary;--> statement-breakpoint
CREATE INDEX "project_contacts_person_idx" ON "project_contacts" USING btree ("tenant_id","person_id");--> statement-breakpoint
CREATE INDEX "property_interests_person_idx" ON "property_interests" USING btree ("tenant_id","person_id");--> statement-breakpoint
CREATE UNIQUE INDEX "relationships_pair_kind_key" ON "relationships" USING btree ("tenant_id","from_person_id","to_person_id","kind");--> statement-breakpoint
CREATE INDEX "relationships_to_idx" ON "relationships" USING btree ("tenant_id","to_person_id");--> statement-breakpoint
CREATE INDEX "interactions_person_time_idx" ON "interactions" USING btree ("tenant_id","person_id","happened_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "score_timeseries_person_idx" ON "score_timeseries" USING btree ("tenant_id","person_id","score_type","at");--> statement-breakpoint
CREATE INDEX "accounts_tenant_id_desc_idx" ON "accounts" USING btree ("tenant_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "opportunities_tenant_id_desc_idx" ON "opportunities" USING btree ("tenant_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "opportunities_pipeline_stage_idx" ON "opportunities" USING btree ("tenant_id","pipeline_id","stage");--> statement-breakpoint
CREATE INDEX "people_tenant_id_desc_idx" ON "people" USING btree ("tenant_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "people_search_trgm_idx" ON "people" USING gin ((coalesce(full_name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')) gin_trgm_ops);--> statement-breakpoint
CREATE INDEX "projects_tenant_id_desc_idx" ON "projects" USING btree ("tenant_id","id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "projects_primary_contact_idx" ON "projects" USING btree ("tenant_id","primary_contact_id");--> statement-breakpoint
CREATE INDEX "projects_pipeline_stage_idx" ON "projects" USING btree ("tenant_id","pipeline_id","stage");--> statement-breakpoint
CREATE INDEX "tasks_opportunity_idx" ON "tasks" USING btree ("tenant_id","opportunity_id");--> statement-breakpoint
CREATE INDEX "tasks_project_idx" ON "tasks" USING btree ("tenant_id","project_id");--> statement-breakpoint
CREATE INDEX "tasks_person_idx" ON "tasks" USING btree ("tenant_id","person_id","status");--> statement-breakpoint
ALTER TABLE campaigns ADD CONSTRAINT campaigns_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE campaign_members ADD CONSTRAINT campaign_members_user_fk FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE campaign_members ADD CONSTRAINT campaign_members_weight_positive CHECK (weight >= 0);
--> statement-breakpoint
ALTER TABLE campaign_assignments ADD CONSTRAINT campaign_assignments_lead_fk FOREIGN KEY (tenant_id, lead_id) REFERENCES leads(tenant_id, id);
--> statement-breakpoint
ALTER TABLE campaign_assignments ADD CONSTRAINT campaign_assignments_user_fk FOREIGN KEY (tenant_id, user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE people ADD CONSTRAINT people_created_by_fk FOREIGN KEY (tenant_id, created_by_user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE people ADD CONSTRAINT people_source_confidence_range CHECK (source_confidence BETWEEN 0 AND 1);
--> statement-breakpoint
ALTER TABLE tasks ADD CONSTRAINT tasks_created_by_fk FOREIGN KEY (tenant_id, created_by_user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE interactions ADD CONSTRAINT interactions_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE interactions ADD CONSTRAINT interactions_person_fk FOREIGN KEY (tenant_id, person_id) REFERENCES people(tenant_id, id);
--> statement-breakpoint
ALTER TABLE interactions ADD CONSTRAINT interactions_account_fk FOREIGN KEY (tenant_id, account_id) REFERENCES accounts(tenant_id, id);
--> statement-breakpoint
ALTER TABLE interactions ADD CONSTRAINT interactions_opportunity_fk FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities(tenant_id, id);
--> statement-breakpoint
ALTER TABLE interactions ADD CONSTRAINT interactions_project_fk FOREIGN KEY (tenant_id, project_id) REFERENCES projects(tenant_id, id);
--> statement-breakpoint
ALTER TABLE interactions ADD CONSTRAINT interactions_lead_fk FOREIGN KEY (tenant_id, lead_id) REFERENCES leads(tenant_id, id);
--> statement-breakpoint
ALTER TABLE interactions ADD CONSTRAINT interactions_created_by_fk FOREIGN KEY (tenant_id, created_by_user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE scores ADD CONSTRAINT scores_person_fk FOREIGN KEY (tenant_id, person_id) REFERENCES people(tenant_id, id);
--> statement-breakpoint
ALTER TABLE score_timeseries ADD CONSTRAINT score_timeseries_person_fk FOREIGN KEY (tenant_id, person_id) REFERENCES people(tenant_id, id);
--> statement-breakpoint
-- Existing people keep their primary email and phone as the first entries of their lists.
INSERT INTO person_emails (tenant_id, person_id, email, is_primary) SELECT tenant_id, id, email, true FROM people WHERE email IS NOT NULL ON CONFLICT DO NOTHING;
--> statement-breakpoint
INSERT INTO person_phones (tenant_id, person_id, phone, is_primary) SELECT tenant_id, id, phone, true FROM people WHERE phone IS NOT NULL ON CONFLICT DO NOTHING;
--> statement-breakpoint
SELECT helio_make_append_only('score_timeseries');
--> statement-breakpoint
SELECT helio_apply_tenant_security();
--> statement-breakpoint
ALTER TABLE person_emails ALTER CONSTRAINT person_emails_tenant_id_person_id_people_tenant_id_id_fk DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
ALTER TABLE person_phones ALTER CONSTRAINT person_phones_tenant_id_person_id_people_tenant_id_id_fk DEFERRABLE INITIALLY DEFERRED;
