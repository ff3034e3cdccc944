// Shared by the landing page and the simulated app: the platform's clock as seen from the
// browser (the server sends its `now`; the platform clock may have been advanced), the countdown
// format, and server-sent event subscriptions. Plain script, no build step.
'use strict';
(() => {
  /** The platform's time: the last `now` the server sent, plus the monotonic time since. */
  function createClock(initialNow) {
    let base = Number(initialNow) || Date.now();
    let at = performance.now();
    return {
      sync(now) {
        if (typeof now === 'number') {
          base = now;
          at = performance.now();
        }
      },
      now() {
        return base + (performance.now() - at);
      },
    };
  }

  /** Milliseconds → "4:59" (rounded up, so it shows 0:00 only when the time is up). */
  function formatCountdown(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
  }

  /** Opens a server-sent event stream; `handlers` maps event names to functions of the parsed data. */
  function subscribe(url, handlers) {
    const source = new EventSource(url);
    for (const [name, handler] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => {
        let data;
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        handler(data);
      });
    }
    return source;
  }

  window.VippsLive = { createClock, formatCountdown, subscribe };
})();
