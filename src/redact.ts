/**
 * Passwords in URLs (`postgres://user:pw@host/db`) never reach the console: config errors, the
 * start banner and operating errors show such a URL with the password replaced by `***`.
 * Works on any text (a whole error message), not only on one URL.
 */
const USERINFO_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):([^@/?#\s]*)@/gi;

/** `postgres://user:pw@db/x` → `postgres://user:***@db/x`; text without such a URL is returned as is. */
export function redactPasswords(text: string): string {
  return text.replace(USERINFO_PASSWORD, '$1:***@');
}
