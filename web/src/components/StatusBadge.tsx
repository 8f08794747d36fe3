import { humanize } from '../lib/format';

/** A status as a coloured label (the colour repeats the text, never replaces it). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{humanize(status)}</span>;
}
