import { z } from 'zod';
import { isoDateTime, text } from '../../../platform/http-schemas.ts';
import { listQuery } from '../../../platform/pagination.ts';
import { TASK_TYPES } from '../schema.ts';

export const taskType = z.enum(TASK_TYPES);
export const taskStatus = z.enum(['open', 'done', 'cancelled']);
const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

export const taskBody = z.strictObject({
  title: text(300),
  type: taskType,
  dueAt: isoDateTime,
  assigneeUserId: z.uuid().optional().describe('the caller when absent'),
  leadId: z.uuid().optional(),
  personId: z.uuid().optional(),
  opportunityId: z.uuid().optional(),
  projectId: z.uuid().optional(),
  notes: text(5000).optional(),
});
export type TaskInput = z.infer<typeof taskBody>;

export const taskPatchBody = z
  .strictObject({
    title: text(300),
    type: taskType,
    dueAt: isoDateTime,
    assigneeUserId: z.uuid().nullable(),
    leadId: z.uuid().nullable(),
    personId: z.uuid().nullable(),
    opportunityId: z.uuid().nullable(),
    projectId: z.uuid().nullable(),
    notes: text(5000).nullable(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'at least one field to change' });
export type TaskPatch = z.infer<typeof taskPatchBody>;

export const completeBody = z.strictObject({ notes: text(5000).optional() }).nullish();

export const task = z.object({
  id: z.uuid(),
  type: taskType,
  title: z.string(),
  status: taskStatus,
  dueAt: isoDateTime,
  overdue: z.boolean().describe('open and due in the past'),
  assigneeUserId: z.uuid().nullable(),
  leadId: z.uuid().nullable(),
  personId: z.uuid().nullable(),
  opportunityId: z.uuid().nullable(),
  projectId: z.uuid().nullable(),
  notes: z.string().nullable(),
  createdByUserId: z.uuid().nullable(),
  completedAt: isoDateTime.nullable(),
  version: z.number().int(),
  createdAt: isoDateTime,
});
export type TaskView = z.infer<typeof task>;

export const taskListQuery = z.strictObject({
  ...listQuery.shape,
  assigneeUserId: z.uuid().optional(),
  status: taskStatus.optional(),
  type: taskType.optional(),
  overdue: flag.optional().describe('true: open tasks due in the past; false: everything else'),
  mine: flag.optional().describe("true: the caller's tasks, open unless status says otherwise"),
  leadId: z.uuid().optional(),
  personId: z.uuid().optional(),
  opportunityId: z.uuid().optional(),
  projectId: z.uuid().optional(),
});
export type TaskListQuery = z.infer<typeof taskListQuery>;
