import type { FormEvent } from 'react';
import { api, type RequestBody, unwrap } from '../../api/client';
import { ActionOutcome } from '../../components/ActionOutcome';
import { HumanOptions } from '../../components/HumanOptions';
import { formText, localInputValue } from '../../lib/forms';
import { useAction } from '../../lib/useAction';

type Body = RequestBody<'/api/crm/interactions', 'post'>;

const CHANNELS: Body['channel'][] = ['phone', 'email', 'sms', 'whatsapp', 'meeting', 'visit', 'web', 'other'];
const DIRECTIONS: NonNullable<Body['direction']>[] = ['outbound', 'inbound', 'internal'];

/** A call, message or visit with the person, logged by staff onto their timeline. */
export function LogInteraction({ personId, onLogged }: { personId: string; onLogged: () => void }) {
  const action = useAction();

  async function log(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const value = (name: string) => formText(form, name);
    const body: Body = {
      personId,
      channel: value('channel') as Body['channel'],
      type: value('type'),
      direction: value('direction') as Body['direction'],
      happenedAt: new Date(value('happenedAt')).toISOString(),
      ...(value('summary') ? { summary: value('summary') } : {}),
    };
    const done = await action.run(
      () => unwrap(api.POST('/api/crm/interactions', { body })),
      () => 'Interaction logged.',
    );
    if (done) {
      formElement.reset();
      onLogged();
    }
  }

  return (
    <section className="card" aria-labelledby="log-interaction-title">
      <h2 id="log-interaction-title">Log an interaction</h2>
      <form className="stack" onSubmit={log}>
        <div className="inline">
          <label>
            Channel
            <select name="channel" defaultValue="phone">
              <HumanOptions values={CHANNELS} />
            </select>
          </label>
          <label>
            What happened (a code, e.g. call, email_sent)
            <input name="type" required maxLength={64} pattern="[a-z][a-z0-9_]*" defaultValue="call" />
          </label>
          <label>
            Direction
            <select name="direction" defaultValue="outbound">
              <HumanOptions values={DIRECTIONS} />
            </select>
          </label>
          <label>
            When
            <input name="happenedAt" type="datetime-local" required defaultValue={localInputValue(new Date())} />
          </label>
        </div>
        <label>
          Summary
          <textarea name="summary" maxLength={10_000} rows={2} />
        </label>
        <div>
          <button type="submit" disabled={action.busy}>
            Log interaction
          </button>
        </div>
      </form>
      <ActionOutcome action={action} />
    </section>
  );
}
