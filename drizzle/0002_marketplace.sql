CREATE TABLE "follow_ups" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"lead_id" uuid NOT NULL,
	"assignment_id" uuid NOT NULL,
	"installer_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text DEFAULT 'scheduled' NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"satisfaction_score" integer,
	"nps" integer,
	"has_issue" boolean DEFAULT false NOT NULL,
	"issue_category" text,
	"issue_severity" text,
	"issue_resolution" text,
	"notes" text,
	"responded_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "follow_ups_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "installer_contacts" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"installer_id" uuid NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"phone" text,
	"role" text,
	"is_primary" boolean DEFAULT false NOT NULL,
	"receives_lead_notifications" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "installer_contacts_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "installer_notes" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"installer_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"body" text NOT NULL,
	"author_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "installer_notes_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "installer_regions" (
	"tenant_id" uuid NOT NULL,
	"installer_id" uuid NOT NULL,
	"region_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "installer_regions_tenant_id_installer_id_region_id_pk" PRIMARY KEY("tenant_id","installer_id","region_id")
);
--> statement-breakpoint
CREATE TABLE "installers" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"name" text NOT NULL,
	"legal_name" text,
	"company_number" text,
	"vat_number" text,
	"website" text,
	"email" text,
	"phone" text,
	"address" jsonb,
	"status" text DEFAULT 'onboarding' NOT NULL,
	"services" text[] DEFAULT '{}'::text[] NOT NULL,
	"capacity_daily" integer,
	"capacity_weekly" integer,
	"capacity_monthly" integer,
	"priority" integer DEFAULT 100 NOT NULL,
	"quality_score" numeric DEFAULT 50 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "installers_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "region_postcodes" (
	"tenant_id" uuid NOT NULL,
	"country" text NOT NULL,
	"pattern" text NOT NULL,
	"region_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "region_postcodes_tenant_id_country_pattern_pk" PRIMARY KEY("tenant_id","country","pattern")
);
--> statement-breakpoint
CREATE TABLE "regions" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"country" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "regions_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "assignment_events" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"assignment_id" uuid NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" uuid,
	"note" text,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "assignment_events_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "lead_assignments" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"lead_id" uuid NOT NULL,
	"installer_id" uuid NOT NULL,
	"decision_id" uuid NOT NULL,
	"status" text DEFAULT 'offered' NOT NULL,
	"offered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"responded_at" timestamp with time zone,
	"quote_amount" bigint,
	"quote_currency" text,
	"install_scheduled_for" timestamp with time zone,
	"installed_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lead_assignments_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "routing_decisions" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"lead_id" uuid NOT NULL,
	"mode" text NOT NULL,
	"strategy" text NOT NULL,
	"trigger" text NOT NULL,
	"region_id" uuid,
	"outcome" text NOT NULL,
	"candidates" jsonb NOT NULL,
	"decided_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "routing_decisions_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "installer_contacts" ADD CONSTRAINT "installer_contacts_tenant_id_installer_id_installers_tenant_id_id_fk" FOREIGN KEY ("tenant_id","installer_id") REFERENCES "public"."installers"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "installer_notes" ADD CONSTRAINT "installer_notes_tenant_id_installer_id_installers_tenant_id_id_fk" FOREIGN KEY ("tenant_id","installer_id") REFERENCES "public"."installers"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "installer_regions" ADD CONSTRAINT "installer_regions_tenant_id_installer_id_installers_tenant_id_id_fk" FOREIGN KEY ("tenant_id","installer_id") REFERENCES "public"."installers"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "region_postcodes" ADD CONSTRAINT "region_postcodes_tenant_id_region_id_regions_tenant_id_id_fk" FOREIGN KEY ("tenant_id","region_id") REFERENCES "public"."regions"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assignment_events" ADD CONSTRAINT "assignment_events_tenant_id_assignment_id_lead_assignments_tenant_id_id_fk" FOREIGN KEY ("tenant_id","assignment_id") REFERENCES "public"."lead_assignments"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lead_assignments" ADD CONSTRAINT "lead_assignments_tenant_id_decision_id_routing_decisions_tenant_id_id_fk" FOREIGN KEY ("tenant_id","decision_id") REFERENCES "public"."routing_decisions"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "follow_ups_assignment_kind_key" ON "follow_ups" USING btree ("tenant_id","assignment_id","kind");--> statement-breakpoint
