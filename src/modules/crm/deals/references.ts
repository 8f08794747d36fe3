import { AppError, dbConstraint, dbErrorCode, validationFailed } from '../../../platform/errors.ts';

/** A foreign key of ours (by constraint name) and the request field it checks. */
export type ReferencePaths = [constraint: RegExp, path: string][];

/**
 * Composite foreign keys make a reference to another tenant's (or a missing) record impossible; this
 * turns their violation (23503) into the 400 naming the request field. Anything else is rethrown.
 */
export function referenceError(err: unknown, paths: ReferencePaths): AppError | undefined {
  if (err instanceof AppError || dbErrorCode(err) !== '23503') return undefined;
  const constraint = dbConstraint(err) ?? '';
  const path = paths.find(([re]) => re.test(constraint))?.[1];
  return path ? validationFailed([{ path, message: 'no such record in this tenant' }]) : undefined;
}

/** Runs a write and maps a violated reference to its 400. */
export async function checkingReferences<T>(paths: ReferencePaths, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw referenceError(err, paths) ?? err;
  }
}
