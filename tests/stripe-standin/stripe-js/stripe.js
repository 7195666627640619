// Stand-in for the part of Stripe.js v3 that Till's card page uses, served by stripe-standin at
// /v3/ (where js.stripe.com serves the real one). Names and result shapes follow the
// @stripe/stripe-js type definitions. As with Stripe Elements, the card inputs live in an iframe
// from the stand-in's origin, so card data never enters the host page; the two sides talk with
// postMessage and each checks who sent a message. Errors resolve as {error}, never reject, as in
// Stripe.js; misuse (wrong arguments) throws, as Stripe.js's IntegrationError does.
'use strict';
(function () {
  // The frames come from wherever this script came from.
  const BASE = new URL(document.currentScript.src).origin;
  // A page with an opaque origin (file://) cannot be named as a postMessage target; the frames
  // then fall back to '*' and to checking event.source only.
  const HOST_ORIGIN = window.location.origin;
  let nextId = 0;

  function integrationError(message) {
    const err = new Error(message);
    err.name = 'IntegrationError';
    return err;
  }

  // Every message from our frames: only from BASE, only from a frame we made.
  const frames = new Map(); // contentWindow -> handler
  window.addEventListener('message', (event) => {
    if (event.origin !== BASE) return;
    const handler = frames.get(event.source);
    if (handler && event.data && typeof event.data === 'object') handler(event.data);
  });

  function makeFrame(pathname, conf, style) {
    const frame = document.createElement('iframe');
    frame.src = `${BASE}${pathname}#${encodeURIComponent(JSON.stringify({ ...conf, origin: HOST_ORIGIN }))}`;
    frame.setAttribute('frameborder', '0');
    frame.setAttribute('allowtransparency', 'true');
    frame.setAttribute('scrolling', 'no');
    // Same color-scheme inside and out keeps the frame transparent over a dark page.
    Object.assign(frame.style, { border: 'none', margin: '0', padding: '0', display: 'block',
      background: 'transparent', colorScheme: 'normal' }, style);
    return frame;
  }

  const CARD_EVENTS = ['change', 'ready', 'focus', 'blur', 'escape', 'loaderror', 'networkschange'];

  function createCardElement(stripe, initialOptions) {
    let options = { ...(initialOptions || {}) };
    const handlers = Object.fromEntries(CARD_EVENTS.map((t) => [t, []]));
    const pending = new Map();
    const id = `card-${++nextId}`;
    let frame = null;
    let container = null;
    let destroyed = false;
    let state = { empty: true, complete: false, brand: 'unknown', focused: false, invalid: false };

    const emit = (type, event) => handlers[type].slice().forEach((h) => h(event));
    const classes = () => ({ base: 'StripeElement', complete: 'StripeElement--complete',
      empty: 'StripeElement--empty', focus: 'StripeElement--focus', invalid: 'StripeElement--invalid',
      webkitAutofill: 'StripeElement--webkit-autofill', ...(options.classes || {}) });
    function applyClasses() {
      if (!container) return;
      const c = classes();
      container.classList.add(c.base);
      container.classList.toggle(c.complete, state.complete);
      container.classList.toggle(c.empty, state.empty);
      container.classList.toggle(c.focus, state.focused);
      container.classList.toggle(c.invalid, state.invalid);
    }
    const post = (msg) => frame && frame.contentWindow.postMessage(msg, BASE);

    function onFrameMessage(msg) {
      switch (msg.type) {
        case 'ready': emit('ready', { elementType: 'card' }); break;
        case 'resize': if (typeof msg.height === 'number') frame.style.height = `${Math.ceil(msg.height)}px`; break;
        case 'focus': case 'blur':
          state.focused = msg.type === 'focus';
          applyClasses();
          emit(msg.type, { elementType: 'card' });
          break;
        case 'escape': emit('escape', { elementType: 'card' }); break;
        case 'change': {
          const event = { elementType: 'card', empty: !!msg.empty, complete: !!msg.complete,
            brand: String(msg.brand || 'unknown'), value: { postalCode: '' } };
          if (msg.error) {
            event.error = { type: 'validation_error', code: String(msg.error.code), message: String(msg.error.message) };
          }
          state = { ...state, empty: event.empty, complete: event.complete, brand: event.brand, invalid: !!event.error };
          applyClasses();
          emit('change', event);
          break;
        }
        case 'result': {
          const resolve = pending.get(msg.reqId);
          if (resolve) { pending.delete(msg.reqId); resolve(msg.result); }
          break;
        }
        default: break;
      }
    }

    const element = {
      mount(target) {
        if (destroyed) throw integrationError('This Element has already been destroyed. Please create a new one.');
        if (frame) throw integrationError('This Element is already mounted. Use `unmount` to unmount the Element before re-mounting.');
        const node = typeof target === 'string' ? document.querySelector(target) : target;
        if (!node || !node.appendChild) {
          throw integrationError(`The selector you specified (${target}) applies to no DOM elements that are currently on the page.`);
        }
        container = node;
        frame = makeFrame('/__standin/elements/card.html', { id, key: stripe._key, options },
          { width: '100%', height: '1.5em' });
        frame.title = 'Secure card payment input frame';
        frame.name = `__privateStripeFrame${id}`;
        container.appendChild(frame);
        frames.set(frame.contentWindow, onFrameMessage);
        frame.addEventListener('error', () => emit('loaderror', { elementType: 'card',
          error: { type: 'api_connection_error', message: 'The card frame could not be loaded.' } }));
        applyClasses();
      },
      // The frame (and what was typed) goes; the element can be mounted again, empty.
      unmount() {
        if (!frame) return;
        frames.delete(frame.contentWindow);
        frame.remove();
        frame = null;
        for (const resolve of pending.values()) {
          resolve({ error: { type: 'validation_error', code: 'incomplete_number', message: 'Your card number is incomplete.' } });
        }
        pending.clear();
        state = { empty: true, complete: false, brand: 'unknown', focused: false, invalid: false };
      },
      destroy() { element.unmount(); destroyed = true; },
      focus() { post({ type: 'focus' }); },
      blur() { post({ type: 'blur' }); },
      clear() { post({ type: 'clear' }); },
      update(newOptions) {
        const next = { ...(newOptions || {}) };
        if (next.style) next.style = { ...(options.style || {}), ...next.style };
        options = { ...options, ...next };
        applyClasses();
        post({ type: 'update', options });
      },
      on(type, handler) {
        if (!handlers[type]) throw integrationError(`Unsupported event type: ${type}`);
        handlers[type].push(handler);
        return element;
      },
      once(type, handler) {
        const wrapped = (event) => { element.off(type, wrapped); handler(event); };
        return element.on(type, wrapped);
      },
      off(type, handler) {
        if (!handlers[type]) return element;
        handlers[type] = handler ? handlers[type].filter((h) => h !== handler) : [];
        return element;
      },
      // For createToken / createPaymentMethod: the frame holds the card, so it does the request.
      _tokenize(kind, payload) {
        if (!frame) throw integrationError(`We could not retrieve data from the specified Element.
              Please make sure the Element you are attempting to use is still mounted.`);
        const reqId = ++nextId;
        return new Promise((resolve) => {
          pending.set(reqId, resolve);
          post({ type: kind, reqId, payload });
        });
      },
      _stripe: stripe,
    };
    return element;
  }

  function Stripe(publishableKey, stripeOptions) {
    if (typeof publishableKey !== 'string' || publishableKey === '') {
      throw integrationError('Please call Stripe() with your publishable key. You used an empty string.');
    }
    if (/^sk_/.test(publishableKey)) {
      throw integrationError('You should not use your secret key with Stripe.js. Please pass a publishable key instead.');
    }
    const stripe = { _key: publishableKey, _options: stripeOptions || {} };
    const isCard = (el) => el && typeof el._tokenize === 'function' && el._stripe === stripe;

    stripe.elements = function elements() {
      let card = null;
      return {
        create(type, options) {
          if (type !== 'card') throw integrationError(`The stand-in implements only the 'card' Element, not '${type}'.`);
          if (card) throw integrationError('Can only create one Element of type card.');
          card = createCardElement(stripe, options);
          return card;
        },
        getElement(type) { return type === 'card' ? card : null; },
      };
    };

    stripe.createToken = function createToken(element, data) {
      if (!isCard(element)) throw integrationError('You must provide a Stripe Element or a valid token type to create a Token.');
      return element._tokenize('createToken', { data: data || {} });
    };

    // createPaymentMethod({type:'card', card, billing_details, metadata}) and the older
    // createPaymentMethod('card', element, {billing_details}).
    stripe.createPaymentMethod = function createPaymentMethod(arg, legacyElement, legacyData) {
      const params = typeof arg === 'string' ? { ...(legacyData || {}), type: arg, card: legacyElement } : (arg || {});
      if (params.type !== 'card') throw integrationError('The stand-in creates only PaymentMethods of type card.');
      if (!isCard(params.card)) throw integrationError('Invalid value for createPaymentMethod: card should be a card Element.');
      return params.card._tokenize('createPaymentMethod',
        { billing_details: params.billing_details || {}, metadata: params.metadata || {} });
    };

    async function getIntent(id, clientSecret) {
      try {
        const res = await fetch(`${BASE}/v1/payment_intents/${encodeURIComponent(id)}?client_secret=${encodeURIComponent(clientSecret)}`,
          { headers: { Authorization: `Bearer ${publishableKey}` } });
        const body = await res.json();
        return res.ok ? { paymentIntent: body } : { error: body.error };
      } catch (err) {
        return { error: { type: 'api_connection_error', message: 'An error occurred with our connection to Stripe.' } };
      }
    }

    // The customer's 3-D Secure challenge, in a modal frame from the stand-in; resolves when a
    // button has been pressed there and the stand-in has recorded the outcome.
    function challenge(pi) {
      return new Promise((resolve) => {
        const overlay = document.createElement('div');
        Object.assign(overlay.style, { position: 'fixed', inset: '0', zIndex: '2147483647', display: 'flex',
          alignItems: 'center', justifyContent: 'center', background: 'rgba(0, 0, 0, 0.5)' });
        const frame = makeFrame('/__standin/three_d_secure.html', { pi: pi.id },
          { width: '400px', height: '320px', maxWidth: '100%', maxHeight: '100%', borderRadius: '8px' });
        frame.title = '3D Secure authentication';
        overlay.appendChild(frame);
        document.body.appendChild(overlay);
        frames.set(frame.contentWindow, (msg) => {
          if (msg.type !== '3ds-done') return;
          frames.delete(frame.contentWindow);
          overlay.remove();
          resolve();
        });
      });
    }

    stripe.handleCardAction = async function handleCardAction(clientSecret) {
      const match = /^(pi_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(String(clientSecret));
      if (!match) {
        throw integrationError('Invalid value for handleCardAction: clientSecret should be a client secret of the form ${id}_secret_${secret}.');
      }
      let result = await getIntent(match[1], clientSecret);
      if (result.error) return result;
      if (result.paymentIntent.status === 'requires_action') {
        await challenge(result.paymentIntent);
        result = await getIntent(match[1], clientSecret);
        if (result.error) return result;
      }
      const pi = result.paymentIntent;
      // A failed challenge puts the PaymentIntent back to requires_payment_method; Stripe.js
      // reports that as the error, with the PaymentIntent attached.
      if (pi.status === 'requires_payment_method' && pi.last_payment_error) {
        return { error: { ...pi.last_payment_error, payment_intent: pi } };
      }
      return { paymentIntent: pi };
    };

    return stripe;
  }

  window.Stripe = Stripe;
}());
