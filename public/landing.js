// The landing page's waiting screen: follows the payment over server-sent events, counts down
// to the payment's due time on the platform's clock, and sends the browser to the shop
// (pspRedirectUrl) when the payment has ended.
'use strict';
(() => {
  const live = document.getElementById('live');
  if (!live || !window.VippsLive) return;
  const { createClock, formatCountdown, subscribe } = window.VippsLive;
  /** Long enough to read the outcome, short enough not to wait for it. */
  const REDIRECT_DELAY_MS = 1500;

  const $ = (id) => live.querySelector(`[data-testid="${id}"]`);
  const title = $('status-title');
  const message = $('status-message');
  const box = $('countdown-box');
  const timer = $('countdown');
  const timeout = $('timeout');
  const hint = $('open-app-hint');
  const openApp = $('open-app');
  const redirecting = $('redirecting');
  const cancelForm = document.querySelector('[data-testid="cancel-form"]');

  const clock = createClock(Number(live.dataset.now));
  let state = live.dataset.state;
  let dueAt = live.dataset.dueAt ? Date.parse(live.dataset.dueAt) : null;
  let finished = false;
  const counting = () => !finished && dueAt !== null && (state === 'AWAITING_USER' || state === 'AWAITING_3DS');

  function updateTimer() {
    if (finished) return;
    if (!counting()) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    const left = dueAt - clock.now();
    timer.textContent = formatCountdown(left);
    timeout.hidden = left > 0;
  }

  function finish(data) {
    finished = true;
    source.close();
    if (cancelForm) cancelForm.remove();
    if (hint) hint.hidden = true;
    if (openApp) openApp.hidden = true;
    if (data.state === 'EXPIRED') {
      box.hidden = false;
      timer.textContent = formatCountdown(0);
      timeout.hidden = false;
    } else {
      box.hidden = true;
    }
    if (data.redirectUrl) {
      redirecting.hidden = false;
      setTimeout(() => window.location.assign(data.redirectUrl), REDIRECT_DELAY_MS);
    }
  }

  const source = subscribe(live.dataset.events, {
    tick: (data) => clock.sync(data.now),
    state: (data) => {
      clock.sync(data.now);
      state = data.state;
      live.dataset.state = state;
      dueAt = data.dueAt ? Date.parse(data.dueAt) : null;
      title.textContent = data.title;
      document.title = data.title;
      message.textContent = data.message;
      if (cancelForm) cancelForm.hidden = !(state === 'AWAITING_USER' || state === 'AWAITING_3DS');
      if (data.final) finish(data);
      else updateTimer();
    },
  });

  updateTimer();
  setInterval(updateTimer, 250);
})();
