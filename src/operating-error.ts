/**
 * Operating errors: the platform cannot start because of its surroundings (the port is taken, the
 * database cannot be opened, the seed file cannot be read), not because of a bug. Each becomes
 * one line naming the setting and what to do; the CLI prints it and exits 2, without a stack.
 * startEmulator() throws the same class, so a test suite can tell them apart with instanceof.
 */
import type { Config } from './config.js';
import { redactPasswords } from './redact.js';
import { DatabaseRefusedError } from './store/database-check.js';

export class OperatingError extends Error {
  override name = 'OperatingError';
  constructor(
    /** The environment variable to look at (`PORT`, `DATABASE_URL`, `SEED_FILE`…). */
    readonly setting: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(redactPasswords(`${setting}: ${message}`), options);
  }
}

interface SystemError {
  code?: string;
  syscall?: string;
  path?: string;
  message?: string;
}

/** The operating error an error thrown while starting stands for, or null (then it is a bug: keep the stack). */
export function operatingErrorOf(error: unknown, config: Pick<Config, 'port' | 'host' | 'databaseUrl'>): OperatingError | null {
  if (error instanceof OperatingError) return error;
  if (error instanceof DatabaseRefusedError) return new OperatingError('DATABASE_URL', error.message, { cause: error });
  if (typeof error !== 'object' || error === null) return null;
  const e = error as SystemError;
  const db = config.databaseUrl;
  switch (e.code) {
    case 'EADDRINUSE':
      return new OperatingError(
        'PORT',
        `port ${config.port} on ${config.host} is already in use: stop the program using it, or choose another port (--port, PORT; 0 = any free port)`,
        { cause: error },
      );
    case 'EADDRNOTAVAIL':
      return new OperatingError(
        'HOST',
        `${config.host} is not an address of this machine: use one of its addresses, 127.0.0.1 or 0.0.0.0 (--host, HOST)`,
        {
          cause: error,
        },
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
    case 'ENOTDIR':
    case 'ENOENT':
      if (e.syscall === 'listen') {
        return new OperatingError('PORT', `not allowed to listen on port ${config.port}: choose a port above 1023 (--port, PORT)`, {
          cause: error,
        });
      }
      if (e.syscall === 'mkdir' || e.syscall === 'open') {
        return new OperatingError(
          'DATABASE_URL',
          `cannot create or open ${e.path ?? 'the database directory'} (${e.code}): the database's directory must be creatable and writable by this user; or point DATABASE_URL (--database-url) at a writable place`,
          { cause: error },
        );
      }
      return null;
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_READONLY':
    case 'SQLITE_READONLY_DIRECTORY':
    case 'SQLITE_READONLY_DBMOVED':
    case 'SQLITE_IOERR':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return new OperatingError(
        'DATABASE_URL',
        `cannot write the database ${db} (${e.code}: ${e.message ?? ''}): the file and its directory must exist and be writable by this user; point DATABASE_URL (--database-url) elsewhere`,
        { cause: error },
      );
    case 'SQLITE_NOTADB':
    case 'SQLITE_CORRUPT':
      return new OperatingError(
        'DATABASE_URL',
        `${db} is not a vipps-psp-emulator database (${e.code}: corrupt, or another program's file): move it away, or point DATABASE_URL (--database-url) at another file`,
        { cause: error },
      );
    default:
      return null;
  }
}
