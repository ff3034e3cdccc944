/**
 * The pages' stylesheet, scripts and icon: plain files in `public/` at the package root (tsc
 * does not copy them to dist/, so they are read from there in both layouts). Read once at start;
 * only those files are served, by exact name.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../domain/errors.js';
import { packageRoot } from '../../package-root.js';
import { ASSETS } from '../../wallet/pages/layout.js';

const TYPES: Readonly<Record<string, string>> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export async function publicAssetRoutes(app: FastifyInstance): Promise<void> {
  const dir = join(packageRoot(), 'public');
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) files.set(name, { body: readFileSync(join(dir, name)), type });
  }
  app.get<{ Params: { name: string } }>(`${ASSETS}/:name`, async (request, reply) => {
    const file = files.get(request.params.name);
    // An unknown file answers like any unknown path (the one not-found answer, error-handler.ts).
    if (!file) throw new ApiError('NOT_FOUND');
    return reply
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('cross-origin-resource-policy', 'same-origin')
      .type(file.type)
      .send(file.body);
  });
}
