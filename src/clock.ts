/**
 * Time is injected (GUIDE practice 7). The platform's clock is the real clock plus an offset that
 * the control API can advance (`POST /_emulator/clock/advance`), so payments come due without
 * waiting, and everything else (JWT expiry, the nightly batch) follows the same time.
 *
 * The offset lives in the database (`platform_clock`), so it survives a restart and every process
 * on the database uses the same time. Each process keeps a copy and re-reads it every
 * `refreshMs` (CLOCK_REFRESH_MS): a second process lags an advance by at most that long. The
 * process that advances sees the new time at once (the control API answers after its own copy has
 * moved). The offset only grows, so a copy is moved to the larger of its value and the stored one.
 */
export interface Clock {
  /** Milliseconds since the epoch, on the platform's clock. */
  now(): number;
}

/** Where the offset is kept (store/platform-state.ts). */
export interface ClockOffsetStore {
  clockOffsetMs(): Promise<number>;
  advanceClock(ms: number): Promise<number>;
}

export class AdjustableClock implements Clock {
  private offsetMs = 0;
  private store: ClockOffsetStore | null = null;
  private timer: NodeJS.Timeout | null = null;
  constructor(private readonly source: () => number = Date.now) {}

  now(): number {
    return this.source() + this.offsetMs;
  }

  /**
   * Moves the clock forward: this process at once, then the stored offset (the promise settles
   * when it is stored). Without a store (a clock not yet attached) only this process moves.
   */
  advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs += ms;
    const store = this.store;
    if (!store) return Promise.resolve();
    const stored = store.advanceClock(ms).then((offsetMs) => this.follow(offsetMs));
    stored.catch(() => undefined); // a caller that does not wait must not see an unhandled rejection
    return stored;
  }

  get offset(): number {
    return this.offsetMs;
  }

  /**
   * Binds the clock to the database's offset: reads it now, then every `refreshMs`. A clock moved
   * before it was attached (a test's) keeps its lead: the offset is the larger of the two.
   */
  async attach(store: ClockOffsetStore, refreshMs: number): Promise<void> {
    this.detach();
    this.store = store;
    this.follow(await store.clockOffsetMs());
    this.timer = setInterval(() => {
      store.clockOffsetMs().then(
        (stored) => this.follow(stored),
        () => undefined, // the database is closing or busy: keep the last known offset
      );
    }, refreshMs);
    this.timer.unref();
  }

  detach(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.store = null;
  }

  /** Re-reads the stored offset now (tests and the control API of another process). */
  async refresh(): Promise<void> {
    if (this.store) this.follow(await this.store.clockOffsetMs());
  }

  private follow(storedMs: number): void {
    if (storedMs > this.offsetMs) this.offsetMs = storedMs;
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();
