/**
 * The container files as the issue asks for them (the image itself is built and run outside the
 * test suite: README, "Container", says what was run where). These checks fail when a property
 * is lost in an edit: the runtime stage running as root, no health check, no volume, a listen
 * address that is unreachable from outside the container, dev dependencies in the image.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { startEmulator } from '../src/index.js';

const ROOT = join(import.meta.dirname, '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
/** The instructions of the last stage (the runtime image). */
const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));

describe('the container image', () => {
  it('is multi-stage: a build stage, then a runtime with the production dependencies only', () => {
    assert.match(dockerfile, /^FROM \$\{BUILD_IMAGE\} AS build$/m);
    assert.match(dockerfile, /^FROM \$\{RUNTIME_IMAGE\} AS runtime$/m);
    assert.match(dockerfile, /npm prune --omit=dev/);
    assert.match(runtime, /COPY --from=build \/app\/node_modules \.\/node_modules/);
    assert.doesNotMatch(runtime, /COPY (src|test)\b/, 'no sources in the runtime image');
  });

  it('runs as a non-root user, with data in a volume, listening on all interfaces, with a health check', () => {
    const user = /^USER (\S+)$/m.exec(runtime)?.[1];
    assert.ok(user && user !== 'root' && user !== '0', `USER ${user}`);
    assert.match(runtime, /^VOLUME \["\/data"\]$/m);
    assert.match(runtime, /HOST=0\.0\.0\.0/);
    assert.match(runtime, /DATABASE_URL=sqlite:\/data\//);
    assert.match(runtime, /^HEALTHCHECK .*\n?.*\/health/m);
  });

  it('answers the health check path', async () => {
    const emulator = await startEmulator();
    try {
      const r = await fetch(`${emulator.url}/health`);
      assert.equal(r.status, 200);
    } finally {
      await emulator.close();
    }
  });

  it('has a compose file for the platform alone, with its data in a named volume', () => {
    const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8')) as {
      services: Record<string, { build?: unknown; ports?: string[]; volumes?: string[] }>;
      volumes: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(compose.services), ['vipps-psp-emulator']);
    const service = compose.services['vipps-psp-emulator'];
    assert.ok(service?.build);
    assert.deepEqual(service?.ports, ['7070:7070']);
    assert.deepEqual(service?.volumes, ['vipps-data:/data']);
    assert.ok('vipps-data' in compose.volumes);
  });
});
