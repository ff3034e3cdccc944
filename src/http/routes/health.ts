/**
 * GET /health: 200 when this node is ready (the database answers and is migrated), 503 when not,
 * for a load balancer's health check (README "Health"). Not authenticated, in both profiles.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Platform } from '../../platform.js';
import { checkHealth } from '../../services/check-health.js';

export const healthRoutes: FastifyPluginAsync<{ platform: Platform }> = async (app, { platform }) => {
  app.get('/health', async (_request, reply) => {
    const health = await checkHealth(platform);
    const body = {
      // `status` kept from the first /health (UP), with DOWN for a node that must not get traffic.
      status: health.ready ? 'UP' : 'DOWN',
      ready: health.ready,
      profile: platform.config.profile,
      database: health.database,
      ...(health.reason ? { reason: health.reason } : {}),
    };
    return reply
      .code(health.ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send(body);
  });
};
