const dateTime = new Intl.DateTimeFormat('en-IE', { dateStyle: 'medium', timeStyle: 'short' });

export const formatDateTime = (iso: string | null | undefined) => (iso ? dateTime.format(new Date(iso)) : '—');

/** snake_case and kebab-case codes as words: `walk_in` → `walk in`. */
export const humanize = (code: string | null | undefined) => (code ? code.replace(/[_-]/g, ' ') : '—');

export function formatMoney(value: unknown) {
  if (typeof value !== 'object' || value === null) return '—';
  const { amount, currency } = value as { amount?: number; currency?: string };
  if (typeof amount !== 'number' || !currency) return '—';
  return new Intl.NumberFormat('en-IE', { style: 'currency', currency }).format(amount / 100);
}
