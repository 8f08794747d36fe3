/**
 * HTML built from tagged templates that escape every interpolated value: user text can never become
 * markup. Only values already of type Html (the result of another `html` template, or `trusted`) pass
 * through as they are.
 */

export class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for element content and for double- or single-quoted attribute values. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ENTITIES[c]);

/** Markup written by this module itself (never user input). */
export const trusted = (markup: string) => new Html(markup);

function part(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(part).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1];
  return new Html(out);
}

/** A boolean attribute (` checked`) or nothing. */
export const flag = (name: string, on: boolean) => trusted(on ? ` ${name}` : '');
