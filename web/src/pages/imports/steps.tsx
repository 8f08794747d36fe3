import { type FormEvent, useState } from 'react';
import { api, type Body, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { DataList } from '../../components/DataList';
import { ProblemMessage } from '../../components/ProblemMessage';
import { ScrollRegion } from '../../components/ScrollRegion';
import { Section } from '../../components/Section';
import { useAction } from '../../lib/useAction';
import { useLoad } from '../../lib/useLoad';
import { useSession } from '../../session/session';

type Batch = Body<'/api/crm/imports/{id}', 'get'>;
type MappingBody = NonNullable<
  paths['/api/crm/imports/{id}/mapping']['put']['requestBody']
>['content']['application/json'];
type Field = NonNullable<MappingBody['mapping']>[string];

type Kind = Body<'/api/crm/imports/kinds', 'get'>['data'][number];

const KIND_LABEL: Record<Kind['kind'], string> = {
  people: 'People',
  leads: 'Leads',
  accounts: 'Accounts',
  installers: 'Installers',
  region_postcodes: 'Region postcodes',
};

/** What can be imported (each kind with its fields and what its mapping must include), from the server. */
export function useImportKinds() {
  return useLoad(() => unwrap(api.GET('/api/crm/imports/kinds')), [], 'import-kinds');
}

/** Step 1: the file itself is the request body (CSV or XLSX), parsed by the server into a batch of one kind. */
export function UploadStep({ onUploaded }: { onUploaded: (batch: Batch) => void }) {
  const action = useAction();
  const kinds = useImportKinds();
  async function upload(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get('file') as File;
    const kind = String(form.get('kind') || 'people') as Kind['kind'];
    const batch = await action.run(
      () =>
        unwrap(
          api.POST('/api/crm/imports', {
            params: { query: { kind, fileName: file.name } },
            body: file as never,
            bodySerializer: (body: unknown) => body as File,
            headers: { 'content-type': file.type || 'text/csv' },
          }),
        ),
      (b) => `${b.fileName}: ${b.rowCount} rows read.`,
    );
    if (batch) onUploaded(batch as Batch);
  }
  return (
    <section className="card" aria-labelledby="upload-title">
      <h2 id="upload-title">1. Upload a file</h2>
      <form className="inline" onSubmit={upload}>
        <label>
          What the file holds
          <select name="kind" defaultValue="people">
            {(kinds.data?.data ?? [{ kind: 'people' as const }]).map((k) => (
              <option key={k.kind} value={k.kind}>
                {KIND_LABEL[k.kind]}
              </option>
            ))}
          </select>
        </label>
        <label>
          CSV or XLSX file
          <input name="file" type="file" required accept=".csv,.xlsx,text/csv" />
        </label>
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Uploading…' : 'Upload'}
        </button>
      </form>
      <ProblemMessage error={kinds.error ?? action.error} />
    </section>
  );
}

/** Step 2: each column mapped to a field (suggested from the header names), optionally saved as a template. */
export function MappingStep({ batch, onDone }: { batch: Batch; onDone: () => void }) {
  const action = useAction();
  const kinds = useImportKinds();
  const kind = kinds.data?.data.find((k) => k.kind === batch.kind);
  const fields = (kind?.fields ?? []) as Field[];
  const templates = useLoad(
    () => unwrap(api.GET('/api/crm/imports/templates', { params: { query: { kind: batch.kind } } })),
    [batch.kind],
  );
  const initial = batch.mapping ?? batch.suggestedMapping;
  async function applyTemplate(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const templateName = String(new FormData(event.currentTarget).get('templateName'));
    const done = await action.run(
      () =>
        unwrap(
          api.PUT('/api/crm/imports/{id}/mapping', { params: { path: { id: batch.id } }, body: { templateName } }),
        ),
      () => `Template ${templateName} applied.`,
    );
    if (done) onDone();
  }
  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const mapping: Record<string, Field> = {};
    batch.columns.forEach((column, i) => {
      const field = String(form.get(`column-${i}`));
      if (field) mapping[column] = field as Field;
    });
    const saveAs = String(form.get('saveAs')).trim() || undefined;
    const done = await action.run(
      () =>
        unwrap(
          api.PUT('/api/crm/imports/{id}/mapping', { params: { path: { id: batch.id } }, body: { mapping, saveAs } }),
        ),
      () => 'Mapping saved.',
    );
    if (done) onDone();
  }
  return (
    <section className="card" aria-labelledby="mapping-title">
      <h2 id="mapping-title">2. Map the columns ({KIND_LABEL[batch.kind].toLowerCase()})</h2>
      {kind?.required.length ? (
        <ul className="muted" aria-label="The mapping must">
          {kind.required.map((r) => (
            <li key={r}>{r.charAt(0).toUpperCase() + r.slice(1)}.</li>
          ))}
        </ul>
      ) : null}
      <ProblemMessage error={kinds.error ?? templates.error} />
      {templates.data?.data.length ? (
        <form className="inline" onSubmit={applyTemplate} aria-label="Use a saved template">
          <label>
            Saved template
            <select name="templateName">
              {templates.data.data.map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="secondary" disabled={action.busy}>
            Use this template
          </button>
        </form>
      ) : null}
      <form onSubmit={save} className="stack">
        <ScrollRegion label="Column mapping">
          <table className="mapping">
            <thead>
              <tr>
                <th scope="col">Column in the file</th>
                <th scope="col">Field</th>
              </tr>
            </thead>
            <tbody>
              {batch.columns.map((column, i) => (
                <tr key={column}>
                  <th scope="row">
                    <label htmlFor={`column-${i}`}>{column}</label>
                  </th>
                  <td>
                    <select id={`column-${i}`} name={`column-${i}`} defaultValue={initial[column] ?? ''}>
                      <option value="">— ignore —</option>
                      {fields.map((f) => (
                        <option key={f} value={f}>
                          {f}
                        </option>
                      ))}
                    </select>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
        <div className="inline">
          <label>
            Save as template (optional)
            <input name="saveAs" maxLength={100} />
          </label>
          <button type="submit" disabled={action.busy}>
            Save mapping
          </button>
        </div>
      </form>
      <ProblemMessage error={action.error} />
    </section>
  );
}

type Step = 'propose' | 'approve' | 'commit';
const STEP_LABEL: Record<Step, string> = {
  propose: 'Run the dry run',
  approve: 'Approve',
  commit: 'Commit',
};

/** Steps 3–5: the dry run (report and invalid rows), approval, then the chunked commit. */
export function DecisionStep({ batch, onDone }: { batch: Batch; onDone: () => void }) {
  const { can } = useSession();
  const action = useAction();
  const next: Step | null =
    batch.status === 'mapped'
      ? 'propose'
      : batch.status === 'proposed' && can('imports:approve')
        ? 'approve'
        : batch.status === 'approved'
          ? 'commit'
          : null;
  const invalid = useLoad(
    () =>
      batch.report
        ? unwrap(
            api.GET('/api/crm/imports/{id}/rows', {
              params: { path: { id: batch.id }, query: { outcome: 'invalid', limit: 50 } },
            }),
          )
        : Promise.resolve({ data: [], nextCursor: null }),
    [batch.id, batch.version],
  );

  const [progress, setProgress] = useState<number | null>(null);

  async function run(step: Step) {
    const params = { params: { path: { id: batch.id } } };
    // The commit runs chunk by chunk on the server: its checkpoint is polled while the request runs.
    const poll =
      step === 'commit'
        ? setInterval(() => {
            api
              .GET('/api/crm/imports/{id}', params)
              .then((r) => r.data && setProgress(r.data.committedThrough))
              .catch(() => {});
          }, 500)
        : undefined;
    if (step === 'commit') setProgress(0);
    const done = await action.run(
      () =>
        (step === 'propose'
          ? unwrap(api.POST('/api/crm/imports/{id}/propose', params))
          : step === 'approve'
            ? unwrap(api.POST('/api/crm/imports/{id}/approve', params))
            : unwrap(api.POST('/api/crm/imports/{id}/commit', params))
        ).then(() => true),
      () => '',
    );
    clearInterval(poll);
    setProgress(null);
    if (done) onDone();
  }

  async function revert() {
    const done = await action.run(
      () => unwrap(api.POST('/api/crm/imports/{id}/revert', { params: { path: { id: batch.id } } })),
      () => 'Reverted: what the batch created is removed, what it updated has its values back.',
    );
    if (done) onDone();
  }

  return (
    <section className="card" aria-labelledby="decide-title">
      <h2 id="decide-title">3. Dry run, approval and commit</h2>
      {batch.report ? (
        <DataList
          items={[
            ['Create', batch.report.create],
            ['Update', batch.report.update],
            ['Merge', batch.report.merge],
            ['Skip', batch.report.skip],
            ['Invalid', batch.report.invalid],
          ]}
        />
      ) : (
        <p className="muted">The dry run shows, per row, whether it creates, updates, merges, skips or is invalid.</p>
      )}
      {batch.report?.invalid ? (
        <Section id="invalid-rows" title="Invalid rows" loaded={invalid} isEmpty={(d) => d.data.length === 0}>
          {(d) => (
            <ul className="plain">
              {d.data.map((r) => (
                <li key={r.rowNumber}>
                  Row {r.rowNumber}: {r.errors.map((e) => `${e.column ?? e.field ?? ''} ${e.message}`).join('; ')}
                </li>
              ))}
            </ul>
          )}
        </Section>
      ) : null}
      {next ? (
        <button type="button" onClick={() => run(next)} disabled={action.busy}>
          {STEP_LABEL[next]}
        </button>
      ) : null}
      {progress !== null ? (
        <p>
          <label>
            Committing
            <progress max={batch.rowCount} value={Math.max(0, progress - 1)} />
          </label>{' '}
          {Math.max(0, progress - 1)} of {batch.rowCount} rows
        </p>
      ) : null}
      {batch.status === 'committed' ? (
        <button type="button" className="secondary" onClick={revert} disabled={action.busy}>
          Revert this import
        </button>
      ) : null}
      {batch.status === 'proposed' && !can('imports:approve') ? (
        <p className="muted">Waiting for someone who may approve imports.</p>
      ) : null}
      <ProblemMessage error={action.error} />
    </section>
  );
}
