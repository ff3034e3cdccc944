// The simulated app's live parts: the request list updates when a push arrives, the payment
// screen follows its payment, shows a spinner while Pay is in flight, counts down to the due
// time, and notices when the 3-D Secure web view reaches the platform's return URL (as the
// real app intercepts that navigation).
'use strict';
(() => {
  if (!window.VippsLive) return;
  const { createClock, formatCountdown, subscribe } = window.VippsLive;
  let leaving = false;
  let source = null;

  // Forms: no double submit; the Pay form shows the spinner until the PSP has answered.
  for (const form of document.querySelectorAll('form[data-busy]')) {
    form.addEventListener('submit', () => {
      leaving = true;
      if (source) source.close();
      if (form.dataset.busy === 'pay') {
        const spinner = document.querySelector('[data-testid="spinner"]');
        if (spinner) spinner.hidden = false;
      }
      // Only buttons (they carry no form data): disabled inputs would drop out of the submission.
      setTimeout(() => {
        for (const button of document.querySelectorAll('button')) button.disabled = true;
      }, 0);
    });
  }

  // Home: the request list.
  const requests = document.getElementById('requests');
  if (requests) {
    let refreshing = Promise.resolve();
    const refresh = () => {
      refreshing = refreshing
        .then(() => fetch(requests.dataset.fragment, { credentials: 'same-origin', cache: 'no-store' }))
        .then((response) => (response.ok ? response.text() : null))
        .then((text) => {
          if (text !== null) requests.innerHTML = text;
        })
        .catch(() => {});
    };
    source = subscribe(requests.dataset.events, { payment: refresh });
    // Catch up after a reconnect (a push may have arrived while the stream was down).
    source.addEventListener('open', refresh);
    return;
  }

  // The payment screen.
  const live = document.getElementById('app-live');
  if (!live) return;
  const paymentId = live.dataset.payment;
  const state = live.dataset.state;
  const clock = createClock(Number(live.dataset.now));
  const reload = () => {
    if (leaving) return;
    leaving = true;
    if (source) source.close();
    window.location.replace(window.location.pathname);
  };

  if (!live.dataset.final) {
    source = subscribe(`${live.dataset.events}?payment=${encodeURIComponent(paymentId)}`, {
      tick: (data) => clock.sync(data.now),
      payment: (data) => {
        clock.sync(data.now);
        if (data.paymentId !== paymentId || data.state === state) return;
        // During 3-D Secure the web view's return tells us first (below).
        if (state === 'AWAITING_3DS' && data.state === 'CONFIRMING_3DS') return;
        reload();
      },
    });
  }

  const timer = live.querySelector('[data-testid="countdown"]');
  const dueAt = live.dataset.dueAt ? Date.parse(live.dataset.dueAt) : null;
  if (timer && dueAt !== null) {
    const update = () => {
      timer.textContent = formatCountdown(dueAt - clock.now());
    };
    update();
    setInterval(update, 250);
  }

  // 3-D Secure: the PSP's page (another origin) ends by redirecting the web view to the
  // platform's /mobileintercept return URL, which is this origin and so readable.
  const frame = document.getElementById('threeds-frame');
  if (frame) {
    frame.addEventListener('load', () => {
      let path;
      try {
        path = frame.contentWindow.location.pathname;
      } catch {
        return; // still on the PSP's page
      }
      if (path && path.toLowerCase() === '/mobileintercept') reload();
    });
  }
})();
