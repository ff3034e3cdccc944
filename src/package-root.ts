import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's root folder, found from this file whether it runs from src/ (tsx) or dist/src/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'vipps-psp-emulator') {
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('vipps-psp-emulator: package root not found');
    dir = parent;
  }
}

export const DEMO_SEED_FILE = (): string => join(packageRoot(), 'seed', 'demo.json');
