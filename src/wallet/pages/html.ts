/**
 * A tiny HTML template tag: every interpolated value is escaped unless it is itself the result
 * of `html` (so templates compose), arrays are joined, and null / undefined / false render as
 * nothing (so `${cond && html`…`}` works). No dependency needed; there is deliberately no
 * "raw" escape hatch for strings.
 *
 * Escaping covers text and quoted attribute values. It cannot make a `javascript:` URL safe in
 * an `href`: URLs that come from a PSP go through `safeNavigationUrl` first.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ENTITIES[c] ?? c);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** JSON for a `data-*` attribute (escaped like any other value when interpolated). */
export function dataJson(value: unknown): string {
  return JSON.stringify(value);
}

/**
 * A URL the browser may be sent to (a link or `location.assign`): anything but script-running
 * or local schemes. pspRedirectUrl is not URL-validated for `isApp` payments (psp-facts.md §2.2),
 * so it can be a custom app scheme — or, from a careless PSP, `javascript:`.
 */
export function safeNavigationUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const scheme = parsed.protocol.toLowerCase();
  if (['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'filesystem:'].includes(scheme)) return null;
  return parsed.href;
}

/** Only http(s) pages may be shown inside the app's web view (the PSP's 3-D Secure page). */
export function safeFrameUrl(url: string | null | undefined): string | null {
  const safe = safeNavigationUrl(url);
  if (!safe) return null;
  const scheme = new URL(safe).protocol;
  return scheme === 'http:' || scheme === 'https:' ? safe : null;
}
