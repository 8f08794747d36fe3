import { sql } from 'drizzle-orm';
import { type Ctx, requireTenant } from '../../../platform/context.ts';
import { rows } from '../../../platform/db.ts';
import type { RowAction } from '../schema.ts';

export interface WrittenRow {
  row_number: number;
  action: RowAction;
  target_id: string;
  data: Record<string, unknown>;
  diff: Record<string, { from: unknown; to: unknown }> | null;
  applied_version: number | null;
  prior: Record<string, unknown> | null;
}

/** The rows a committed batch wrote (as repository.written: a create within the checkpoint without a note). */
export async function writtenRows(ctx: Ctx, batchId: string, checkpoint: number) {
  const tenantId = requireTenant(ctx);
  return rows<WrittenRow>(
    ctx.tx,
    sql`select row_number, action, target_id, data, diff, applied_version, prior from import_rows
        where tenant_id = ${tenantId} and batch_id = ${batchId}
          and (applied_version is not null or (action = 'create' and commit_note is null and row_number <= ${checkpoint}))
        order by row_number`,
  );
}
