// The 3-D Secure challenge frame: records the outcome with the stand-in (same origin as this
// frame), then tells the page's Stripe.js stand-in, which re-reads the PaymentIntent.
'use strict';
(function () {
  const conf = JSON.parse(decodeURIComponent(window.location.hash.slice(1)));
  const hostOrigin = conf.origin && conf.origin !== 'null' ? conf.origin : '*';
  const buttons = [document.getElementById('succeed'), document.getElementById('fail')];
  const status = document.getElementById('status');

  async function answer(result) {
    buttons.forEach((b) => { b.disabled = true; });
    status.textContent = 'Sending…';
    let ok = false;
    try {
      const res = await fetch(`/__standin/payment_intents/${encodeURIComponent(conf.pi)}/authenticate`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ result }) });
      ok = res.ok;
    } catch (err) {
      ok = false;
    }
    // Either way the page re-reads the PaymentIntent, which says what really happened.
    window.parent.postMessage({ type: '3ds-done', result, ok }, hostOrigin);
  }
  buttons[0].addEventListener('click', () => answer('succeed'));
  buttons[1].addEventListener('click', () => answer('fail'));
}());
