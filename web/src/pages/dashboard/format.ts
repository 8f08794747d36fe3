/** A duration in seconds as the largest sensible unit: "45 min", "5.2 h", "3.1 days". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400 * 2) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

const DAY_MS = 86_400_000;
export const ymd = (d: Date) => d.toISOString().slice(0, 10);
/** The API's default range: the last 30 days, today included (UTC). */
export const defaultRange = (now = new Date()) => ({
  from: ymd(new Date(now.getTime() - 29 * DAY_MS)),
  to: ymd(now),
});

/** Share of a maximum as a CSS width; at least a sliver for non-zero values so they stay visible. */
export const barWidth = (value: number, max: number) =>
  max > 0 && value > 0 ? `${Math.max(2, (value / max) * 100)}%` : '0%';
