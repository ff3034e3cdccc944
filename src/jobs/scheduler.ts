/**
 * Due work (expiry sweeps, the status batch schedule) runs as jobs over indexed due times, on the
 * platform's clock (GUIDE practice 7): a timer on the real clock polls every
 * `sweepIntervalMs`, and advancing the clock through the control API runs them at once, so
 * everything that came due has been processed when `/_emulator/clock/advance` answers.
 */
export type Job = (nowMs: number) => Promise<void>;

export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly now: () => number,
    private readonly onError: (job: string, error: unknown) => void,
  ) {}

  register(name: string, job: Job): void {
    if (this.jobs.has(name)) throw new Error(`job ${name} registered twice`);
    this.jobs.set(name, job);
  }

  /** Runs every job once (serially). Concurrent calls share a run, and ask for one more after it. */
  runDue(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          for (const [name, job] of this.jobs) {
            try {
              await job(this.now());
            } catch (error) {
              this.onError(name, error);
            }
          }
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /**
   * Resolves once the jobs have run through after this call (a run already going is waited for,
   * then one more runs): what came due before the call has been processed. Tests wait on this
   * instead of sleeping.
   */
  async idle(): Promise<void> {
    await this.running;
    await this.runDue();
  }

  start(intervalMs: number): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runDue(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
