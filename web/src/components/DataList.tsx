import type { ReactNode } from 'react';

/** Label/value pairs as a description list. */
export function DataList({ items }: { items: [label: string, value: ReactNode][] }) {
  return (
    <dl className="data-list">
      {items.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value ?? '—'}</dd>
        </div>
      ))}
    </dl>
  );
}
