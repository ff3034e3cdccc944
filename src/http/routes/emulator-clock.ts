/**
 * Control API: the platform's clock (test profile only). Advancing runs everything that came
 * due before answering.
 */
import type { FastifyInstance } from 'fastify';
import { iso } from '../../clock.js';
import type { Platform } from '../../platform.js';

export async function emulatorClockRoutes(app: FastifyInstance, { platform }: { platform: Platform }): Promise<void> {
  const clockBody = () => {
    const now = platform.clock.now();
    return { now: iso(now), epochMillis: now, offsetSeconds: Math.round((now - Date.now()) / 1000) };
  };

  app.get('/_emulator/clock', async () => clockBody());

  app.post<{ Body: { seconds: number } }>(
    '/_emulator/clock/advance',
    {
      schema: {
        body: {
          type: 'object',
          required: ['seconds'],
          additionalProperties: false,
          properties: { seconds: { type: 'number', minimum: 0, maximum: 10 * 365 * 86400 } },
        },
      },
    },
    async (request) => {
      // Stored before the answer (every process follows within CLOCK_REFRESH_MS); seconds: 0 re-reads it.
      await platform.clock.advance(request.body.seconds * 1000);
      await platform.scheduler.runDue();
      return clockBody();
    },
  );
}
