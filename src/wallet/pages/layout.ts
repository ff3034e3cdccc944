/**
 * The document shell of the landing page and the simulated app: one stylesheet and plain
 * scripts from `public/` (served under /assets/, no inline script or style: CSP `'self'`).
 * Nothing is loaded from a third party.
 */
import { html, type SafeHtml } from './html.js';

export const ASSETS = '/assets';

export interface DocumentOptions {
  readonly title: string;
  readonly body: SafeHtml;
  /** Script files in public/ (loaded deferred, in order). */
  readonly scripts?: readonly string[];
  /** `landing` (a web page) or `app` (the phone-sized app frame). */
  readonly kind: 'landing' | 'app';
}

export function documentPage(options: DocumentOptions): SafeHtml {
  const scripts = (options.scripts ?? []).map((s) => html`<script src="${ASSETS}/${s}" defer></script>`);
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${options.title}</title>
<link rel="stylesheet" href="${ASSETS}/vipps.css">
<link rel="icon" href="${ASSETS}/vipps-mark.svg" type="image/svg+xml">
${scripts}
</head>
<body class="${options.kind}">
${options.body}
</body>
</html>
`;
}

/** The Vipps wordmark as text (the real logo is a trademark; this is a neutral stand-in). */
export function brand(label: string): SafeHtml {
  return html`<span class="brand" aria-label="${label}"><span class="brand-mark" aria-hidden="true">vipps</span>${label.endsWith('MT') ? html`<span class="brand-env" aria-hidden="true">MT</span>` : ''}</span>`;
}
