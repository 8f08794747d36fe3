CREATE TABLE "import_commit_lanes" (
	"tenant_id" uuid NOT NULL,
	"batch_id" uuid NOT NULL,
	"lane" integer NOT NULL,
	"lanes" integer NOT NULL,
	"committed_through" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "import_commit_lanes_tenant_id_batch_id_lane_pk" PRIMARY KEY("tenant_id","batch_id","lane")
);
--> statement-breakpoint
ALTER TABLE "import_commit_lanes" ADD CONSTRAINT "import_commit_lanes_tenant_id_batch_id_import_batches_tenant_id_id_fk" FOREIGN KEY ("tenant_id","batch_id") REFERENCES "public"."import_batches"("tenant_id","id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
SELECT helio_apply_tenant_security();
