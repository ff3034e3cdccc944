/**
 * `vipps-psp-emulator checklist --url <base> --psp-id <id> [--json]`: prints the go-live
 * checklist report of a running emulator (`GET /_emulator/checklist`) as a table, or as JSON.
 * Exit code 0 when every item passes (or does not apply), 1 when something is missing or
 * failed, 2 when the report could not be fetched.
 */
import { parseArgs } from 'node:util';
import { type ChecklistReport, formatChecklist } from './services/checklist.js';

export const CHECKLIST_HELP = `Usage: vipps-psp-emulator checklist --url <base> --psp-id <id> [--json]

Prints the go-live checklist report of a PSP from a running emulator (test profile).

  --url <base>     the emulator's URL (default http://127.0.0.1:7070)
  --psp-id <id>    the PSP's Psp-Id
  --json           print the report as JSON instead of a table
`;

export async function runChecklistCommand(argv: readonly string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  let values: { url?: string; 'psp-id'?: string; json?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: [...argv],
      options: { url: { type: 'string' }, 'psp-id': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' } },
      allowPositionals: false,
    }).values;
  } catch (error) {
    process.stderr.write(`vipps-psp-emulator checklist: ${(error as Error).message}\n${CHECKLIST_HELP}`);
    return 2;
  }
  if (values.help) {
    out.write(CHECKLIST_HELP);
    return 0;
  }
  const pspId = values['psp-id'];
  if (!pspId) {
    process.stderr.write(`vipps-psp-emulator checklist: --psp-id is required\n${CHECKLIST_HELP}`);
    return 2;
  }
  const url = `${(values.url ?? 'http://127.0.0.1:7070').replace(/\/$/, '')}/_emulator/checklist`;
  let response: Response;
  try {
    response = await fetch(url, { headers: { 'psp-id': pspId, accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    process.stderr.write(`vipps-psp-emulator checklist: ${url}: ${(error as Error).message}\n`);
    return 2;
  }
  const text = await response.text();
  if (!response.ok) {
    process.stderr.write(`vipps-psp-emulator checklist: ${url} answered ${response.status}: ${text.slice(0, 500)}\n`);
    return 2;
  }
  const report = JSON.parse(text) as ChecklistReport;
  out.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatChecklist(report));
  return report.status === 'PASS' ? 0 : 1;
}
