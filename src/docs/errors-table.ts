/**
 * Renders docs/ERRORS.md from the error catalogue, so the table and the code cannot drift
 * (`npm run docs:errors` writes it; a test checks it is current).
 */
import { type CatalogueEntry, ERRORS } from '../domain/errors.js';

const shapeName: Record<CatalogueEntry['shape'], string> = {
  psp: 'ErrorDetails array (RFC 7807 on the Merchant API)',
  detail: 'one ErrorDetails object (no array)',
  apim: 'API Management `{statusCode, message}`',
  aad: 'Azure AD token error',
};

export function renderErrorsTable(): string {
  const rows = Object.entries(ERRORS as Record<string, CatalogueEntry>).map(
    ([key, e]) =>
      `| \`${key}\` | ${e.httpStatus} | \`${e.errorCode}\` | ${e.errorMessage.replace(/\|/g, '\\|')} | ${shapeName[e.shape]} | ${e.source.replace(/\|/g, '\\|')} |`,
  );
  return [
    '# Error catalogue',
    '',
    'Every error the platform answers with, generated from `src/domain/errors.ts` (`npm run docs:errors`).',
    'The PSP API answers `[{"errorCode", "errorMessage", "contextId"}]`; `contextId` is the request id,',
    'also in the logs. A message with `{placeholders}` is filled in; validation errors (code 51) append',
    'the failing field after `: `. Unknown errors are a plain 500 with a `contextId`, never a stack trace.',
    '',
    '| Key | HTTP | errorCode | errorMessage | Shape | Source / decision |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
