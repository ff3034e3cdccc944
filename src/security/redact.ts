/**
 * Secrets out of what the request journal keeps (GUIDE "Secrets … are never logged"): the
 * makePaymentToken and the access token in JSON bodies, cryptograms, client secrets, bearer
 * tokens and subscription keys in headers. Pure functions on text, cheap enough for every request
 * of the hot path: a body is cut to a bounded length first, then the secret fields are replaced by
 * a regular expression on the JSON text (no parse, no re-serialisation). A body that spells a key
 * with a `\u` escape (`"make\u0050aymentToken"`, valid JSON) would slip past the expression, so
 * such a body is parsed and rewritten instead.
 */

export const REDACTED = '[redacted]';

/** JSON keys whose string (or any) value is never kept. Compared case-insensitively. */
const SECRET_KEYS = ['makePaymentToken', 'access_token', 'client_secret', 'cryptogram', 'token', 'password', 'pin'];
const SECRET_KEY_SET = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));

// "key" : "string value" (possibly cut off at the end of a truncated body), or a bare scalar.
const SECRET_FIELD = new RegExp(`("(?:${SECRET_KEYS.join('|')})"\\s*:\\s*)(?:"(?:[^"\\\\]|\\\\.)*(?:"|\\\\?$)|[^,}\\]\\s]+)`, 'gi');

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY_SET.has(k.toLowerCase()) ? REDACTED : redactValue(v);
    return out;
  }
  return value;
}

/**
 * A body as kept: at most `maxChars` characters (cut bodies end with `…[truncated N chars]`),
 * secret fields replaced. `null` for no body.
 */
export function redactBody(text: string | null | undefined, maxChars: number): string | null {
  if (text === null || text === undefined || text === '') return null;
  let kept = text.length > maxChars ? text.slice(0, maxChars) : text;
  if (kept.includes('\\u')) {
    try {
      kept = JSON.stringify(redactValue(JSON.parse(text)));
      if (kept.length > maxChars) kept = kept.slice(0, maxChars);
    } catch {
      // Not JSON (or cut): an escaped key cannot be told apart, so nothing of it is kept.
      return `${REDACTED} (${text.length} chars with \\u escapes, not JSON)`;
    }
  }
  const redacted = kept.replace(SECRET_FIELD, `$1"${REDACTED}"`);
  return text.length > maxChars ? `${redacted}…[truncated ${text.length - maxChars} chars]` : redacted;
}

/** Request headers kept in the journal; the others (cookies, proxies' additions) are left out. */
const KEPT_HEADERS = [
  'content-type',
  'content-length',
  'psp-id',
  'merchant-serial-number',
  'idempotency-key',
  'request-id',
  'x-request-id',
  'client_id',
  'user-agent',
  'vipps-system-name',
  'vipps-system-version',
  'vipps-system-plugin-name',
  'vipps-system-plugin-version',
];

/**
 * The headers of a journal row: the useful ones as sent, and the secrets' presence only
 * (`Authorization: Bearer [redacted]`, `client_secret: [redacted]`, the subscription key's last 4).
 */
export function redactHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const v = headers[name];
    if (v !== undefined) out[name] = (Array.isArray(v) ? v.join(', ') : v).slice(0, 200);
  }
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const space = auth.indexOf(' ');
    out.authorization = space > 0 ? `${auth.slice(0, space)} ${REDACTED}` : REDACTED;
  }
  if (headers.client_secret !== undefined) out.client_secret = REDACTED;
  const key = headers['ocp-apim-subscription-key'];
  if (typeof key === 'string') out['ocp-apim-subscription-key'] = key.length > 8 ? `…${key.slice(-4)}` : REDACTED;
  return out;
}
