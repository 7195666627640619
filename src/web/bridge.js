// Runs in the isolated script world "till-bridge", in the top frame only
// (native code injects it there). Page scripts cannot reach this world's
// window.webkit.messageHandlers.till; this forwards the card page's own
// messages, posted by the top frame's window to itself, and nothing else.
'use strict';
(function () {
  const handler = window.webkit.messageHandlers.till;
  window.addEventListener('message', (event) => {
    if (event.source !== window || event.origin !== window.location.origin) return;
    if (typeof event.data !== 'string' || !event.data.startsWith('till:')) return;
    handler.postMessage(event.data.slice(5)).catch(() => {});
  });
}());
