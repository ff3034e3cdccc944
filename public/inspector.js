// The inspector's live updates (no build step): the platform's clock in the top bar ticks, and
// the page's main content is fetched again and swapped in when a payment changes (the payments
// list, a payment's page, the journal, the batches). Forms being filled in are left alone.
'use strict';
(() => {
  const body = document.body;
  const url = body.dataset.events;
  if (!url || !window.VippsLive) return;
  const clockEl = document.querySelector('[data-testid="clock-now"]');
  const clock = window.VippsLive.createClock(Date.now());
  const show = () => {
    if (clockEl) clockEl.textContent = new Date(clock.now()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  };
  let pending = null;
  const refresh = () => {
    if (pending) return;
    pending = setTimeout(async () => {
      pending = null;
      const active = document.activeElement;
      if (active && active.closest('form') && active.closest('main')) return; // the user is typing
      try {
        const res = await fetch(location.href, { headers: { accept: 'text/html' }, credentials: 'same-origin' });
        if (!res.ok) return;
        const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
        const fresh = doc.getElementById('main');
        const main = document.getElementById('main');
        if (fresh && main) {
          const open = new Set([...main.querySelectorAll('details[open]')].map((d) => d.closest('tr')?.dataset.request));
          main.replaceWith(fresh);
          for (const tr of fresh.querySelectorAll('tr[data-request]')) {
            if (open.has(tr.dataset.request)) tr.querySelector('details')?.setAttribute('open', '');
          }
          body.dataset.refreshed = String(Number(body.dataset.refreshed || 0) + 1);
        }
      } catch {
        // the next change tries again
      }
    }, 150);
  };
  window.VippsLive.subscribe(url, {
    tick: (data) => {
      clock.sync(data.now);
      show();
    },
    changed: refresh,
  });
  body.dataset.live = 'on';
})();
