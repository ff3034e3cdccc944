/**
 * The client (`vipps-psp-emulator/client`) ships to PSPs that talk to the real platform: it must
 * not pull in the platform's server code. Every file in src/client/ may import only other files
 * in src/client/ and Node built-ins (with the `node:` prefix).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
const CLIENT_DIR = join(ROOT, 'src', 'client');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** Every module specifier of a file: static and dynamic imports, `export … from`, `import type`, `require`. */
function specifiersOf(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** The specifiers of `file` (as if it lived at `fileDir`) that leave src/client/. */
function violations(source: string, fileDir: string): string[] {
  return specifiersOf(source).filter((specifier) => {
    if (specifier.startsWith('node:')) return false;
    if (!specifier.startsWith('.')) return true;
    const target = resolve(fileDir, specifier);
    return !(target === CLIENT_DIR || target.startsWith(CLIENT_DIR + sep));
  });
}

describe('src/client/ import boundary', () => {
  it('the checker sees every kind of import (so the test below can fail)', () => {
    const bad = [
      "import { ApiError } from '../domain/errors.js';",
      "import type { Platform } from '../platform.js';",
      "export { x } from '../../test/helpers/platform.js';",
      "const m = await import('../store/db.js');",
      "import 'fastify';",
      "import { createHash } from 'crypto';",
      "const j = require('jose');",
    ];
    for (const line of bad) assert.equal(violations(line, CLIENT_DIR).length, 1, line);
    const good = [
      "import { x } from './errors.js';",
      "import type { Y } from './sub/types.js';",
      "import { createHash } from 'node:crypto';",
      "// import { z } from '../domain/errors.js';",
      'const s = "from \'../domain/errors.js\'";',
    ];
    for (const line of good) assert.deepEqual(violations(line, CLIENT_DIR), [], line);
    // A nested file may go up, as long as it stays inside src/client/.
    assert.deepEqual(violations("import { x } from '../errors.js';", join(CLIENT_DIR, 'sub')), []);
  });

  it('no file in src/client/ imports from outside src/client/ (only node: built-ins)', () => {
    const files = sourceFiles(CLIENT_DIR);
    assert.ok(
      files.some((f) => f.endsWith(`${sep}index.ts`)),
      'src/client/index.ts exists',
    );
    const found = files.flatMap((file) =>
      violations(readFileSync(file, 'utf8'), dirname(file)).map((specifier) => `${relative(ROOT, file)}: ${specifier}`),
    );
    assert.deepEqual(found, []);
  });

  it('package.json exports ./client from the build of src/client/index.ts', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.deepEqual(pkg.exports['./client'], { types: './dist/src/client/index.d.ts', default: './dist/src/client/index.js' });
  });
});
