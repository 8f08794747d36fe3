-- Tenancy as a database guarantee: the application role, row-level security on every tenant table,
-- append-only history tables, and the foreign keys that cross module boundaries (always tenant-scoped).
DO $$
BEGIN
  CREATE ROLE helio_app NOLOGIN;
EXCEPTION
  WHEN duplicate_object OR unique_violation THEN NULL;
  WHEN insufficient_privilege THEN RAISE NOTICE 'helio: cannot create role helio_app; row-level security will not be enforced for this connection';
END $$;
--> statement-breakpoint
DO $$
BEGIN
  EXECUTE format('GRANT helio_app TO %I', current_user);
EXCEPTION WHEN others THEN RAISE NOTICE 'helio: cannot grant helio_app to %: %', current_user, SQLERRM;
END $$;
--> statement-breakpoint
-- Re-run by every later migration that adds tenant tables: grants, RLS and the tenant policy.
CREATE OR REPLACE FUNCTION helio_apply_tenant_security() RETURNS void LANGUAGE plpgsql AS $$
DECLARE r record;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'helio_app') THEN
    EXECUTE 'GRANT USAGE ON SCHEMA public TO helio_app';
    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO helio_app';
    EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO helio_app';
    EXECUTE 'REVOKE ALL ON platform_settings FROM helio_app';
  END IF;
  FOR r IN
    SELECT c.relname FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
    WHERE n.nspname = 'public' AND c.relkind = 'r'
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', r.relname);
    IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = r.relname AND policyname = 'tenant_isolation') THEN
      EXECUTE format(
        'CREATE POLICY tenant_isolation ON %I USING (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid) WITH CHECK (tenant_id = nullif(current_setting(''app.tenant_id'', true), '''')::uuid)',
        r.relname);
    END IF;
  END LOOP;
END $$;
--> statement-breakpoint
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY tenant_isolation ON tenants USING (id = nullif(current_setting('app.tenant_id', true), '')::uuid);
--> statement-breakpoint
SELECT helio_apply_tenant_security();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION helio_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'helio: % is append-only', TG_TABLE_NAME USING ERRCODE = 'HX001';
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION helio_make_append_only(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TRIGGER append_only_row BEFORE UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION helio_append_only()', t);
  EXECUTE format('CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION helio_append_only()', t);
END $$;
--> statement-breakpoint
SELECT helio_make_append_only('audit_events');
--> statement-breakpoint
SELECT helio_make_append_only('lead_status_events');
--> statement-breakpoint
SELECT helio_make_append_only('pipeline_events');
--> statement-breakpoint
ALTER TABLE leads ADD CONSTRAINT leads_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE leads ADD CONSTRAINT leads_person_fk FOREIGN KEY (tenant_id, person_id) REFERENCES people(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
ALTER TABLE leads ADD CONSTRAINT leads_assigned_user_fk FOREIGN KEY (tenant_id, assigned_user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE leads ADD CONSTRAINT leads_created_by_fk FOREIGN KEY (tenant_id, created_by_user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE leads ADD CONSTRAINT leads_converted_account_fk FOREIGN KEY (tenant_id, converted_account_id) REFERENCES accounts(tenant_id, id);
--> statement-breakpoint
ALTER TABLE leads ADD CONSTRAINT leads_converted_project_fk FOREIGN KEY (tenant_id, converted_project_id) REFERENCES projects(tenant_id, id);
--> statement-breakpoint
ALTER TABLE leads ADD CONSTRAINT leads_converted_opportunity_fk FOREIGN KEY (tenant_id, converted_opportunity_id) REFERENCES opportunities(tenant_id, id);
--> statement-breakpoint
ALTER TABLE lead_status_events ADD CONSTRAINT lead_status_events_user_fk FOREIGN KEY (tenant_id, changed_by_user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE question_sets ADD CONSTRAINT question_sets_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE people ADD CONSTRAINT people_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE accounts ADD CONSTRAINT accounts_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE accounts ADD CONSTRAINT accounts_source_lead_fk FOREIGN KEY (tenant_id, source_lead_id) REFERENCES leads(tenant_id, id);
--> statement-breakpoint
ALTER TABLE pipelines ADD CONSTRAINT pipelines_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE opportunities ADD CONSTRAINT opportunities_lead_fk FOREIGN KEY (tenant_id, lead_id) REFERENCES leads(tenant_id, id);
--> statement-breakpoint
ALTER TABLE opportunities ADD CONSTRAINT opportunities_owner_fk FOREIGN KEY (tenant_id, owner_user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE projects ADD CONSTRAINT projects_source_lead_fk FOREIGN KEY (tenant_id, source_lead_id) REFERENCES leads(tenant_id, id);
--> statement-breakpoint
ALTER TABLE projects ADD CONSTRAINT projects_consultant_fk FOREIGN KEY (tenant_id, consultant_user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE tasks ADD CONSTRAINT tasks_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE tasks ADD CONSTRAINT tasks_lead_fk FOREIGN KEY (tenant_id, lead_id) REFERENCES leads(tenant_id, id) DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
ALTER TABLE tasks ADD CONSTRAINT tasks_assignee_fk FOREIGN KEY (tenant_id, assignee_user_id) REFERENCES users(tenant_id, id);
--> statement-breakpoint
ALTER TABLE tasks ADD CONSTRAINT tasks_opportunity_fk FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities(tenant_id, id);
--> statement-breakpoint
ALTER TABLE tasks ADD CONSTRAINT tasks_project_fk FOREIGN KEY (tenant_id, project_id) REFERENCES projects(tenant_id, id);
--> statement-breakpoint
ALTER TABLE outbox_events ADD CONSTRAINT outbox_events_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants(id);
--> statement-breakpoint
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
--> statement-breakpoint
CREATE INDEX outbox_events_pending_idx ON outbox_events (occurred_at) WHERE dispatched_at IS NULL;
--> statement-breakpoint
-- Intake issues its inserts together (pipelined); these references are checked at commit instead.
ALTER TABLE tasks ALTER CONSTRAINT tasks_tenant_id_person_id_people_tenant_id_id_fk DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
ALTER TABLE lead_status_events ALTER CONSTRAINT lead_status_events_tenant_id_lead_id_leads_tenant_id_id_fk DEFERRABLE INITIALLY DEFERRED;
--> statement-breakpoint
ALTER TABLE lead_submissions ALTER CONSTRAINT lead_submissions_tenant_id_lead_id_leads_tenant_id_id_fk DEFERRABLE INITIALLY DEFERRED;