CREATE INDEX "follow_ups_lead_idx" ON "follow_ups" USING btree ("tenant_id","lead_id");--> statement-breakpoint
CREATE INDEX "follow_ups_installer_idx" ON "follow_ups" USING btree ("tenant_id","installer_id","status","id");--> statement-breakpoint
CREATE INDEX "follow_ups_status_idx" ON "follow_ups" USING btree ("tenant_id","status","id");--> statement-breakpoint
CREATE UNIQUE INDEX "installer_contacts_one_primary_key" ON "installer_contacts" USING btree ("tenant_id","installer_id") WHERE is_primary;--> statement-breakpoint
CREATE INDEX "installer_notes_installer_idx" ON "installer_notes" USING btree ("tenant_id","installer_id","id");--> statement-breakpoint
CREATE INDEX "installer_regions_region_idx" ON "installer_regions" USING btree ("tenant_id","region_id","installer_id");--> statement-breakpoint
CREATE INDEX "installers_tenant_status_idx" ON "installers" USING btree ("tenant_id","status","id");--> statement-breakpoint
CREATE INDEX "region_postcodes_region_idx" ON "region_postcodes" USING btree ("tenant_id","region_id");--> statement-breakpoint
CREATE UNIQUE INDEX "regions_tenant_code_key" ON "regions" USING btree ("tenant_id","code");--> statement-breakpoint
CREATE INDEX "assignment_events_assignment_idx" ON "assignment_events" USING btree ("tenant_id","assignment_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "lead_assignments_lead_installer_key" ON "lead_assignments" USING btree ("tenant_id","lead_id","installer_id");--> statement-breakpoint
CREATE INDEX "lead_assignments_installer_offered_idx" ON "lead_assignments" USING btree ("tenant_id","installer_id","offered_at");--> statement-breakpoint
CREATE INDEX "lead_assignments_installer_status_idx" ON "lead_assignments" USING btree ("tenant_id","installer_id","status","id");--> statement-breakpoint
CREATE INDEX "lead_assignments_status_expiry_idx" ON "lead_assignments" USING btree ("status","expires_at");--> statement-breakpoint
CREATE INDEX "routing_decisions_lead_idx" ON "routing_decisions" USING btree ("tenant_id","lead_id","id");--> statement-breakpoint
ALTER TABLE regions ADD CONSTRAINT regions_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE installers ADD CONSTRAINT installers_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE installer_regions ADD CONSTRAINT installer_regions_region_fk FOREIGN KEY (tenant_id, region_id) REFERENCES regions(tenant_id, id);
--> statement-breakpoint
ALTER TABLE installer_notes ADD CONSTRAINT installer_notes_author_fk FOREIGN KEY (tenant_id, author_user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE users ADD CONSTRAINT users_installer_fk FOREIGN KEY (tenant_id, installer_id) REFERENCES installers(tenant_id, id);
--> statement-breakpoint
ALTER TABLE routing_decisions ADD CONSTRAINT routing_decisions_lead_fk FOREIGN KEY (tenant_id, lead_id) REFERENCES leads(tenant_id, id);
--> statement-breakpoint
ALTER TABLE routing_decisions ADD CONSTRAINT routing_decisions_region_fk FOREIGN KEY (tenant_id, region_id) REFERENCES regions(tenant_id, id);
--> statement-breakpoint
ALTER TABLE lead_assignments ADD CONSTRAINT lead_assignments_lead_fk FOREIGN KEY (tenant_id, lead_id) REFERENCES leads(tenant_id, id);
--> statement-breakpoint
ALTER TABLE lead_assignments ADD CONSTRAINT lead_assignments_installer_fk FOREIGN KEY (tenant_id, installer_id) REFERENCES installers(tenant_id, id);
--> statement-breakpoint
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_lead_fk FOREIGN KEY (tenant_id, lead_id) REFERENCES leads(tenant_id, id);
--> statement-breakpoint
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_assignment_fk FOREIGN KEY (tenant_id, assignment_id) REFERENCES lead_assignments(tenant_id, id);
--> statement-breakpoint
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_installer_fk FOREIGN KEY (tenant_id, installer_id) REFERENCES installers(tenant_id, id);
--> statement-breakpoint
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_satisfaction_range CHECK (satisfaction_score BETWEEN 1 AND 5);
--> statement-breakpoint
ALTER TABLE follow_ups ADD CONSTRAINT follow_ups_nps_range CHECK (nps BETWEEN 0 AND 10);
--> statement-breakpoint
ALTER TABLE installers ADD CONSTRAINT installers_quality_range CHECK (quality_score BETWEEN 0 AND 100);
--> statement-breakpoint
ALTER TABLE installers ADD CONSTRAINT installers_capacity_positive CHECK (coalesce(capacity_daily, 0) >= 0 AND coalesce(capacity_weekly, 0) >= 0 AND coalesce(capacity_monthly, 0) >= 0);
--> statement-breakpoint
SELECT helio_make_append_only('assignment_events');
--> statement-breakpoint
SELECT helio_make_append_only('routing_decisions');
--> statement-breakpoint
SELECT helio_apply_tenant_security();
