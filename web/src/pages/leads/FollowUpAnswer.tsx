import type { FormEvent } from 'react';
import { api, type Body, type RequestBody, unwrap } from '../../api/client';
import { ActionOutcome } from '../../components/ActionOutcome';
import { HumanOptions } from '../../components/HumanOptions';
import { formText } from '../../lib/forms';
import { useAction } from '../../lib/useAction';

type FollowUp = Body<'/api/follow-ups/{id}', 'get'>;
type Patch = RequestBody<'/api/follow-ups/{id}', 'patch'>;

const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
const SCORES = [1, 2, 3, 4, 5];
const NPS = Array.from({ length: 11 }, (_, n) => n);

/**
 * The homeowner's answer to a follow-up, as staff record it from a call or a reply: satisfaction (1–5),
 * NPS (0–10), an issue with its category and severity, notes; or the follow-up closed. A high or critical
 * issue escalates it (the API decides the status).
 */
export function FollowUpAnswer({ followUp: f, onChanged }: { followUp: FollowUp; onChanged: () => void }) {
  const action = useAction();
  const send = async (body: Patch, success: string) => {
    const done = await action.run(
      () => unwrap(api.PATCH('/api/follow-ups/{id}', { params: { path: { id: f.id } }, body })),
      () => success,
    );
    if (done) onChanged();
  };

  async function record(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const value = (name: string) => formText(form, name);
    const body: Patch = {};
    if (value('satisfactionScore')) body.satisfactionScore = Number(value('satisfactionScore'));
    if (value('nps')) body.nps = Number(value('nps'));
    if (form.get('hasIssue')) {
      body.hasIssue = true;
      body.issueCategory = value('issueCategory') || null;
      body.issueSeverity = (value('issueSeverity') || null) as Patch['issueSeverity'];
    }
    if (value('notes')) body.notes = value('notes');
    await send(body, 'Answer recorded.');
  }

  return (
    <form className="follow-up-answer" onSubmit={record} aria-label={`Answer to the ${f.kind.replace('_', ' ')}`}>
      <label>
        Satisfaction
        <select name="satisfactionScore" defaultValue={f.satisfactionScore ?? ''}>
          <option value="">—</option>
          {SCORES.map((n) => (
            <option key={n} value={n}>
              {n} of 5
            </option>
          ))}
        </select>
      </label>
      <label>
        Would recommend (0–10)
        <select name="nps" defaultValue={f.nps ?? ''}>
          <option value="">—</option>
          {NPS.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <label className="checkbox">
        <input type="checkbox" name="hasIssue" defaultChecked={f.hasIssue} /> An issue was reported
      </label>
      <label>
        Issue
        <input name="issueCategory" maxLength={100} defaultValue={f.issue?.category ?? ''} />
      </label>
      <label>
        Severity
        <select name="issueSeverity" defaultValue={f.issue?.severity ?? ''}>
          <option value="">—</option>
          <HumanOptions values={SEVERITIES} />
        </select>
      </label>
      <label>
        Notes
        <textarea name="notes" maxLength={5000} rows={2} defaultValue={f.notes ?? ''} />
      </label>
      <div className="buttons">
        <button type="submit" disabled={action.busy}>
          Record the answer
        </button>
        <button
          type="button"
          className="secondary"
          disabled={action.busy}
          onClick={() => send({ status: 'closed' }, 'Follow-up closed.')}
        >
          Close the follow-up
        </button>
      </div>
      <ActionOutcome action={action} />
    </form>
  );
}
