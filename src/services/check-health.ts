/**
 * Readiness of this node for a load balancer (GET /health, README "Health"): ready only when the
 * database answers and every migration of this code is applied. A database that does not answer
 * within HEALTH_DATABASE_TIMEOUT_MS counts as down, so the probe itself never hangs.
 */
import type { Platform } from '../platform.js';

/** How long the probe waits for the database before it answers 503. */
export const HEALTH_DATABASE_TIMEOUT_MS = 2_000;

export interface Health {
  readonly ready: boolean;
  readonly database: 'sqlite' | 'postgres';
  /** Why the node is not ready (absent when ready). */
  readonly reason?: string;
}

export async function checkHealth(platform: Pick<Platform, 'store'>): Promise<Health> {
  const { store } = platform;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ready: false; reason: string }>((resolve) => {
    timer = setTimeout(
      () => resolve({ ready: false, reason: `database did not answer within ${HEALTH_DATABASE_TIMEOUT_MS} ms` }),
      HEALTH_DATABASE_TIMEOUT_MS,
    );
  });
  try {
    const r = await Promise.race([store.ready(), timeout]);
    return r.ready ? { ready: true, database: store.dialect } : { ready: false, database: store.dialect, reason: r.reason };
  } finally {
    clearTimeout(timer);
  }
}
