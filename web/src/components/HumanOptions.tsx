import { humanize } from '../lib/format';

/** The options of a select over code values, shown in words; `any` first adds an empty "Any" choice. */
export function HumanOptions({ values, any = false }: { values: readonly string[]; any?: boolean }) {
  return (
    <>
      {any ? <option value="">Any</option> : null}
      {values.map((v) => (
        <option key={v} value={v}>
          {humanize(v)}
        </option>
      ))}
    </>
  );
}

/** A status filter kept in the URL (`?status=`), for the list screens. */
export function StatusFilter({
  label,
  statuses,
  value,
  onChange,
}: {
  label: string;
  statuses: readonly string[];
  value: string | undefined;
  onChange: (status: string) => void;
}) {
  return (
    <form className="inline" aria-label={label}>
      <label>
        Status
        <select value={value ?? ''} onChange={(e) => onChange(e.target.value)}>
          <HumanOptions values={statuses} any />
        </select>
      </label>
    </form>
  );
}
