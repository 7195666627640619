// Tokenization endpoints and the Stripe.js stand-in's files (node --test; no browser needed).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStandin } = require('../standin-process');

let standin;
let base;
const PK = 'Bearer pk_test_standin';
const SK = 'Bearer sk_test_standin';
const YEAR = String(new Date().getFullYear() + 3);

before(async () => {
  standin = await startStandin();
  base = standin.base;
});
after(() => standin.stop());

async function call(method, url, { auth = PK, form } = {}) {
  const headers = {};
  if (auth) headers.Authorization = auth;
  const res = await fetch(base + url, { method, headers, body: form ? new URLSearchParams(form) : undefined });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, body, headers: res.headers };
}
const card = (number, extra = {}) => ({ 'card[number]': number, 'card[exp_month]': '12', 'card[exp_year]': YEAR,
  'card[cvc]': number.startsWith('37') ? '1234' : '123', ...extra });

const CARDS = [
  ['4242424242424242', 'tok_visa', 'pm_card_visa', 'Visa', 'visa'],
  ['5555555555554444', 'tok_mastercard', 'pm_card_mastercard', 'MasterCard', 'mastercard'],
  ['378282246310005', 'tok_amex', 'pm_card_amex', 'American Express', 'amex'],
  ['4000000000000002', 'tok_chargeDeclined', 'pm_card_visa_chargeDeclined', 'Visa', 'visa'],
  ['4000000000009995', 'tok_chargeDeclinedInsufficientFunds', 'pm_card_visa_chargeDeclinedInsufficientFunds', 'Visa', 'visa'],
  ['4000000000000069', 'tok_chargeDeclinedExpiredCard', 'pm_card_chargeDeclinedExpiredCard', 'Visa', 'visa'],
  ['4000000000000127', 'tok_chargeDeclinedIncorrectCvc', 'pm_card_chargeDeclinedIncorrectCvc', 'Visa', 'visa'],
  ['4000000000000119', 'tok_chargeDeclinedProcessingError', 'pm_card_chargeDeclinedProcessingError', 'Visa', 'visa'],
  ['4100000000000019', 'tok_chargeDeclinedFraudulent', 'pm_card_radarBlock', 'Visa', 'visa'],
  ['4000002760003184', null, 'pm_card_authenticationRequired', 'Visa', 'visa'],
];

