// Inside the card Element's frame (stripe-standin). Formats and validates what is typed, tells the
// host page only the state Stripe Elements tells it (empty, complete, brand, error), and sends the
// card itself only to the stand-in's own /v1/tokens or /v1/payment_methods.
'use strict';
(function () {
  const conf = JSON.parse(decodeURIComponent(window.location.hash.slice(1)));
  // An opaque host origin ('null', e.g. file://) cannot be a postMessage target: fall back to '*'
  // then. Nothing card-bearing is ever posted, only state and the token/PaymentMethod result.
  const hostOrigin = conf.origin && conf.origin !== 'null' ? conf.origin : '*';
  const send = (msg) => window.parent.postMessage(msg, hostOrigin);
  const $ = (id) => document.getElementById(id);
  const fields = { number: $('number'), exp: $('exp'), cvc: $('cvc') };
  const touched = { number: false, exp: false, cvc: false };
  let options = conf.options || {};
  let lastChange = null;

  // --- Styling from the Element's `style` option (StripeElementStyle) -------------------------

  const PROPS = ['backgroundColor', 'color', 'fontFamily', 'fontSize', 'fontSmoothing', 'fontStyle', 'fontVariant',
    'fontWeight', 'lineHeight', 'letterSpacing', 'textAlign', 'padding', 'textDecoration', 'textShadow',
    'textTransform'];
  const PSEUDOS = [':hover', ':focus', '::placeholder', '::selection', ':-webkit-autofill', ':disabled'];
  const VARIANTS = { base: 'input', complete: 'input.is-complete', empty: 'input.is-empty', invalid: 'input.is-invalid' };
  // Values are CSS values, never more CSS: a style from the host cannot add rules.
  const safe = (v) => (typeof v === 'string' || typeof v === 'number') && !/[;{}<>\\]/.test(String(v));
  const cssName = (p) => (p === 'fontSmoothing' ? '-webkit-font-smoothing' : p.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`));
  const decls = (v) => PROPS.filter((p) => safe(v[p])).map((p) => `${cssName(p)}: ${v[p]};`).join(' ');

  function applyStyle() {
    const style = options.style || {};
    let css = '';
    for (const [variant, selector] of Object.entries(VARIANTS)) {
      const v = style[variant];
      if (!v || typeof v !== 'object') continue;
      css += `${selector} { ${decls(v)} }\n`;
      for (const pseudo of PSEUDOS) if (v[pseudo] && typeof v[pseudo] === 'object') css += `${selector}${pseudo} { ${decls(v[pseudo])} }\n`;
      if (safe(v.iconColor)) css += `${variant === 'base' ? '' : `body.is-${variant} `}.icon { color: ${v.iconColor}; }\n`;
    }
    // The row's own size and colour follow the base font, so the frame's height and the icon do.
    const base = style.base || {};
    css += `body { ${decls({ color: base.color, fontFamily: base.fontFamily, fontSize: base.fontSize, lineHeight: base.lineHeight })} }\n`;
    $('user-style').textContent = css;
    if (options.iconStyle === 'solid') $('brand-text').parentNode.querySelector('rect').setAttribute('fill', 'currentColor');
    for (const input of Object.values(fields)) input.disabled = !!options.disabled;
    send({ type: 'resize', height: document.documentElement.getBoundingClientRect().height });
  }

  // --- Card rules ---------------------------------------------------------------------------

  function brandOf(n) {
    if (/^4/.test(n)) return 'visa';
    if (/^(5[1-5]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720)/.test(n)) return 'mastercard';
    if (/^3[47]/.test(n)) return 'amex';
    if (/^(6011|65|64[4-9])/.test(n)) return 'discover';
    if (/^(36|30[0-5]|3095|38|39)/.test(n)) return 'diners';
    if (/^35/.test(n)) return 'jcb';
    if (/^62/.test(n)) return 'unionpay';
    return 'unknown';
  }
  const BRAND_TEXT = { visa: 'VISA', mastercard: 'MC', amex: 'AMEX', discover: 'DISC', diners: 'DC', jcb: 'JCB', unionpay: 'UP', unknown: '' };
  const numberLength = (brand) => ({ amex: 15, diners: 14, unionpay: 19 }[brand] || 16);
  const cvcLength = (brand) => (brand === 'amex' ? 4 : 3);
  function luhn(n) {
    let sum = 0;
    for (let i = 0; i < n.length; i++) {
      let d = Number(n[n.length - 1 - i]);
      if (i % 2) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }
  const digits = (input) => input.value.replace(/\D/g, '');

  // Stripe's codes and English messages. `incomplete` errors only show once the field has been
  // left (or a token was asked for), as in Stripe Elements; `invalid` ones show at once.
  const ERR = {
    incomplete_number: 'Your card number is incomplete.',
    invalid_number: 'Your card number is invalid.',
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration date is invalid.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    invalid_expiry_year: "Your card's expiration year is invalid.",
    incomplete_cvc: "Your card's security code is incomplete.",
  };

  // -> {empty, complete, error: code|null, incomplete: bool}
  function check() {
    const n = digits(fields.number);
    const brand = brandOf(n);
    const out = { brand };
    const len = numberLength(brand);
    out.number = n.length < len ? { empty: !n, complete: false, error: n ? 'incomplete_number' : null, incomplete: true }
      : luhn(n) ? { complete: true } : { complete: false, error: 'invalid_number' };

    const e = digits(fields.exp);
    const month = Number(e.slice(0, 2));
    const year = 2000 + Number(e.slice(2));
    const today = new Date();
    let exp;
    if (e.length >= 2 && (month < 1 || month > 12)) exp = { error: 'invalid_expiry_month' };
    else if (e.length < 4) exp = { empty: !e, error: e ? 'incomplete_expiry' : null, incomplete: true };
    else if (year < today.getFullYear()) exp = { error: 'invalid_expiry_year_past' };
    else if (year === today.getFullYear() && month < today.getMonth() + 1) exp = { error: 'invalid_expiry_month_past' };
    else if (year > today.getFullYear() + 50) exp = { error: 'invalid_expiry_year' };
    else exp = { complete: true };
    out.exp = exp;

    const c = digits(fields.cvc);
    out.cvc = c.length < cvcLength(brand) ? { empty: !c, error: c ? 'incomplete_cvc' : null, incomplete: true } : { complete: true };
    return out;
  }

  // The error to show: the first field's, skipping incomplete ones not yet left unless `all`.
  function visibleError(state, all) {
    for (const name of ['number', 'exp', 'cvc']) {
      const f = state[name];
      const code = f.error || (all && f.incomplete ? { number: 'incomplete_number', exp: 'incomplete_expiry', cvc: 'incomplete_cvc' }[name] : null);
      if (code && (!f.incomplete || touched[name] || all)) return code;
    }
    return null;
  }

  function report(all, typed) {
    const state = check();
    const code = visibleError(state, all);
    for (const name of ['number', 'exp', 'cvc']) {
      const f = state[name];
      fields[name].classList.toggle('is-complete', !!f.complete);
      fields[name].classList.toggle('is-empty', !!f.empty);
      fields[name].classList.toggle('is-invalid', !!f.error && (!f.incomplete || touched[name] || all));
    }
    const empty = !!(state.number.empty && state.exp.empty && state.cvc.empty);
    const complete = !!(state.number.complete && state.exp.complete && state.cvc.complete);
    document.body.className = code ? 'is-invalid' : complete ? 'is-complete' : empty ? 'is-empty' : '';
    $('brand-text').textContent = BRAND_TEXT[state.brand];
    const msg = { type: 'change', empty, complete, brand: state.brand };
    if (code) msg.error = { type: 'validation_error', code, message: ERR[code] };
    // A change event for every edit, as Stripe sends; otherwise (blur, tokenizing) only when
    // something the page can see has changed, so a page that tokenizes on `complete` cannot loop.
    const text = JSON.stringify(msg);
    if (typed || text !== lastChange) { lastChange = text; send(msg); }
    return { state, code };
  }

  // --- Typing -------------------------------------------------------------------------------

  function formatNumber(n) {
    const groups = brandOf(n) === 'amex' ? [4, 6, 5] : [4, 4, 4, 4, 3];
    const parts = [];
    let at = 0;
    for (const g of groups) { if (at >= n.length) break; parts.push(n.slice(at, at + g)); at += g; }
    return parts.join(' ');
  }
  function formatExp(e) {
    if (/^[2-9]/.test(e)) e = `0${e}`; // "4" can only be April
    if (/^1[3-9]/.test(e)) e = `0${e}`; // "13" is January, then a 3 of the year
    e = e.slice(0, 4);
    return e.length > 2 ? `${e.slice(0, 2)} / ${e.slice(2)}` : e;
  }

  fields.number.addEventListener('input', () => {
    const n = digits(fields.number);
    const limited = n.slice(0, numberLength(brandOf(n)));
    fields.number.value = formatNumber(limited);
    const { state } = report(false, true);
    // Like Elements: a finished number moves on to the expiry.
    if (state.number.complete && limited.length === n.length) fields.exp.focus();
  });
  fields.exp.addEventListener('input', (event) => {
    let e = digits(fields.exp);
    // Deleting the " / " deletes the digit before it.
    if (event.inputType === 'deleteContentBackward' && /^\d{2} \/?$/.test(fields.exp.value)) e = e.slice(0, 1);
    fields.exp.value = formatExp(e);
    const { state } = report(false, true);
    if (state.exp.complete) fields.cvc.focus();
  });
  fields.cvc.addEventListener('input', () => {
    fields.cvc.value = digits(fields.cvc).slice(0, cvcLength(brandOf(digits(fields.number))));
    report(false, true);
  });

  // Element-level focus and blur: when focus enters or leaves the frame, not between its inputs.
  let focused = false;
  for (const [name, input] of Object.entries(fields)) {
    input.addEventListener('focus', () => { if (!focused) { focused = true; send({ type: 'focus' }); } });
    input.addEventListener('blur', (event) => {
      if (input.value) touched[name] = true;
      report(false);
      if (!Object.values(fields).includes(event.relatedTarget)) {
        setTimeout(() => {
          if (!Object.values(fields).includes(document.activeElement) && focused) { focused = false; send({ type: 'blur' }); }
        }, 0);
      }
    });
    input.addEventListener('keydown', (event) => { if (event.key === 'Escape') send({ type: 'escape' }); });
  }

  // --- Tokenizing -----------------------------------------------------------------------------

  async function tokenize(kind, reqId, payload) {
    const reply = (result) => send({ type: 'result', reqId, result });
    Object.keys(touched).forEach((k) => { touched[k] = true; });
    const { code } = report(true);
    if (code) return reply({ error: { type: 'validation_error', code, message: ERR[code] } });
    const body = new URLSearchParams();
    const e = digits(fields.exp);
    body.set('card[number]', digits(fields.number));
    body.set('card[exp_month]', e.slice(0, 2));
    body.set('card[exp_year]', e.slice(2));
    body.set('card[cvc]', digits(fields.cvc));
    let url;
    if (kind === 'createToken') {
      url = '/v1/tokens';
      // CreateTokenCardData: name, address_*, currency go on the card.
      for (const [k, v] of Object.entries(payload.data || {})) if (typeof v === 'string') body.set(`card[${k}]`, v);
    } else {
      url = '/v1/payment_methods';
      body.set('type', 'card');
      const flatten = (prefix, value) => {
        if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) flatten(`${prefix}[${k}]`, v);
        else if (typeof value === 'string' || typeof value === 'number') body.set(prefix, String(value));
      };
      flatten('billing_details', payload.billing_details);
      flatten('metadata', payload.metadata);
    }
    try {
      const res = await fetch(url, { method: 'POST', body,
        headers: { Authorization: `Bearer ${conf.key}`, 'Content-Type': 'application/x-www-form-urlencoded' } });
      const json = await res.json();
      if (!res.ok) return reply({ error: json.error });
      return reply(kind === 'createToken' ? { token: json } : { paymentMethod: json });
    } catch (err) {
      return reply({ error: { type: 'api_connection_error', message: 'An error occurred with our connection to Stripe.' } });
    }
  }

  window.addEventListener('message', (event) => {
    // Only the page that embeds us, and (when it has one) only from its origin.
    if (event.source !== window.parent) return;
    if (hostOrigin !== '*' && event.origin !== hostOrigin) return;
    const msg = event.data || {};
    switch (msg.type) {
      case 'focus': fields.number.focus(); break;
      case 'blur': document.activeElement && document.activeElement.blur(); break;
      case 'clear':
        for (const input of Object.values(fields)) input.value = '';
        Object.keys(touched).forEach((k) => { touched[k] = false; });
        report(false, true);
        break;
      case 'update': options = msg.options || {}; applyStyle(); break;
      case 'createToken': case 'createPaymentMethod': tokenize(msg.type, msg.reqId, msg.payload || {}); break;
      default: break;
    }
  });

  applyStyle();
  // Stripe sends no change event until something is typed.
  for (const input of Object.values(fields)) input.classList.add('is-empty');
  document.body.className = 'is-empty';
  send({ type: 'ready' });
}());
