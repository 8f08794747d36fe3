CREATE TABLE "import_batch_events" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"batch_id" uuid NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"reason" text,
	"actor_kind" text NOT NULL,
	"actor_id" uuid,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "import_batch_events_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "import_batches" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"file_name" text NOT NULL,
	"format" text NOT NULL,
	"file_sha256" text,
	"file_bytes" integer,
	"encoding" text,
	"delimiter" text,
	"columns" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"suggested_mapping" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"mapping" jsonb,
	"mapping_template" text,
	"row_count" integer DEFAULT 0 NOT NULL,
	"report" jsonb,
	"commit_result" jsonb,
	"committed_through" integer DEFAULT 0 NOT NULL,
	"failure_reason" text,
	"created_by_user_id" uuid,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "import_batches_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "import_mapping_templates" (
	"tenant_id" uuid NOT NULL,
	"id" uuid NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"mapping" jsonb NOT NULL,
	"created_by_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "import_mapping_templates_tenant_id_id_pk" PRIMARY KEY("tenant_id","id")
);
--> statement-breakpoint
CREATE TABLE "import_rows" (
	"tenant_id" uuid NOT NULL,
	"batch_id" uuid NOT NULL,
	"row_number" integer NOT NULL,
	"raw" jsonb NOT NULL,
	"data" jsonb,
	"action" text,
	"target_person_id" uuid,
	"errors" jsonb,
	"evidence" jsonb,
	"diff" jsonb,
	"applied_version" integer,
	"prior" jsonb,
	"commit_note" text,
	CONSTRAINT "import_rows_tenant_id_batch_id_row_number_pk" PRIMARY KEY("tenant_id","batch_id","row_number")
);
--> statement-breakpoint
ALTER TABLE "import_batch_events" ADD CONSTRAINT "import_batch_events_tenant_id_batch_id_import_batches_tenant_id_id_fk" FOREIGN KEY ("tenant_id","batch_id") REFERENCES "public"."import_batches"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "import_rows" ADD CONSTRAINT "import_rows_tenant_id_batch_id_import_batches_tenant_id_id_fk" FOREIGN KEY ("tenant_id","batch_id") REFERENCES "public"."import_batches"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "import_batch_events_batch_idx" ON "import_batch_events" USING btree ("tenant_id","batch_id","id");--> statement-breakpoint
CREATE INDEX "import_batches_tenant_id_desc_idx" ON "import_batches" USING btree ("tenant_id","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE UNIQUE INDEX "import_mapping_templates_name_key" ON "import_mapping_templates" USING btree ("tenant_id","kind","name");--> statement-breakpoint
CREATE INDEX "import_rows_action_idx" ON "import_rows" USING btree ("tenant_id","batch_id","action","row_number");--> statement-breakpoint

SELECT helio_apply_tenant_security();
--> statement-breakpoint
SELECT helio_make_append_only('import_batch_events');
--> statement-breakpoint
-- Hand-written (not in a drizzle schema): serves crm's import match on name + postcode (matchPeopleForImport),
-- which otherwise scans every person of the tenant for each chunk of an import.
CREATE INDEX IF NOT EXISTS "people_tenant_postcode_idx" ON "people" USING btree ("tenant_id","postcode") WHERE postcode IS NOT NULL;
