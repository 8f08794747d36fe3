/** A text field of a submitted form, trimmed ('' when absent). */
export const formText = (form: FormData, name: string) => String(form.get(name) ?? '').trim();

/** The value of a datetime-local input for a moment, in the browser's time zone. */
export function localInputValue(at: Date) {
  return new Date(at.getTime() - at.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}
