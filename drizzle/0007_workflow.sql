-- Governed changes (workflow module): proposals, approvals, policy decisions, agent runs; person tombstones for merges.
CREATE TABLE "workflow_agent_runs" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"agent_name" text NOT NULL,
	"model" text NOT NULL,
	"input_ref" text,
	"output" jsonb,
	"status" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"recorded_by_actor_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_agent_runs_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "workflow_approvals" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"proposal_id" uuid NOT NULL,
	"decision" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" uuid,
	"user_id" uuid,
	"reason" text,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_approvals_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "workflow_policies" (
	"tenant_id" uuid NOT NULL,
	"settings" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_by_actor_id" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_policies_tenant_id_pk" PRIMARY KEY("tenant_id")
);
--> statement-breakpoint
CREATE TABLE "workflow_policy_decisions" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"proposal_id" uuid NOT NULL,
	"decision" text NOT NULL,
	"rule" text NOT NULL,
	"risk_level" text NOT NULL,
	"policy_version" integer NOT NULL,
	"inputs" jsonb NOT NULL,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_policy_decisions_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "workflow_proposals" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"source" text NOT NULL,
	"source_ref" text,
	"agent_run_id" uuid,
	"target_domain" text NOT NULL,
	"target_entity_type" text NOT NULL,
	"target_entity_ref" uuid NOT NULL,
	"operation" text NOT NULL,
	"patch" jsonb NOT NULL,
	"base_version" integer NOT NULL,
	"record_count" integer DEFAULT 1 NOT NULL,
	"risk_level" text NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"branch_group" text,
	"branch_key" text,
	"superseded_by_id" uuid,
	"proposed_by_actor_id" uuid,
	"proposed_by_user_id" uuid,
	"decided_by_actor_id" uuid,
	"decided_at" timestamp with time zone,
	"executed_by_actor_id" uuid,
	"executed_at" timestamp with time zone,
	"execution_result" jsonb,
	"undone_by_actor_id" uuid,
	"undone_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workflow_proposals_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "merged_into_id" uuid;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "merged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "workflow_approvals" ADD CONSTRAINT "workflow_approvals_tenant_id_proposal_id_workflow_proposals_tenant_id_id_fk" FOREIGN KEY ("tenant_id","proposal_id") REFERENCES "public"."workflow_proposals"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_policy_decisions" ADD CONSTRAINT "workflow_policy_decisions_tenant_id_proposal_id_workflow_proposals_tenant_id_id_fk" FOREIGN KEY ("tenant_id","proposal_id") REFERENCES "public"."workflow_proposals"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workflow_proposals" ADD CONSTRAINT "workflow_proposals_tenant_id_agent_run_id_workflow_agent_runs_tenant_id_id_fk" FOREIGN KEY ("tenant_id","agent_run_id") REFERENCES "public"."workflow_agent_runs"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "workflow_agent_runs_recent_idx" ON "workflow_agent_runs" USING btree ("tenant_id","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "workflow_approvals_proposal_idx" ON "workflow_approvals" USING btree ("tenant_id","proposal_id","id");--> statement-breakpoint
CREATE INDEX "workflow_policy_decisions_proposal_idx" ON "workflow_policy_decisions" USING btree ("tenant_id","proposal_id","id");--> statement-breakpoint
CREATE INDEX "workflow_proposals_recent_idx" ON "workflow_proposals" USING btree ("tenant_id","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "workflow_proposals_status_idx" ON "workflow_proposals" USING btree ("tenant_id","status","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "workflow_proposals_target_idx" ON "workflow_proposals" USING btree ("tenant_id","target_domain","target_entity_ref");--> statement-breakpoint
CREATE INDEX "workflow_proposals_open_idx" ON "workflow_proposals" USING btree ("tenant_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST) WHERE status in ('draft', 'review_required', 'approved');--> statement-breakpoint
CREATE INDEX "workflow_proposals_agent_run_idx" ON "workflow_proposals" USING btree ("tenant_id","agent_run_id");--> statement-breakpoint
CREATE UNIQUE INDEX "workflow_proposals_branch_executed_key" ON "workflow_proposals" USING btree ("tenant_id","branch_group") WHERE status = 'executed' and branch_group is not null;--> statement-breakpoint
CREATE INDEX "workflow_proposals_branch_idx" ON "workflow_proposals" USING btree ("tenant_id","branch_group");--> statement-breakpoint
ALTER TABLE "people" ADD CONSTRAINT "people_tenant_id_merged_into_id_people_tenant_id_id_fk" FOREIGN KEY ("tenant_id","merged_into_id") REFERENCES "public"."people"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "people_merged_into_idx" ON "people" USING btree ("tenant_id","merged_into_id") WHERE merged_into_id is not null;--> statement-breakpoint
ALTER TABLE workflow_policies ADD CONSTRAINT workflow_policies_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE workflow_agent_runs ADD CONSTRAINT workflow_agent_runs_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE workflow_proposals ADD CONSTRAINT workflow_proposals_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
SELECT helio_apply_tenant_security();
--> statement-breakpoint
SELECT helio_make_append_only('workflow_approvals');
--> statement-breakpoint
SELECT helio_make_append_only('workflow_policy_decisions');
