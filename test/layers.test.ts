/**
 * The layer matrix (docs/ARCHITECTURE.md "Layout"; GUIDE "The shape of the system"): edges depend
 * on the domain, never the reverse. Every relative import of every file under src/ is checked
 * against what its folder may import; the routes (src/http/routes/) also may not reach the
 * database past the services (no `platform.repos` / `platform.store`). The first test proves the
 * checker catches a wrong import of each kind, so the second can fail.
 * (The client's own boundary, node: built-ins only, is test/client-imports.test.ts.)
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/** What a folder of src/ may import (by folder; `root` is a file directly in src/). `type:` only as types. */
const ALLOWED: Record<string, readonly string[]> = {
  domain: ['domain'],
  store: ['domain', 'store'],
  callbacks: ['domain', 'callbacks'],
  wallet: ['domain', 'wallet'],
  security: ['domain', 'security', 'store', 'root'],
  // Server-rendered inspector pages: views of services and store rows, as types only.
  inspector: ['domain', 'inspector', 'wallet', 'type:services', 'type:store'],
  // The client's PSP error-id table is the one list of §2.5's codes; the client stays free of server code.
  services: ['domain', 'store', 'services', 'callbacks', 'wallet', 'security', 'client', 'root'],
  jobs: ['domain', 'store', 'services', 'jobs', 'root'],
  http: ['domain', 'http', 'services', 'security', 'wallet', 'inspector', 'store', 'root'],
  'http/routes': ['domain', 'http', 'services', 'security', 'wallet', 'inspector', 'root'],
  client: ['client'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** The layer of a path under src/: its first folder (http/routes apart), or `root`. */
function layerOf(path: string): string {
  const parts = relative(SRC, path).split(sep);
  if (parts.length === 1) return 'root';
  if (parts[0] === 'http' && parts[1] === 'routes' && parts.length > 2) return 'http/routes';
  return parts[0] as string;
}

/** Every relative import of a source text: [specifier, type-only]. */
function importsOf(source: string): [string, boolean][] {
  const out: [string, boolean][] = [];
  const re = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm;
  for (const m of source.matchAll(re)) {
    if (m[2]) out.push([m[2], Boolean(m[1])]);
    else if (m[3]) out.push([m[3], false]);
  }
  return out;
}

/** The imports of `source` (as if it lived at `file`) that its layer may not make. */
function violations(source: string, file: string): string[] {
  const from = layerOf(file);
  const allowed = ALLOWED[from];
  if (!allowed) return [];
  const bad = importsOf(source).flatMap(([specifier, typeOnly]) => {
    const to = layerOf(resolve(dirname(file), specifier));
    const target = to === 'http/routes' ? 'http' : to;
    const ok = allowed.includes(target) || (typeOnly && allowed.includes(`type:${target}`));
    return ok ? [] : [`${specifier} (${from} → ${to}${typeOnly ? ', type' : ''})`];
  });
  if (from === 'http/routes') {
    for (const m of source.matchAll(/\b(?:platform\.)?(repos|store)\.[a-zA-Z]+|\{\s*[^}]*\}\s*=\s*platform\.(repos|store)\b/g)) {
      bad.push(`${m[0]} (routes call services, not repositories)`);
    }
  }
  return bad;
}

describe('the layer matrix', () => {
  it('catches a wrong import of each kind (so the test below can fail)', () => {
    const at = (...p: string[]) => join(SRC, ...p);
    const bad: [string, string][] = [
      ["import { x } from '../store/payments.js';", at('domain', 'x.ts')],
      ["import type { Platform } from '../platform.js';", at('domain', 'x.ts')],
      ["import { buildHttpApp } from '../http/app.js';", at('services', 'x.ts')],
      ["export { y } from '../services/control.js';", at('store', 'x.ts')],
      ["import { z } from '../../store/payments.js';", at('http', 'routes', 'x.ts')],
      ["import { j } from '../../jobs/scheduler.js';", at('wallet', 'pages', 'x.ts')],
      ["const m = await import('../http/app.js');", at('jobs', 'x.ts')],
      ["import { s } from '../services/control.js';", at('inspector', 'x.ts')],
      ['const p = await platform.repos.payments.findById(id);', at('http', 'routes', 'x.ts')],
      ['const { journal } = platform.repos;', at('http', 'routes', 'x.ts')],
    ];
    for (const [line, file] of bad) assert.equal(violations(line, file).length, 1, `${line} in ${relative(SRC, file)}`);
    const good: [string, string][] = [
      ["import { x } from './money.js';", at('domain', 'x.ts')],
      ["import type { Platform } from '../platform.js';", at('services', 'x.ts')],
      ["import type { JournalEntry } from '../store/request-journal.js';", at('inspector', 'x.ts')],
      ["import { paymentView } from '../../services/control.js';", at('http', 'routes', 'x.ts')],
      ["import { newRowId } from '../store/ids.js';", at('http', 'x.ts')],
      ["import { html } from './html.js';", at('wallet', 'pages', 'x.ts')],
    ];
    for (const [line, file] of good) assert.deepEqual(violations(line, file), [], `${line} in ${relative(SRC, file)}`);
  });

  it('every file under src/ imports only what its layer may', () => {
    const found = sourceFiles(SRC).flatMap((file) =>
      violations(readFileSync(file, 'utf8'), file).map((v) => `${relative(ROOT, file)}: ${v}`),
    );
    assert.deepEqual(found, []);
  });
});
