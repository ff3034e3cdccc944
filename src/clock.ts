/**
 * Time is injected (GUIDE practice 7). The platform's clock is the real clock plus an offset that
 * the control API can advance (`POST /_emulator/clock/advance`), so payments come due without
 * waiting, and everything else (JWT expiry, the nightly batch) follows the same time.
 */
export interface Clock {
  /** Milliseconds since the epoch, on the platform's clock. */
  now(): number;
}

export class AdjustableClock implements Clock {
  private offsetMs = 0;
  constructor(private readonly source: () => number = Date.now) {}
  now(): number {
    return this.source() + this.offsetMs;
  }
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs += ms;
  }
  get offset(): number {
    return this.offsetMs;
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();
