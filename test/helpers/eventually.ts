/**
 * The one wait of the test suite, for what happens outside the test's control (a process, a
 * browser, a status batch run by the schedule): re-reads `read` until `done` holds, or fails with
 * what it saw last. Work the test can wait for directly is awaited instead: `platform.idle()`
 * (due work done), a gate the test opens (test/helpers/psp-stub.ts), the call's own answer.
 */
export async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not so within ${timeoutMs} ms; last seen: ${JSON.stringify(value)?.slice(0, 2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
