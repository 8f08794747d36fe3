import type { useAction } from '../lib/useAction';
import { ProblemMessage } from './ProblemMessage';

/** What the last action said: its notice (announced politely) or the API's problem (announced at once). */
export function ActionOutcome({ action }: { action: ReturnType<typeof useAction> }) {
  return (
    <>
      <p role="status" className="notice">
        {action.notice}
      </p>
      <ProblemMessage error={action.error} />
    </>
  );
}
