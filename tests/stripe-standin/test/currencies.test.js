// Stripe's currency rules at the stand-in (node --test): amounts Stripe refuses in ISK, UGX and the
// three-decimal currencies are refused here too, in Stripe's error shape, on every path Till uses;
// the rest (MGA, HUF, TWD, USD) go through as before. docs.stripe.com/currencies#special-cases.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startStandin } = require('../standin-process');

let standin;
const SK = 'Bearer sk_test_standin';

before(async () => { standin = await startStandin(); });
after(() => standin.stop());

async function post(url, form) {
  const res = await fetch(standin.base + url, { method: 'POST', headers: { Authorization: SK },
    body: new URLSearchParams(form) });
  return { status: res.status, body: await res.json() };
}

const intent = (amount, currency) => post('/v1/payment_intents', { amount: String(amount), currency,
  payment_method: 'pm_card_visa', confirm: 'true' });
const charge = (amount, currency) => post('/v1/charges', { amount: String(amount), currency, source: 'tok_visa' });

function assertRefused(r, code) {
  assert.equal(r.status, 400, JSON.stringify(r.body));
  assert.equal(r.body.error.type, 'invalid_request_error');
  assert.equal(r.body.error.code, code);
  assert.equal(r.body.error.param, 'amount');
  assert.match(r.body.error.doc_url, /^https:\/\/stripe\.com\/docs\/error-codes\//);
}

const ACCEPTED = [
  ['isk', 150000], ['ugx', 500], ['mga', 12345], ['huf', 123456], ['twd', 80045], ['kwd', 5120],
  ['bhd', 10], ['jod', 1000], ['omr', 2500], ['tnd', 990], ['usd', 1234],
];
const REFUSED = [
  ['isk', 150050, 'invalid_charge_amount_no_decimal_compatible'],
  ['isk', 1, 'invalid_charge_amount_no_decimal_compatible'],
  ['ugx', 550, 'invalid_charge_amount_no_decimal_compatible'],
  ['kwd', 5124, 'invalid_charge_amount'],
  ['bhd', 15, 'invalid_charge_amount'],
  ['jod', 1001, 'invalid_charge_amount'],
  ['omr', 2509, 'invalid_charge_amount'],
  ['tnd', 7, 'invalid_charge_amount'],
];

for (const [currency, amount] of ACCEPTED) {
  test(`${amount} ${currency} is taken by both payment paths`, async () => {
    const pi = await intent(amount, currency);
    assert.equal(pi.status, 200, JSON.stringify(pi.body));
    assert.equal(pi.body.status, 'succeeded');
    assert.equal(pi.body.amount, amount);
    assert.equal(pi.body.currency, currency);
    const ch = await charge(amount, currency);
    assert.equal(ch.status, 200, JSON.stringify(ch.body));
    assert.equal(ch.body.amount, amount);
  });
}

for (const [currency, amount, code] of REFUSED) {
  test(`${amount} ${currency} is refused with ${code}`, async () => {
    assertRefused(await intent(amount, currency), code);
    assertRefused(await charge(amount, currency), code);
  });
}

test('ISK: the Stripe Support note\'s wording', async () => {
  const r = await intent(4010, 'isk');
  assert.match(r.body.error.message, /Currency ISK has become effectively zero-decimal and charged amounts must be evenly divisible by 100/);
});

test('refunds follow the same rules, by PaymentIntent and by charge', async () => {
  const pi = await intent(150000, 'isk');
  assertRefused(await post('/v1/refunds', { payment_intent: pi.body.id, amount: '50' }),
    'invalid_charge_amount_no_decimal_compatible');
  const partial = await post('/v1/refunds', { payment_intent: pi.body.id, amount: '50000' });
  assert.equal(partial.status, 200, JSON.stringify(partial.body));
  assert.equal(partial.body.amount, 50000);

  const ch = await charge(5120, 'kwd');
  assertRefused(await post('/v1/refunds', { charge: ch.body.id, amount: '1005' }), 'invalid_charge_amount');
  const ok = await post('/v1/refunds', { charge: ch.body.id, amount: '1000' });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  // No amount: the rest, 4120, ends in 0 and goes through.
  const rest = await post('/v1/refunds', { charge: ch.body.id });
  assert.equal(rest.status, 200, JSON.stringify(rest.body));
  assert.equal(rest.body.amount, 4120);

  // HUF: any integer, the payout rule does not apply to refunds.
  const huf = await intent(123456, 'huf');
  const hufRefund = await post('/v1/refunds', { payment_intent: huf.body.id, amount: '1' });
  assert.equal(hufRefund.status, 200, JSON.stringify(hufRefund.body));
});

test('a refund of an unknown charge is still the mock\'s answer', async () => {
  const r = await post('/v1/refunds', { charge: 'ch_doesnotexist', amount: '5' });
  assert.equal(r.status, 404, JSON.stringify(r.body));
});
