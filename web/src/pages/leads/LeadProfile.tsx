import { DataList } from '../../components/DataList';
import { formatMoney, humanize } from '../../lib/format';
import type { Lead } from '../../lib/leads';

const text = (value: unknown) =>
  value === null || value === undefined || value === ''
    ? '—'
    : Array.isArray(value)
      ? value.join(', ')
      : typeof value === 'boolean'
        ? value
          ? 'yes'
          : 'no'
        : String(value);

/** Contact, assessment answers and the recommendation the homeowner saw. */
export function LeadProfile({ lead }: { lead: Lead }) {
  const address = lead.contact.address as Record<string, unknown> | null;
  const answers = (lead.assessment?.answers ?? {}) as Record<string, unknown>;
  const rec = (lead.recommendation ?? {}) as Record<string, unknown>;
  const products = Array.isArray(rec.products) ? (rec.products as Record<string, unknown>[]) : [];
  return (
    <>
      <section className="card" aria-labelledby="contact-title">
        <h2 id="contact-title">Contact</h2>
        <DataList
          items={[
            ['Name', lead.contact.name],
            ['Email', lead.contact.email],
            ['Phone', lead.contact.phone],
            ['Postcode', lead.contact.postcode],
            ['Address', address ? Object.values(address).filter(Boolean).join(', ') : null],
            ['Organization', lead.contact.organization],
            ['Source', `${humanize(lead.source)}${lead.sourceDetail ? ` (${lead.sourceDetail})` : ''}`],
            ['Service', humanize(lead.service)],
            ['Path', humanize(lead.selectedPath)],
            ['Marketing consent', text(lead.consent.marketing ?? false)],
          ]}
        />
      </section>
      <section className="card" aria-labelledby="assessment-title">
        <h2 id="assessment-title">Assessment answers</h2>
        {Object.keys(answers).length === 0 ? (
          <p className="empty">No assessment was submitted.</p>
        ) : (
          <DataList items={Object.entries(answers).map(([k, v]) => [humanize(k), text(v)])} />
        )}
      </section>
      <section className="card" aria-labelledby="recommendation-title">
        <h2 id="recommendation-title">Recommendation</h2>
        {lead.recommendation === null ? (
          <p className="empty">No recommendation was made.</p>
        ) : (
          <>
            {typeof rec.summary === 'string' ? <p>{rec.summary}</p> : null}
            <DataList
              items={[
                [
                  'Products',
                  products
                    .map((p) =>
                      [
                        humanize(String(p.kind)),
                        p.sizeKw ? `${p.sizeKw} kW` : '',
                        p.capacityKwh ? `${p.capacityKwh} kWh` : '',
                        p.model ?? '',
                      ]
                        .filter(Boolean)
                        .join(' '),
                    )
                    .join('; ') || null,
                ],
                ['Estimated annual savings', formatMoney(rec.estimatedAnnualSavings)],
                ['Estimated cost', formatMoney(rec.estimatedCost)],
                ['Payback', typeof rec.paybackYears === 'number' ? `${rec.paybackYears} years` : null],
                ['Engine', text(rec.engineVersion)],
              ]}
            />
          </>
        )}
      </section>
    </>
  );
}
