import { type FormEvent, useRef } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { ActionOutcome } from '../../components/ActionOutcome';
import { HumanOptions } from '../../components/HumanOptions';
import { ProblemMessage } from '../../components/ProblemMessage';
import { humanize } from '../../lib/format';
import { type Lead, MANUAL_TRANSITIONS } from '../../lib/leads';
import type { StaffUser } from '../../lib/staff';
import { useAction } from '../../lib/useAction';
import { useSession } from '../../session/session';

type Props = { lead: Lead; staff: StaffUser[]; onChanged: () => void };

const path = (lead: Lead) => ({ params: { path: { id: lead.id } } });

export function LeadActions({ lead, staff, onChanged }: Props) {
  const { can } = useSession();
  const action = useAction();
  const next = MANUAL_TRANSITIONS[lead.status];
  const open = !['converted', 'disqualified'].includes(lead.status) && !lead.erasedAt;

  async function transition(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const to = String(form.get('to')) as Lead['status'];
    const reason = String(form.get('reason')).trim() || undefined;
    const done = await action.run(
      () => unwrap(api.POST('/api/leads/{id}/transitions', { ...path(lead), body: { to, reason } })),
      (l) => `Status changed to ${humanize(l.status)}.`,
    );
    if (done) {
      formElement.reset();
      onChanged();
    }
  }

  async function assign(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const userId = String(new FormData(event.currentTarget).get('userId'));
    const done = await action.run(
      () => unwrap(api.POST('/api/leads/{id}/assign', { ...path(lead), body: { userId } })),
      () => `Assigned to ${staff.find((u) => u.id === userId)?.name ?? 'the user'}.`,
    );
    if (done) onChanged();
  }

  async function convert() {
    const done = await action.run(
      () => unwrap(api.POST('/api/leads/{id}/convert', path(lead))),
      () => 'Converted: the customer now has an account.',
    );
    if (done) onChanged();
  }

  return (
    <section className="card actions" aria-labelledby="actions-title">
      <h2 id="actions-title">Actions</h2>
      {can('leads:write') && next.length > 0 && open ? (
        <form className="inline" onSubmit={transition} aria-label="Change status">
          <label>
            Move to
            <select name="to" required>
              <HumanOptions values={next} />
            </select>
          </label>
          <label>
            Reason
            <input name="reason" maxLength={1000} />
          </label>
          <button type="submit" disabled={action.busy}>
            Change status
          </button>
        </form>
      ) : null}
      {can('leads:assign') && !lead.erasedAt ? (
        // Keyed so the current owner is selected once the staff list has arrived.
        <form
          key={`${lead.assignedUserId}:${staff.length}`}
          className="inline"
          onSubmit={assign}
          aria-label="Assign owner"
        >
          <label>
            Owner
            <select name="userId" required defaultValue={lead.assignedUserId ?? ''}>
              <option value="" disabled>
                Choose a user
              </option>
              {staff.map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={action.busy}>
            Assign
          </button>
        </form>
      ) : null}
      <div className="button-row">
        {can('leads:convert') && (lead.status === 'qualified' || lead.status === 'matched') ? (
          <button type="button" onClick={convert} disabled={action.busy}>
            Convert to customer
          </button>
        ) : null}
        {can('privacy:erase') && !lead.erasedAt ? <EraseLead lead={lead} onErased={onChanged} /> : null}
      </div>
      {lead.conversion ? (
        <p>
          Converted {lead.conversion.projectId ? 'with a project' : 'with an opportunity'} —{' '}
          <Link to={`/contacts/${lead.personId}`}>open the client 360</Link>.
        </p>
      ) : null}
      <ActionOutcome action={action} />
    </section>
  );
}

/** Erasure anonymizes the lead in place and cannot be undone: confirmed by typing the reference. */
function EraseLead({ lead, onErased }: { lead: Lead; onErased: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const action = useAction();

  async function erase(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const typed = String(new FormData(event.currentTarget).get('confirm')).trim().toUpperCase();
    if (typed !== lead.reference) return;
    const done = await action.run(
      () => unwrap(api.POST('/api/leads/{id}/erase', path(lead))),
      () => 'Personal data erased.',
    );
    if (done) {
      dialog.current?.close();
      onErased();
    }
  }

  return (
    <>
      <button type="button" className="danger" onClick={() => dialog.current?.showModal()}>
        Erase personal data…
      </button>
      <dialog ref={dialog} aria-labelledby="erase-title">
        <form method="dialog" onSubmit={erase} className="stack">
          <h2 id="erase-title">Erase {lead.reference}?</h2>
          <p>
            The contact details, answers and submissions are anonymized in place. The status history stays. This cannot
            be undone.
          </p>
          <label>
            Type the reference {lead.reference} to confirm
            <input name="confirm" required autoComplete="off" pattern={lead.reference} />
          </label>
          <ProblemMessage error={action.error} />
          <div className="button-row">
            <button type="submit" className="danger" disabled={action.busy}>
              Erase
            </button>
            <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
              Cancel
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