for (const [number, tok, pm, tokenBrand, brand] of CARDS) {
  test(`${number}: token ${tok || '(none: authentication_required)'}`, async () => {
    const r = await call('POST', '/v1/tokens', { form: card(number) });
    if (!tok) {
      assert.equal(r.status, 402);
      assert.equal(r.body.error.type, 'card_error');
      assert.equal(r.body.error.code, 'card_declined');
      assert.equal(r.body.error.decline_code, 'authentication_required');
      return;
    }
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const t = r.body;
    assert.equal(t.id, tok);
    assert.equal(t.object, 'token');
    assert.equal(t.type, 'card');
    assert.equal(t.used, false);
    assert.equal(t.livemode, false);
    assert.equal(typeof t.created, 'number');
    assert.ok('client_ip' in t);
    assert.match(t.card.id, /^card_/);
    assert.equal(t.card.object, 'card');
    assert.equal(t.card.brand, tokenBrand);
    assert.equal(t.card.last4, number.slice(-4));
    assert.equal(t.card.exp_month, 12);
    assert.equal(t.card.exp_year, Number(YEAR));
    assert.equal(t.card.funding, 'credit');
    assert.equal(t.card.country, 'US');
    assert.equal(t.card.cvc_check, 'unchecked');
  });
  test(`${number}: PaymentMethod ${pm}`, async () => {
    const r = await call('POST', '/v1/payment_methods', { form: { type: 'card', ...card(number),
      'billing_details[name]': 'A Customer' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const p = r.body;
    assert.equal(p.id, pm);
    assert.equal(p.object, 'payment_method');
    assert.equal(p.type, 'card');
    assert.equal(p.livemode, false);
    assert.equal(p.billing_details.name, 'A Customer');
    assert.equal(p.card.brand, brand);
    assert.equal(p.card.last4, number.slice(-4));
    assert.equal(p.card.exp_month, 12);
    assert.equal(p.card.exp_year, Number(YEAR));
    assert.equal(p.card.funding, 'credit');
    assert.equal(p.card.country, 'US');
    assert.deepEqual(p.card.three_d_secure_usage, { supported: true });
    assert.ok(p.card.checks);
  });
}

test('a token charges through the mock with its outcome', async () => {
  const ok = await call('POST', '/v1/charges', { auth: SK,
    form: { amount: '1234', currency: 'usd', source: (await call('POST', '/v1/tokens', { form: card('4242424242424242') })).body.id } });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.status, 'succeeded');
  const tok = (await call('POST', '/v1/tokens', { form: card('4000000000009995') })).body.id;
  const no = await call('POST', '/v1/charges', { auth: SK, form: { amount: '1234', currency: 'usd', source: tok } });
  assert.equal(no.status, 402);
  assert.equal(no.body.error.decline_code, 'insufficient_funds');
});

test('a PaymentMethod id pays a PaymentIntent; the 3-D Secure one asks for action', async () => {
  const pm = (await call('POST', '/v1/payment_methods', { form: { type: 'card', ...card('4000002760003184') } })).body.id;
  const pi = await call('POST', '/v1/payment_intents', { auth: SK,
    form: { amount: '500', currency: 'usd', payment_method: pm, confirm: 'true', confirmation_method: 'manual' } });
  assert.equal(pi.status, 200);
  assert.equal(pi.body.status, 'requires_action');
});

const ERRORS = [
  ['non-Luhn number', card('4242424242424241'), 'incorrect_number', 'number', 'card[number]', 'Your card number is incorrect.'],
  ['short number', card('4242'), 'incorrect_number', 'number', 'card[number]', 'Your card number is incorrect.'],
  ['month 13', card('4242424242424242', { 'card[exp_month]': '13' }), 'invalid_expiry_month', 'exp_month', 'card[exp_month]',
    "Your card's expiration month is invalid."],
  ['year in the past', card('4242424242424242', { 'card[exp_year]': '2015' }), 'invalid_expiry_year', 'exp_year',
    'card[exp_year]', "Your card's expiration year is invalid."],
  ['year too far', card('4242424242424242', { 'card[exp_year]': String(new Date().getFullYear() + 60) }),
    'invalid_expiry_year', 'exp_year', 'card[exp_year]', "Your card's expiration year is invalid."],
  ['CVC of 2 digits', card('4242424242424242', { 'card[cvc]': '12' }), 'invalid_cvc', 'cvc', 'card[cvc]',
    "Your card's security code is invalid."],
  ['CVC with letters', card('4242424242424242', { 'card[cvc]': '12a' }), 'invalid_cvc', 'cvc', 'card[cvc]',
    "Your card's security code is invalid."],
];
if (new Date().getMonth() > 0) {
  ERRORS.push(['month already past this year', card('4242424242424242', { 'card[exp_month]': '1',
    'card[exp_year]': String(new Date().getFullYear()) }), 'invalid_expiry_month', 'exp_month', 'card[exp_month]',
  "Your card's expiration month is invalid."]);
}
for (const [what, form, code, tokParam, pmParam, message] of ERRORS) {
  test(`validation: ${what} -> ${code}`, async () => {
    for (const [url, body, param] of [['/v1/tokens', form, tokParam],
      ['/v1/payment_methods', { type: 'card', ...form }, pmParam]]) {
      const r = await call('POST', url, { form: body });
      assert.equal(r.status, 402, `${url} ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body.error, { type: 'card_error', code, param, message,
        doc_url: `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}` });
    }
  });
}

test('a real (Luhn-valid, not test) card is refused in test mode', async () => {
  for (const [url, extra] of [['/v1/tokens', {}], ['/v1/payment_methods', { type: 'card' }]]) {
    const r = await call('POST', url, { form: { ...extra, ...card('4111111111111111') } });
    assert.equal(r.status, 402);
    assert.equal(r.body.error.type, 'card_error');
    assert.equal(r.body.error.code, 'card_declined');
    assert.equal(r.body.error.decline_code, 'test_mode_live_card');
    assert.match(r.body.error.message, /test mode, but used a non test \(live\) card/);
  }
});

test('missing card fields and wrong type are 400 invalid_request_error', async () => {
  let r = await call('POST', '/v1/tokens', { form: { 'card[number]': '4242424242424242', 'card[exp_month]': '12' } });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'parameter_missing');
  assert.equal(r.body.error.param, 'card[exp_year]');
  r = await call('POST', '/v1/payment_methods', { form: card('4242424242424242') });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.param, 'type');
});

test('keys: pk_test_ and sk_test_ accepted, others 401', async () => {
  assert.equal((await call('POST', '/v1/tokens', { auth: PK, form: card('4242424242424242') })).status, 200);
  assert.equal((await call('POST', '/v1/tokens', { auth: SK, form: card('4242424242424242') })).status, 200);
  // Stripe.js puts the key in the body as key=pk_...
  assert.equal((await call('POST', '/v1/tokens', { auth: null,
    form: { ...card('4242424242424242'), key: 'pk_test_standin' } })).status, 200);
  for (const auth of [null, 'Bearer pk_live_nope', 'Bearer rk_test_nope', 'Bearer nonsense']) {
    for (const url of ['/v1/tokens', '/v1/payment_methods']) {
      const r = await call('POST', url, { auth, form: { type: 'card', ...card('4242424242424242') } });
      assert.equal(r.status, 401, `${url} with ${auth}`);
      assert.equal(r.body.error.type, 'invalid_request_error');
    }
  }
  // A publishable key does not reach the secret-key API.
  const r = await call('POST', '/v1/charges', { auth: PK, form: { amount: '100', currency: 'usd', source: 'tok_visa' } });
  assert.equal(r.status, 401);
});

test('card numbers and CVCs are not kept in the request log; no OpenAPI violations for browser endpoints', async () => {
  await call('POST', '/__standin/reset', { auth: null });
  await call('POST', '/v1/tokens', { form: card('4242424242424242') });
  const log = (await call('GET', '/__standin/requests', { auth: null })).body;
  assert.equal(log[0].body['card[number]'], '************4242');
  assert.equal(log[0].body['card[cvc]'], '***');
  assert.deepEqual((await call('GET', '/__standin/violations', { auth: null })).body, []);
});

test('CORS: browsers may call the API from any origin', async () => {
  const res = await fetch(`${base}/v1/tokens`, { method: 'OPTIONS',
    headers: { Origin: 'https://till.example', 'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization' } });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assert.match(res.headers.get('access-control-allow-headers'), /Authorization/);
});

test('GET /v3/ serves the Stripe.js stand-in as JavaScript', async () => {
  for (const url of ['/v3/', '/v3']) {
    const res = await fetch(base + url);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/javascript/);
    const js = await res.text();
    assert.match(js, /window\.Stripe = Stripe/);
    assert.doesNotThrow(() => new Function(js));
  }
});

test('the card frame and the 3-D Secure page are served', async () => {
  let res = await fetch(`${base}/__standin/elements/card.html?x=1`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/html/);
  const html = await res.text();
  for (const label of ['Card number', 'MM / YY', 'CVC', 'card-frame.js']) assert.ok(html.includes(label), label);
  res = await fetch(`${base}/__standin/elements/card-frame.js`);
  assert.match(res.headers.get('content-type'), /javascript/);
  const frameJs = await res.text();
  assert.doesNotThrow(() => new Function(frameJs));
  res = await fetch(`${base}/__standin/three_d_secure.html?pi=pi_x`);
  assert.equal(res.status, 200);
  const page = await res.text();
  assert.ok(page.includes('Complete authentication'));
  assert.ok(page.includes('Fail authentication'));
  res = await fetch(`${base}/__standin/three_d_secure.js`);
  assert.equal(res.status, 200);
});

test('GET a PaymentIntent with the publishable key and its client secret', async () => {
  const pi = (await call('POST', '/v1/payment_intents', { auth: SK, form: { amount: '700', currency: 'usd',
    payment_method: 'pm_card_authenticationRequired', confirm: 'true', confirmation_method: 'manual',
    description: 'till sale', 'metadata[sale]': '42' } })).body;
  assert.equal(pi.status, 'requires_action');
  const url = `/v1/payment_intents/${pi.id}?client_secret=${encodeURIComponent(pi.client_secret)}`;
  let r = await call('GET', url);
  assert.equal(r.status, 200);
  assert.equal(r.body.id, pi.id);
  assert.equal(r.body.status, 'requires_action');
  assert.equal(r.body.client_secret, pi.client_secret);
  assert.equal(r.body.amount, 700);
  // Only the public subset: no metadata, charges, customer...
  assert.equal(r.body.metadata, undefined);
  assert.equal(r.body.charges, undefined);
  assert.equal(r.headers.get('access-control-allow-origin'), '*');

  r = await call('GET', `/v1/payment_intents/${pi.id}?client_secret=${pi.id}_secret_wrong`);
  assert.equal(r.status, 400);
  assert.equal(r.body.error.type, 'invalid_request_error');
  assert.equal(r.body.error.param, 'client_secret');
  r = await call('GET', `/v1/payment_intents/${pi.id}`);
  assert.equal(r.status, 400);
  assert.equal(r.body.error.param, 'client_secret');
  r = await call('GET', `/v1/payment_intents/${pi.id}?client_secret=x`, { auth: 'Bearer pk_live_x' });
  assert.equal(r.status, 401);
  // The secret key still sees the whole object.
  r = await call('GET', `/v1/payment_intents/${pi.id}`, { auth: SK });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.metadata, { sale: '42' });

  // After a failed challenge the public object carries the error handleCardAction reports.
  await fetch(`${base}/__standin/payment_intents/${pi.id}/authenticate`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ result: 'fail' }) });
  r = await call('GET', url);
  assert.equal(r.body.status, 'requires_payment_method');
  assert.equal(r.body.last_payment_error.code, 'payment_intent_authentication_failure');
});
