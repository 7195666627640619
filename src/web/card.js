// The card page's script. It loads Stripe.js from the URL native code gives
// it (window.tillConfig, set by a user script before this runs), mounts the
// card Element and talks to native code with messages the strict validator
// in src/core/till-card-message.c accepts. Every field is copied explicitly:
// Stripe's own objects are never forwarded. The page never sees the session
// or the amount.
//
// Messages go to the page's own window as "till:" + JSON text; a bridge in an
// isolated script world of the top frame only (installed by native code)
// checks that they come from this window and this origin and hands them to
// the one script message handler, which page scripts (ours, Stripe's, any
// frame's) cannot reach directly.
'use strict';
(function () {
  const config = window.tillConfig || {};
  const CODE = /^[a-z0-9_]{1,100}$/;
  let stripe = null;
  let card = null;

  function post(message) {
    window.postMessage('till:' + JSON.stringify(message), window.location.origin);
  }

  // Stripe's words, made fit for the validator: text without control
  // characters, 1 to 500 bytes.
  function text(value, fallback) {
    let s = typeof value === 'string' ? value.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim() : '';
    if (s === '') s = fallback;
    while (new TextEncoder().encode(s).length > 500) s = s.slice(0, -1);
    return s;
  }

  function errorMessage(error) {
    const e = error || {};
    const out = { type: typeof e.type === 'string' ? e.type : 'api_error',
      message: text(e.message, 'The card could not be read.') };
    if (typeof e.code === 'string' && CODE.test(e.code)) out.code = e.code;
    if (typeof e.decline_code === 'string' && CODE.test(e.decline_code)) out.decline_code = e.decline_code;
    return { type: 'error', error: out };
  }

  function cardFields(c) {
    const source = c || {};
    return { brand: source.brand, last4: source.last4, exp_month: source.exp_month, exp_year: source.exp_year };
  }

  function style() {
    const css = getComputedStyle(document.documentElement);
    const v = (name) => css.getPropertyValue(name).trim();
    return {
      base: { color: v('--till-fg'), iconColor: v('--till-fg'), fontFamily: v('--till-font'),
        fontSize: v('--till-font-size'), '::placeholder': { color: v('--till-placeholder') } },
      invalid: { color: v('--till-invalid'), iconColor: v('--till-invalid') },
    };
  }

  function mount() {
    stripe = window.Stripe(config.publishableKey);
    card = stripe.elements().create('card', { style: style(), hidePostalCode: true });
    card.on('ready', () => post({ type: 'ready' }));
    card.on('change', (event) => {
      let error = null;
      if (event.error) {
        error = { code: typeof event.error.code === 'string' && CODE.test(event.error.code) ? event.error.code : 'invalid',
          message: text(event.error.message, 'The card is not valid.') };
      }
      post({ type: 'change', complete: !!event.complete, empty: !!event.empty,
        brand: typeof event.brand === 'string' ? event.brand : 'unknown', error });
    });
    card.mount('#card-element');
    // Follow the light or dark style when it changes.
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
      if (card) card.update({ style: style() });
    });
  }

  window.tillTokenize = async function tillTokenize(mode) {
    if (!card) {
      post(errorMessage({ type: 'api_connection_error', message: 'The card form is not ready.' }));
      return false;
    }
    let result;
    try {
      result = mode === 'charges'
        ? await stripe.createToken(card)
        : await stripe.createPaymentMethod({ type: 'card', card });
    } catch (e) {
      result = { error: { type: 'api_error', message: 'The card form could not read the card.' } };
    }
    if (result && result.token) {
      post({ type: 'token', token: { id: result.token.id, card: cardFields(result.token.card) } });
    } else if (result && result.paymentMethod) {
      post({ type: 'payment_method', payment_method: { id: result.paymentMethod.id, card: cardFields(result.paymentMethod.card) } });
    } else {
      post(errorMessage(result && result.error));
    }
    return true;
  };

  window.tillHandleCardAction = async function tillHandleCardAction(clientSecret) {
    if (!stripe) {
      post(errorMessage({ type: 'api_connection_error', message: 'The card form is not ready.' }));
      return false;
    }
    let result;
    try {
      result = await stripe.handleCardAction(String(clientSecret));
    } catch (e) {
      result = { error: { type: 'invalid_request_error', message: 'The payment could not be authenticated.' } };
    }
    if (result && result.paymentIntent) {
      post({ type: 'action_result', payment_intent: { id: result.paymentIntent.id, status: result.paymentIntent.status } });
    } else {
      post(errorMessage(result && result.error));
    }
    return true;
  };

  window.tillClear = function tillClear() {
    if (card) card.clear();
    return true;
  };

  window.tillFocus = function tillFocus() {
    if (card) card.focus();
    return true;
  };

  const script = document.createElement('script');
  script.src = config.stripeJsUrl;
  script.addEventListener('load', () => {
    try {
      mount();
    } catch (e) {
      post(errorMessage({ type: 'api_error', message: 'Stripe.js could not start.' }));
    }
  });
  script.addEventListener('error', () => {
    post(errorMessage({ type: 'api_connection_error', message: 'Stripe.js could not be loaded.' }));
  });
  document.head.appendChild(script);
}());
