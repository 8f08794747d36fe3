import { type FormEvent, useState } from 'react';
import { api, type Body, unwrap } from '../api/client';
import { HumanOptions } from '../components/HumanOptions';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemMessage } from '../components/ProblemMessage';
import { StatusBadge } from '../components/StatusBadge';
import { humanize } from '../lib/format';
import { useAction } from '../lib/useAction';
import { useLoad } from '../lib/useLoad';

type Region = Body<'/api/regions', 'get'>['data'][number];
type Serviceability = Body<'/api/serviceability', 'get'>;

const SERVICES = ['solar_pv', 'battery_storage', 'heat_pump', 'ev_charger'];

/** Regions with their postcode patterns, and a tester: which region and installers serve a postcode. */
export function Regions() {
  const regions = useLoad(() => unwrap(api.GET('/api/regions', { params: { query: { limit: 200 } } })), [], 'regions');
  const rows = regions.data?.data ?? [];
  return (
    <Page title="Regions">
      <ServiceabilityTester />
      <section className="card" aria-labelledby="regions-title">
        <h2 id="regions-title">Regions and postcode patterns</h2>
        <ProblemMessage error={regions.error} />
        {regions.loading && !regions.data ? <Loading what="regions" /> : null}
        {regions.data && rows.length === 0 ? <p className="empty">No regions yet.</p> : null}
        <ul className="plain">
          {rows.map((r) => (
            <li key={r.id}>
              <RegionRow region={r} />
            </li>
          ))}
        </ul>
      </section>
    </Page>
  );
}

function RegionRow({ region }: { region: Region }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <strong>{region.name}</strong> ({region.code}, {region.country}){' '}
        <StatusBadge status={region.active ? 'active' : 'inactive'} />
      </summary>
      {open ? <Patterns regionId={region.id} /> : null}
    </details>
  );
}

function Patterns({ regionId }: { regionId: string }) {
  const patterns = useLoad(
    () => unwrap(api.GET('/api/regions/{id}/postcodes', { params: { path: { id: regionId } } })),
    [regionId],
  );
  if (patterns.error) return <ProblemMessage error={patterns.error} />;
  if (!patterns.data) return <Loading what="patterns" />;
  if (patterns.data.data.length === 0) return <p className="empty">No postcode patterns.</p>;
  return (
    <p className="patterns">
      {patterns.data.data.map((p) => (
        <code key={`${p.country}:${p.pattern}`}>{p.pattern}</code>
      ))}
    </p>
  );
}

function ServiceabilityTester() {
  const action = useAction();
  const [result, setResult] = useState<{ postcode: string; answer: Serviceability } | null>(null);

  async function test(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const postcode = String(form.get('postcode')).trim();
    const service = String(form.get('service')) || undefined;
    const answer = await action.run(
      () => unwrap(api.GET('/api/serviceability', { params: { query: { postcode, service } } })),
      () => '',
    );
    if (answer) setResult({ postcode, answer });
  }

  return (
    <section className="card" aria-labelledby="tester-title">
      <h2 id="tester-title">Serviceability tester</h2>
      <form className="inline" onSubmit={test}>
        <label>
          Postcode
          <input name="postcode" required maxLength={20} autoComplete="postal-code" />
        </label>
        <label>
          Service
          <select name="service" defaultValue="">
            <HumanOptions values={SERVICES} any />
          </select>
        </label>
        <button type="submit" disabled={action.busy}>
          Test
        </button>
      </form>
      <ProblemMessage error={action.error} />
      {result ? (
        <div role="status" className="tester-result">
          {result.answer.serviceable && result.answer.region ? (
            <>
              <p>
                <strong>{result.postcode}</strong> is served by <strong>{result.answer.region.name}</strong> (pattern{' '}
                <code>{result.answer.region.matchedPattern}</code>).
              </p>
              {result.answer.installers.length === 0 ? (
                <p className="empty">No installer covers it for this service.</p>
              ) : (
                <ul className="plain">
                  {result.answer.installers.map((i) => (
                    <li key={i.id}>
                      {i.name} · priority {i.priority} · quality {i.qualityScore} ·{' '}
                      {i.services.map(humanize).join(', ')}
                    </li>
                  ))}
                </ul>
              )}
            </>
          ) : (
            <p>
              <strong>{result.postcode}</strong> is not serviceable: no active region owns it.
            </p>
          )}
        </div>
      ) : null}
    </section>
  );
}
