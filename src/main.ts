/**
 * Composition: build the platform and its HTTP app from config, and start listening.
 * Nothing else lives here.
 */
import type { FastifyInstance } from 'fastify';
import type { AdjustableClock } from './clock.js';
import type { Config } from './config.js';
import { buildHttpApp } from './http/app.js';
import { operatingErrorOf } from './operating-error.js';
import { buildPlatform, type Platform } from './platform.js';

export interface RunningPlatform {
  readonly platform: Platform;
  readonly app: FastifyInstance;
  /** The URL the server listens on. */
  readonly url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly clock?: AdjustableClock;
  readonly logStream?: NodeJS.WritableStream;
}

export async function startPlatform(config: Config, options: StartOptions = {}): Promise<RunningPlatform> {
  try {
    return await start(config, options);
  } catch (error) {
    // The port taken, the database unusable: one OperatingError naming the setting (the CLI
    // prints its line and exits 2); anything else is a bug and keeps its stack.
    throw operatingErrorOf(error, config) ?? error;
  }
}

async function start(config: Config, options: StartOptions): Promise<RunningPlatform> {
  const platform = await buildPlatform(config, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logStream ? { logStream: options.logStream } : {}),
  });
  let app: FastifyInstance | undefined;
  try {
    app = await buildHttpApp(platform);
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    platform.setBoundPort(port);
    platform.scheduler.start(config.sweepIntervalMs);
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    const running = app;
    let closed = false;
    return {
      platform,
      app: running,
      url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
      close: async () => {
        if (closed) return;
        closed = true;
        await running.close();
        await platform.close();
      },
    };
  } catch (error) {
    await app?.close();
    await platform.close();
    throw error;
  }
}
