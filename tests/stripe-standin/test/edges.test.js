// What Stripe does rarely, and the API-version and lookup features till-server relies on to cope
// with it (node --test): Request-Id and Stripe-Version, idempotency keys that expire, refunds that
// stay pending and then succeed or fail, faults (500 after the work was done, 409, 429),
// PaymentIntents left processing, a second 3-D Secure request, search by metadata, refunds listed
// by PaymentIntent, API versions from 2022-11-15 (latest_charge, no charges list), and the OpenAPI
// check of expand[].
'use strict';
const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { startStandin } = require('../standin-process');

let standin;
const SK = 'Bearer sk_test_standin';
const SECRET = 'whsec_edges_secret';

before(async () => { standin = await startStandin(); });
after(() => standin.stop());
beforeEach(async () => {
  await control('DELETE', '/faults');
  await control('DELETE', '/webhook_endpoints');
});

async function control(method, url, body) {
  const res = await fetch(`${standin.base}/__standin${url}`, { method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, body: json };
}

// A /v1 call: form is an object or an array of [key, value] pairs; headers as given.
async function api(method, url, form, headers = {}) {
  const res = await fetch(standin.base + url, { method, headers: { Authorization: SK, ...headers },
    body: form ? new URLSearchParams(form) : undefined });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch { body = text; }
  return { status: res.status, body, headers: res.headers };
}

const uniq = (prefix) => `${prefix}_${Date.now()}_${Math.random().toString(36).slice(2, 10)}`;
const intentForm = (extra = {}) => ({ amount: '1500', currency: 'usd', payment_method: 'pm_card_visa',
  confirm: 'true', ...extra });

async function paidIntent(extra = {}, headers = {}) {
  const r = await api('POST', '/v1/payment_intents', intentForm(extra), headers);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.status, 'succeeded');
  return r.body;
}

async function requests() {
  return (await control('GET', '/requests')).body;
}

// A webhook receiver on loopback that records each event body.
async function receiver() {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/hook`;
  const close = () => new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  });
  return { url, received, close };
}

async function withReceiver(fn, apiVersion) {
  const r = await receiver();
  try {
    const body = { url: r.url, secret: SECRET };
    if (apiVersion !== undefined) body.api_version = apiVersion;
    const reg = await control('POST', '/webhook_endpoints', body);
    assert.equal(reg.status, 200, JSON.stringify(reg.body));
    return await fn(r);
  } finally {
    await control('DELETE', '/webhook_endpoints');
    await r.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Request-Id and Stripe-Version

test('every /v1 answer has a Request-Id req_ + 14 characters; the log records it and Stripe-Version', async () => {
  const REQ = /^req_[0-9A-Za-z]{14}$/;
  const answers = [
    await api('POST', '/v1/payment_intents', intentForm(), { 'Stripe-Version': '2020-08-27' }),
    await api('GET', '/v1/payment_intents/pi_missing'),
    await api('POST', '/v1/charges', { amount: '700', currency: 'usd', source: 'tok_visa' },
      { 'Idempotency-Key': uniq('ch'), 'Stripe-Version': '2025-03-31.basil' }),
    await api('GET', '/v1/customers/cus_missing'),
    await fetch(`${standin.base}/v1/payment_intents`).then((res) => ({ status: res.status, headers: res.headers })),
  ];
  const ids = answers.map((a) => a.headers.get('request-id'));
  for (const [i, id] of ids.entries()) assert.match(id, REQ, `answer ${i} (${answers[i].status})`);
  assert.equal(new Set(ids).size, ids.length, 'each request has its own id');
  assert.deepEqual(answers.map((a) => a.status), [200, 404, 200, 404, 401]);
  // The answer names the version it was made with (the default without a header).
  assert.equal(answers[1].headers.get('stripe-version'), '2020-08-27');
  assert.equal(answers[2].headers.get('stripe-version'), '2025-03-31.basil');

  const log = (await requests()).slice(-answers.length);
  assert.deepEqual(log.map((e) => e.request_id), ids);
  assert.deepEqual(log.map((e) => e.stripe_version), ['2020-08-27', null, '2025-03-31.basil', null, null]);
});

test('a replay has its own Request-Id and names the first in Original-Request', async () => {
  const key = uniq('replay');
  const first = await api('POST', '/v1/payment_intents', intentForm(), { 'Idempotency-Key': key });
  const again = await api('POST', '/v1/payment_intents', intentForm(), { 'Idempotency-Key': key });
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.notEqual(again.headers.get('request-id'), first.headers.get('request-id'));
  assert.equal(again.headers.get('original-request'), first.headers.get('request-id'));
  assert.equal(again.body.id, first.body.id);
});

test('a Stripe-Version that is not a version is a 400 invalid_request_error', async () => {
  const r = await api('GET', '/v1/payment_intents', undefined, { 'Stripe-Version': 'latest' });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.type, 'invalid_request_error');
  assert.match(r.body.error.message, /Invalid Stripe API version: latest/);
  assert.match(r.headers.get('request-id'), /^req_/);
  const log = (await requests()).at(-1);
  assert.equal(log.stripe_version, 'latest');
  assert.equal(log.status, 400);
});

// ---------------------------------------------------------------------------------------------
// 2. Idempotency keys expire

test('idempotency expire: the same key and parameters then make a new PaymentIntent', async () => {
  const key = uniq('expire_pi');
  const form = intentForm({ 'metadata[till_payment_id]': uniq('pay') });
  const first = await api('POST', '/v1/payment_intents', form, { 'Idempotency-Key': key });
  const replay = await api('POST', '/v1/payment_intents', form, { 'Idempotency-Key': key });
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(replay.body.id, first.body.id);

  const expired = await control('POST', '/idempotency/expire');
  assert.equal(expired.status, 200);
  assert.equal(expired.body.ok, true);
  assert.ok(expired.body.standin >= 1, JSON.stringify(expired.body));
  assert.equal(expired.body.expired, expired.body.standin + expired.body.mock);

  const after = await api('POST', '/v1/payment_intents', form, { 'Idempotency-Key': key });
  assert.equal(after.status, 200);
  assert.equal(after.headers.get('idempotent-replayed'), null);
  assert.notEqual(after.body.id, first.body.id);
  assert.equal(after.body.status, 'succeeded');
  // ... and from then on that new answer is the one replayed.
  const replay2 = await api('POST', '/v1/payment_intents', form, { 'Idempotency-Key': key });
  assert.equal(replay2.body.id, after.body.id);
});

test('idempotency expire reaches the mock: charges and refunds by charge are made anew', async () => {
  const chargeKey = uniq('expire_ch');
  const chargeForm = { amount: '2000', currency: 'usd', source: 'tok_visa' };
  const ch1 = await api('POST', '/v1/charges', chargeForm, { 'Idempotency-Key': chargeKey });
  assert.equal(ch1.status, 200, JSON.stringify(ch1.body));
  const refundKey = uniq('expire_re');
  const refundForm = { charge: ch1.body.id, amount: '500' };
  const re1 = await api('POST', '/v1/refunds', refundForm, { 'Idempotency-Key': refundKey });
  assert.equal(re1.status, 200, JSON.stringify(re1.body));
  const re1again = await api('POST', '/v1/refunds', refundForm, { 'Idempotency-Key': refundKey });
  assert.equal(re1again.headers.get('idempotent-replayed'), 'true');
  assert.equal(re1again.body.id, re1.body.id);

  const expired = await control('POST', '/idempotency/expire');
  assert.ok(expired.body.mock >= 2, JSON.stringify(expired.body));

  const ch2 = await api('POST', '/v1/charges', chargeForm, { 'Idempotency-Key': chargeKey });
  assert.equal(ch2.status, 200);
  assert.equal(ch2.headers.get('idempotent-replayed'), null);
  assert.notEqual(ch2.body.id, ch1.body.id);
  const re2 = await api('POST', '/v1/refunds', refundForm, { 'Idempotency-Key': refundKey });
  assert.equal(re2.status, 200, JSON.stringify(re2.body));
  assert.notEqual(re2.body.id, re1.body.id);
  const charge = await api('GET', `/v1/charges/${ch1.body.id}`);
  assert.equal(charge.body.amount_refunded, 1000, 'two refunds of 500 now');
});

// ---------------------------------------------------------------------------------------------
// 3. Refunds that stay pending

test('a pending refund (by payment_intent) that succeeds: refund.updated, then charge.refund.updated', async () => {
  const pi = await paidIntent();
  assert.deepEqual((await control('POST', '/refunds/next', { status: 'pending' })).body, { ok: true, pending: 1 });
  const created = await api('POST', '/v1/refunds', { payment_intent: pi.id, amount: '600' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body.status, 'pending');
  assert.equal(created.body.payment_intent, pi.id);
  // Only the next one.
  const other = await api('POST', '/v1/refunds', { payment_intent: pi.id, amount: '100' });
  assert.equal(other.body.status, 'succeeded');
  const charge = await api('GET', `/v1/charges/${pi.latest_charge}`);
  assert.equal(charge.body.amount_refunded, 700, 'a pending refund counts as refunded');

  await withReceiver(async (r) => {
    const settled = await control('POST', `/refunds/${created.body.id}/settle`, { status: 'succeeded' });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.equal(settled.body.refund.status, 'succeeded');
    assert.equal(settled.body.events.length, 2);
    assert.deepEqual(r.received.map((e) => e.type), ['refund.updated', 'charge.refund.updated']);
    for (const event of r.received) {
      assert.equal(event.data.object.id, created.body.id);
      assert.equal(event.data.object.object, 'refund');
      assert.equal(event.data.object.status, 'succeeded');
    }
    assert.deepEqual(settled.body.events, r.received.map((e) => e.id));
  });
  const fetched = await api('GET', `/v1/refunds/${created.body.id}`);
  assert.equal(fetched.body.status, 'succeeded');
  assert.equal((await api('GET', `/v1/charges/${pi.latest_charge}`)).body.amount_refunded, 700);
});

test('a pending refund (by charge, in the mock) that fails: failure_reason; amount_refunded drops back', async () => {
  const ch = await api('POST', '/v1/charges', { amount: '3000', currency: 'usd', source: 'tok_visa' });
  await control('POST', '/refunds/next', { status: 'pending' });
  const created = await api('POST', '/v1/refunds', { charge: ch.body.id });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body.status, 'pending');
  let charge = (await api('GET', `/v1/charges/${ch.body.id}`)).body;
  assert.equal(charge.amount_refunded, 3000);
  assert.equal(charge.refunded, true);

  await withReceiver(async (r) => {
    const settled = await control('POST', `/refunds/${created.body.id}/settle`,
      { status: 'failed', failure_reason: 'expired_or_canceled_card' });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.deepEqual(r.received.map((e) => e.type), ['refund.updated', 'charge.refund.updated']);
    assert.equal(r.received[0].data.object.status, 'failed');
    assert.equal(r.received[0].data.object.failure_reason, 'expired_or_canceled_card');
  });
  const fetched = (await api('GET', `/v1/refunds/${created.body.id}`)).body;
  assert.equal(fetched.status, 'failed');
  assert.equal(fetched.failure_reason, 'expired_or_canceled_card');
  assert.match(fetched.failure_balance_transaction, /^txn_/);
  charge = (await api('GET', `/v1/charges/${ch.body.id}`)).body;
  assert.equal(charge.amount_refunded, 0);
  assert.equal(charge.refunded, false);
  // The money is the merchant's again, so it can be refunded again.
  const again = await api('POST', '/v1/refunds', { charge: ch.body.id });
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.status, 'succeeded');
});

test('a pending refund that is canceled; settle refuses what Stripe does not do', async () => {
  const pi = await paidIntent();
  await control('POST', '/refunds/next', { status: 'pending' });
  const created = (await api('POST', '/v1/refunds', { payment_intent: pi.id })).body;
  const bad = [
    [{ status: 'pending' }, 'status'],
    [{ status: 'failed', failure_reason: 'bored' }, 'failure_reason'],
    [{ status: 'canceled', failure_reason: 'unknown' }, 'failure_reason'],
  ];
  for (const [body, param] of bad) {
    const r = await control('POST', `/refunds/${created.id}/settle`, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error.type, 'invalid_request_error');
    assert.equal(r.body.error.param, param);
  }
  const canceled = await control('POST', `/refunds/${created.id}/settle`, { status: 'canceled' });
  assert.equal(canceled.status, 200);
  assert.equal(canceled.body.refund.status, 'canceled');
  assert.equal(canceled.body.refund.failure_reason, undefined);
  assert.equal((await api('GET', `/v1/charges/${pi.latest_charge}`)).body.amount_refunded, 0);
  const twice = await control('POST', `/refunds/${created.id}/settle`, { status: 'succeeded' });
  assert.equal(twice.status, 400);
  const missing = await control('POST', '/refunds/re_missing/settle', { status: 'succeeded' });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'resource_missing');
  // A succeeded refund can still fail later (lost_or_stolen_card, say).
  const plain = (await api('POST', '/v1/refunds', { payment_intent: pi.id, amount: '500' })).body;
  const failed = await control('POST', `/refunds/${plain.id}/settle`,
    { status: 'failed', failure_reason: 'lost_or_stolen_card' });
  assert.equal(failed.status, 200, JSON.stringify(failed.body));
  assert.equal((await api('GET', `/v1/refunds/${plain.id}`)).body.failure_reason, 'lost_or_stolen_card');
});

// ---------------------------------------------------------------------------------------------
// 4. Faults

test('fault 500 after_create with store: the PaymentIntent is charged, yet every retry gets the same 500', async () => {
  const marker = uniq('pay');
  const fault = await control('POST', '/faults', { method: 'POST', path: '/v1/payment_intents', status: 500,
    count: 1, store: true, after_create: true });
  assert.equal(fault.status, 200, JSON.stringify(fault.body));
  assert.deepEqual(fault.body.fault, { method: 'POST', path: '/v1/payment_intents', status: 500, count: 1,
    store: true, should_retry: null, after_create: true });
  const key = uniq('fault500');
  const form = intentForm({ 'metadata[till_payment_id]': marker });
  const first = await api('POST', '/v1/payment_intents', form, { 'Idempotency-Key': key });
  assert.equal(first.status, 500);
  assert.deepEqual(first.body, { error: { type: 'api_error', message: 'An unknown error occurred' } });
  for (let i = 0; i < 3; i++) {
    const retry = await api('POST', '/v1/payment_intents', form, { 'Idempotency-Key': key });
    assert.equal(retry.status, 500);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(retry.body, first.body);
  }
  // The answers never named it, but the PaymentIntent exists and was charged: search finds it.
  const found = await api('GET', `/v1/payment_intents/search?query=${encodeURIComponent(
    `metadata['till_payment_id']:'${marker}'`)}`);
  assert.equal(found.body.data.length, 1);
  assert.equal(found.body.data[0].status, 'succeeded');
  assert.equal(found.body.data[0].charges.data[0].status, 'succeeded');
  assert.deepEqual((await control('GET', '/faults')).body, [], 'used up');
});

test('fault 500 before anything is done, not stored: the retry with the key runs and succeeds', async () => {
  await control('POST', '/faults', { path: '/v1/payment_intents', status: 500, store: false, should_retry: 'true' });
  const key = uniq('fault500b');
  const marker = uniq('pay');
  const form = intentForm({ 'metadata[till_payment_id]': marker });
  const first = await api('POST', '/v1/payment_intents', form, { 'Idempotency-Key': key });
  assert.equal(first.status, 500);
  assert.equal(first.headers.get('stripe-should-retry'), 'true');
  const query = encodeURIComponent(`metadata['till_payment_id']:'${marker}'`);
  assert.equal((await api('GET', `/v1/payment_intents/search?query=${query}`)).body.data.length, 0);
  const retry = await api('POST', '/v1/payment_intents', form, { 'Idempotency-Key': key });
  assert.equal(retry.status, 200);
  assert.equal(retry.headers.get('idempotent-replayed'), null);
  assert.equal(retry.body.status, 'succeeded');
});

test('fault 409: idempotency_key_in_use with Stripe-Should-Retry: true, nothing stored', async () => {
  await control('POST', '/faults', { method: 'POST', path: '/v1/payment_intents/*/confirm', status: 409 });
  const created = await api('POST', '/v1/payment_intents', { amount: '900', currency: 'usd',
    payment_method: 'pm_card_visa', confirmation_method: 'manual' });
  assert.equal(created.body.status, 'requires_confirmation');
  const key = uniq('fault409');
  const conflict = await api('POST', `/v1/payment_intents/${created.body.id}/confirm`, {}, { 'Idempotency-Key': key });
  assert.equal(conflict.status, 409);
  assert.equal(conflict.headers.get('stripe-should-retry'), 'true');
  assert.equal(conflict.body.error.type, 'idempotency_error');
  assert.equal(conflict.body.error.code, 'idempotency_key_in_use');
  assert.match(conflict.body.error.message, /another in-progress request using this idempotent key/);
  assert.equal((await api('GET', `/v1/payment_intents/${created.body.id}`)).body.status, 'requires_confirmation');
  const retry = await api('POST', `/v1/payment_intents/${created.body.id}/confirm`, {}, { 'Idempotency-Key': key });
  assert.equal(retry.status, 200);
  assert.equal(retry.headers.get('idempotent-replayed'), null);
  assert.equal(retry.body.status, 'succeeded');
});

test('fault 429 with should_retry false, a prefix path, and a count', async () => {
  await control('POST', '/faults', { method: 'GET', path: '/v1/payment_intents*', status: 429, count: 2,
    should_retry: 'false' });
  const pi = await paidIntent();
  const a = await api('GET', `/v1/payment_intents/${pi.id}`);
  const b = await api('GET', '/v1/payment_intents?limit=1');
  const c = await api('GET', `/v1/payment_intents/${pi.id}`);
  assert.deepEqual([a.status, b.status, c.status], [429, 429, 200]);
  assert.equal(a.body.error.code, 'rate_limit');
  assert.equal(a.body.error.type, 'invalid_request_error');
  assert.equal(a.headers.get('stripe-should-retry'), 'false');
  assert.equal(c.headers.get('stripe-should-retry'), null);
});

test('faults: bad controls are refused; GET lists them; DELETE clears them', async () => {
  for (const [body, param] of [
    [{ path: '/v1/payment_intents', status: 503 }, 'status'],
    [{ path: 'payment_intents', status: 500 }, 'path'],
    [{ method: 'PUT', path: '/v1/payment_intents', status: 500 }, 'method'],
    [{ path: '/v1/payment_intents', status: 500, count: 0 }, 'count'],
    [{ path: '/v1/payment_intents', status: 500, should_retry: 'maybe' }, 'should_retry'],
    [{ path: '/v1/payment_intents', status: 500, store: 'yes' }, 'store'],
  ]) {
    const r = await control('POST', '/faults', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error.param, param);
  }
  await control('POST', '/faults', { path: '/v1/payment_intents', status: 409, count: 3 });
  const listed = (await control('GET', '/faults')).body;
  assert.equal(listed.length, 1);
  assert.equal(listed[0].remaining, 3);
  assert.equal(listed[0].should_retry, 'true');
  assert.equal(listed[0].store, false);
  assert.deepEqual((await control('DELETE', '/faults')).body, { ok: true });
  assert.deepEqual((await control('GET', '/faults')).body, []);
  assert.equal((await api('POST', '/v1/payment_intents', intentForm())).status, 200);
});

// ---------------------------------------------------------------------------------------------
// 5. Processing PaymentIntents

test('processing: the next PaymentIntent created with confirm=true waits; settle succeeded charges it', async () => {
  assert.deepEqual((await control('POST', '/payment_intents/next', { status: 'processing' })).body,
    { ok: true, processing: 1 });
  // Not used by a PaymentIntent that is not confirmed at creation.
  const unconfirmed = await api('POST', '/v1/payment_intents', { amount: '800', currency: 'usd' });
  assert.equal(unconfirmed.body.status, 'requires_payment_method');
  const created = await api('POST', '/v1/payment_intents', intentForm());
  assert.equal(created.status, 200, JSON.stringify(created.body));
  assert.equal(created.body.status, 'processing');
  assert.equal(created.body.latest_charge, null);
  assert.equal(created.body.charges.data.length, 0);
  assert.equal(created.body.amount_received, 0);
  const next = await api('POST', '/v1/payment_intents', intentForm());
  assert.equal(next.body.status, 'succeeded', 'only the next one');
  const confirm = await api('POST', `/v1/payment_intents/${created.body.id}/confirm`, {});
  assert.equal(confirm.status, 400);
  assert.equal(confirm.body.error.code, 'payment_intent_unexpected_state');

  await withReceiver(async (r) => {
    const settled = await control('POST', `/payment_intents/${created.body.id}/settle`, { outcome: 'succeeded' });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.equal(settled.body.payment_intent.status, 'succeeded');
    assert.equal(r.received.length, 1);
    assert.equal(r.received[0].type, 'payment_intent.succeeded');
    assert.equal(r.received[0].data.object.id, created.body.id);
    assert.equal(r.received[0].data.object.status, 'succeeded');
  });
  const pi = (await api('GET', `/v1/payment_intents/${created.body.id}`)).body;
  assert.equal(pi.status, 'succeeded');
  assert.equal(pi.amount_received, 1500);
  assert.match(pi.latest_charge, /^ch_/);
  const charge = (await api('GET', `/v1/charges/${pi.latest_charge}`)).body;
  assert.equal(charge.status, 'succeeded');
  assert.equal(charge.payment_intent, pi.id);
  const again = await control('POST', `/payment_intents/${pi.id}/settle`, { outcome: 'failed' });
  assert.equal(again.status, 400);
});

test('processing: settle failed leaves requires_payment_method with card_declined, and payment_failed', async () => {
  await control('POST', '/payment_intents/next', { status: 'processing' });
  const created = (await api('POST', '/v1/payment_intents', intentForm())).body;
  assert.equal(created.status, 'processing');
  await withReceiver(async (r) => {
    const settled = await control('POST', `/payment_intents/${created.id}/settle`, { outcome: 'failed' });
    assert.equal(settled.status, 200, JSON.stringify(settled.body));
    assert.equal(r.received[0].type, 'payment_intent.payment_failed');
    assert.equal(r.received[0].data.object.status, 'requires_payment_method');
  });
  const pi = (await api('GET', `/v1/payment_intents/${created.id}`)).body;
  assert.equal(pi.status, 'requires_payment_method');
  assert.equal(pi.last_payment_error.type, 'card_error');
  assert.equal(pi.last_payment_error.code, 'card_declined');
  assert.equal(pi.last_payment_error.decline_code, 'generic_decline');
  assert.equal(pi.charges.data[0].status, 'failed');
  assert.equal(pi.amount_received, 0);
  const bad = await control('POST', `/payment_intents/${created.id}/settle`, { outcome: 'maybe' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.param, 'outcome');
  assert.equal((await control('POST', '/payment_intents/pi_missing/settle', { outcome: 'failed' })).status, 404);
});

// ---------------------------------------------------------------------------------------------
// 6. A second requires_action, and confirms keyed per request

test('the bank asks twice: a confirm under the first key is only given the first answer again', async () => {
  const created = await api('POST', '/v1/payment_intents', intentForm({
    payment_method: 'pm_card_authenticationRequired', confirmation_method: 'manual' }));
  assert.equal(created.body.status, 'requires_action');
  const pi = created.body.id;
  const firstAction = created.body.next_action;
  assert.equal((await control('POST', `/payment_intents/${pi}/authenticate`, { result: 'succeed' })).body.status,
    'requires_confirmation');
  const again = await control('POST', `/payment_intents/${pi}/require_action_again`);
  assert.equal(again.status, 200, JSON.stringify(again.body));

  const key1 = uniq('confirm');
  const confirm1 = await api('POST', `/v1/payment_intents/${pi}/confirm`, {}, { 'Idempotency-Key': key1 });
  assert.equal(confirm1.status, 200, JSON.stringify(confirm1.body));
  assert.equal(confirm1.body.status, 'requires_action');
  assert.equal(confirm1.body.next_action.type, 'use_stripe_sdk');
  assert.notEqual(confirm1.body.next_action.use_stripe_sdk.source, firstAction.use_stripe_sdk.source,
    'a new challenge');
  assert.equal((await control('POST', `/payment_intents/${pi}/authenticate`, { result: 'succeed' })).body.status,
    'requires_confirmation');

  // A server that keeps one confirm key per payment is stuck: Stripe replays the first answer.
  const stuck = await api('POST', `/v1/payment_intents/${pi}/confirm`, {}, { 'Idempotency-Key': key1 });
  assert.equal(stuck.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(stuck.body, confirm1.body);
  assert.equal((await api('GET', `/v1/payment_intents/${pi}`)).body.status, 'requires_confirmation');

  const confirm2 = await api('POST', `/v1/payment_intents/${pi}/confirm`, {}, { 'Idempotency-Key': uniq('confirm') });
  assert.equal(confirm2.status, 200, JSON.stringify(confirm2.body));
  assert.equal(confirm2.body.status, 'succeeded');
  assert.equal(confirm2.body.charges.data[0].payment_method_details.card.three_d_secure.result, 'authenticated');
  const done = await control('POST', `/payment_intents/${pi}/require_action_again`);
  assert.equal(done.status, 400);
  assert.equal(done.body.error.code, 'payment_intent_unexpected_state');
});

test('the bank asks again with automatic confirmation too, and off_session declines', async () => {
  const created = (await api('POST', '/v1/payment_intents', intentForm({
    payment_method: 'pm_card_threeDSecure2Required' }))).body;
  assert.equal(created.status, 'requires_action');
  await control('POST', `/payment_intents/${created.id}/require_action_again`);
  const first = await control('POST', `/payment_intents/${created.id}/authenticate`, { result: 'succeed' });
  assert.equal(first.body.status, 'requires_action', 'the automatic confirm is asked again');
  const second = await control('POST', `/payment_intents/${created.id}/authenticate`, { result: 'succeed' });
  assert.equal(second.body.status, 'succeeded');

  // A card that needs no 3-D Secure: the bank asks all the same, and off_session cannot answer.
  const plain = (await api('POST', '/v1/payment_intents', { amount: '1200', currency: 'usd',
    payment_method: 'pm_card_visa', confirmation_method: 'manual' })).body;
  await control('POST', `/payment_intents/${plain.id}/require_action_again`);
  const offSession = await api('POST', `/v1/payment_intents/${plain.id}/confirm`, { off_session: 'true' });
  assert.equal(offSession.status, 402);
  assert.equal(offSession.body.error.code, 'authentication_required');
});

// ---------------------------------------------------------------------------------------------
// 7. Search by metadata; refunds by PaymentIntent

test('search: metadata[\'till_payment_id\']:\'pay_x\' finds the PaymentIntent (a search_result)', async () => {
  const marker = uniq('pay');
  const a = await paidIntent({ 'metadata[till_payment_id]': marker, 'metadata[shop]': 'north' });
  const b = await paidIntent({ 'metadata[till_payment_id]': marker, 'metadata[shop]': 'south' });
  await paidIntent({ 'metadata[till_payment_id]': `${marker}_other` });
  const search = (q, extra = '') => api('GET', `/v1/payment_intents/search?query=${encodeURIComponent(q)}${extra}`);

  const r = await search(`metadata['till_payment_id']:'${marker}'`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body).sort(), ['data', 'has_more', 'next_page', 'object', 'url']);
  assert.equal(r.body.object, 'search_result');
  assert.equal(r.body.url, '/v1/payment_intents/search');
  assert.equal(r.body.has_more, false);
  assert.equal(r.body.next_page, null);
  assert.deepEqual(r.body.data.map((pi) => pi.id), [b.id, a.id], 'newest first');

  assert.deepEqual((await search(`metadata["till_payment_id"]:"${marker}" AND metadata['shop']:'north'`))
    .body.data.map((pi) => pi.id), [a.id]);
  assert.deepEqual((await search("metadata['till_payment_id']:'pay_nobody'")).body.data, []);
  // A backslash escapes a quote inside a value.
  const quoted = await paidIntent({ 'metadata[customer_name]': `O'Brien ${marker}` });
  assert.deepEqual((await search(`metadata['customer_name']:'O\\'Brien ${marker}'`)).body.data.map((pi) => pi.id),
    [quoted.id]);

  const page1 = await search(`metadata['till_payment_id']:'${marker}'`, '&limit=1');
  assert.equal(page1.body.has_more, true);
  assert.equal(typeof page1.body.next_page, 'string');
  const page2 = await search(`metadata['till_payment_id']:'${marker}'`,
    `&limit=1&page=${encodeURIComponent(page1.body.next_page)}`);
  assert.deepEqual(page2.body.data.map((pi) => pi.id), [a.id]);
  assert.equal(page2.body.has_more, false);
  assert.equal(page2.body.next_page, null);
});

test('search: any other query is a 400 invalid_request_error with param query', async () => {
  for (const q of ["status:'succeeded'", "metadata['till_payment_id']", "metadata['a']:'b' OR metadata['c']:'d'",
    "metadata['a'] : 'b'", "metadata['a']:'b'AND metadata['c']:'d'", 'amount>100']) {
    const r = await api('GET', `/v1/payment_intents/search?query=${encodeURIComponent(q)}`);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.error.type, 'invalid_request_error', q);
    assert.equal(r.body.error.param, 'query', q);
  }
  const none = await api('GET', '/v1/payment_intents/search');
  assert.equal(none.status, 400);
  assert.equal(none.body.error.code, 'parameter_missing');
  assert.equal(none.body.error.param, 'query');
});

test('GET /v1/refunds?payment_intent= lists that PaymentIntent\'s refunds, whichever way they were made', async () => {
  const pi = await paidIntent({ amount: '5000' });
  const other = await paidIntent();
  const r1 = (await api('POST', '/v1/refunds', { payment_intent: pi.id, amount: '1000' })).body;
  const r2 = (await api('POST', '/v1/refunds', { charge: pi.latest_charge, amount: '2000' })).body;
  assert.equal(r2.payment_intent, pi.id, 'a refund by charge of a PaymentIntent\'s charge names the PaymentIntent');
  await api('POST', '/v1/refunds', { payment_intent: other.id });
  const list = await api('GET', `/v1/refunds?payment_intent=${pi.id}`);
  assert.equal(list.status, 200, JSON.stringify(list.body));
  assert.equal(list.body.object, 'list');
  assert.equal(list.body.url, '/v1/refunds');
  assert.deepEqual(list.body.data.map((r) => r.id), [r2.id, r1.id]);
  const page = await api('GET', `/v1/refunds?payment_intent=${pi.id}&limit=1`);
  assert.equal(page.body.has_more, true);
  assert.deepEqual(page.body.data.map((r) => r.id), [r2.id]);
  const missing = await api('GET', '/v1/refunds?payment_intent=pi_missing');
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error.code, 'resource_missing');
  assert.equal(missing.body.error.param, 'payment_intent');
});

// ---------------------------------------------------------------------------------------------
// 8. API versions

const NEW_VERSIONS = ['2022-11-15', '2024-09-30.acacia', '2025-03-31.basil', '2026-11-18.endive'];

test('API versions before 2022-11-15 keep the charges list; latest_charge expands on request', async () => {
  for (const version of [undefined, '2020-08-27', '2022-08-01']) {
    const headers = version ? { 'Stripe-Version': version } : {};
    const pi = await paidIntent({}, headers);
    assert.equal(pi.charges.object, 'list', String(version));
    assert.equal(pi.charges.data[0].id, pi.latest_charge);
    assert.equal(pi.charges.data[0].refunds.object, 'list');
    const expanded = await api('GET', `/v1/payment_intents/${pi.id}?expand[]=latest_charge`, undefined, headers);
    assert.equal(expanded.body.latest_charge.id, pi.latest_charge);
    assert.equal(expanded.body.latest_charge.refunds.object, 'list', 'auto-expanded before 2022-11-15');
  }
});

test('API versions from 2022-11-15: latest_charge and no charges, on every PaymentIntent answer', async () => {
  for (const version of NEW_VERSIONS) {
    const headers = { 'Stripe-Version': version };
    const marker = uniq('pay');
    const created = await api('POST', '/v1/payment_intents', [...Object.entries(intentForm()),
      ['metadata[till_payment_id]', marker], ['expand[0]', 'latest_charge']], headers);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    assert.equal('charges' in created.body, false, version);
    assert.match(created.body.latest_charge.id, /^ch_/);
    assert.equal(created.body.latest_charge.object, 'charge');
    assert.equal('refunds' in created.body.latest_charge, false, 'not auto-expanded');
    const id = created.body.id;
    const chargeId = created.body.latest_charge.id;

    const plain = await api('GET', `/v1/payment_intents/${id}`, undefined, headers);
    assert.equal(plain.body.latest_charge, chargeId);
    assert.equal('charges' in plain.body, false);
    const withRefunds = await api('GET', `/v1/payment_intents/${id}?expand[]=latest_charge.refunds`, undefined,
      headers);
    assert.equal(withRefunds.body.latest_charge.refunds.object, 'list');

    const listed = await api('GET', '/v1/payment_intents?limit=3&expand[]=data.latest_charge', undefined, headers);
    const inList = listed.body.data.find((pi) => pi.id === id);
    assert.equal(inList.latest_charge.id, chargeId);
    assert.equal(listed.body.data.some((pi) => 'charges' in pi), false);

    const found = await api('GET', `/v1/payment_intents/search?query=${encodeURIComponent(
      `metadata['till_payment_id']:'${marker}'`)}&expand[0]=data.latest_charge`, undefined, headers);
    assert.equal(found.body.data[0].latest_charge.id, chargeId);
    assert.equal('charges' in found.body.data[0], false);

    const manual = await api('POST', '/v1/payment_intents', { amount: '900', currency: 'usd',
      payment_method: 'pm_card_visa', confirmation_method: 'manual' }, headers);
    assert.equal('charges' in manual.body, false);
    assert.equal(manual.body.latest_charge, null);
    const confirmed = await api('POST', `/v1/payment_intents/${manual.body.id}/confirm`,
      { 'expand[]': 'latest_charge' }, headers);
    assert.equal(confirmed.body.status, 'succeeded');
    assert.equal(confirmed.body.latest_charge.status, 'succeeded');
    assert.equal('charges' in confirmed.body, false);

    const open = await api('POST', '/v1/payment_intents', { amount: '900', currency: 'usd' }, headers);
    const canceled = await api('POST', `/v1/payment_intents/${open.body.id}/cancel`, {}, headers);
    assert.equal(canceled.body.status, 'canceled');
    assert.equal('charges' in canceled.body, false);

    const declined = await api('POST', '/v1/payment_intents', intentForm({
      payment_method: 'pm_card_visa_chargeDeclined' }), headers);
    assert.equal(declined.status, 402);
    assert.equal('charges' in declined.body.error.payment_intent, false, 'the error\'s PaymentIntent too');
    assert.match(declined.body.error.payment_intent.latest_charge, /^ch_/);
  }
});

test('expand[] of something the stand-in cannot expand is a 400 and creates nothing', async () => {
  const marker = uniq('pay');
  const r = await api('POST', '/v1/payment_intents', intentForm({ 'metadata[till_payment_id]': marker,
    'expand[0]': 'customer.sources' }), { 'Idempotency-Key': uniq('expand') });
  assert.equal(r.status, 400);
  assert.equal(r.body.error.param, 'expand');
  const found = await api('GET', `/v1/payment_intents/search?query=${encodeURIComponent(
    `metadata['till_payment_id']:'${marker}'`)}`);
  assert.equal(found.body.data.length, 0);
  // In a list, paths start with data.
  const list = await api('GET', '/v1/payment_intents?expand[]=latest_charge');
  assert.equal(list.status, 400);
  assert.equal(list.body.error.param, 'expand');
});

test('API versions from 2022-11-15: a Charge shows refunds only when expanded', async () => {
  const ch = (await api('POST', '/v1/charges', { amount: '1200', currency: 'usd', source: 'tok_visa' },
    { 'Stripe-Version': '2024-09-30.acacia' })).body;
  assert.equal('refunds' in ch, false);
  await api('POST', '/v1/refunds', { charge: ch.id, amount: '200' });
  const headers = { 'Stripe-Version': '2025-03-31.basil' };
  const plain = (await api('GET', `/v1/charges/${ch.id}`, undefined, headers)).body;
  assert.equal('refunds' in plain, false);
  assert.equal(plain.amount_refunded, 200);
  const expanded = (await api('GET', `/v1/charges/${ch.id}?expand[]=refunds`, undefined, headers)).body;
  assert.equal(expanded.refunds.data.length, 1);
  const list = (await api('GET', '/v1/charges?limit=2', undefined, headers)).body;
  assert.equal(list.data.some((c) => 'refunds' in c), false);
  const old = (await api('GET', `/v1/charges/${ch.id}`)).body;
  assert.equal(old.refunds.data.length, 1, 'auto-expanded at 2020-08-27');
});

test('webhook endpoints get each event at their own API version', async () => {
  const other = await receiver();
  try {
    await control('POST', '/webhook_endpoints', { url: other.url, secret: 'whsec_other',
      api_version: '2024-09-30.acacia' });
    await withReceiver(async (r) => {
      const listed = (await control('GET', '/webhook_endpoints')).body;
      assert.deepEqual(listed.map((e) => e.api_version).sort(), ['2020-08-27', '2024-09-30.acacia']);
      const pi = await paidIntent();
      const sent = await control('POST', '/events', { type: 'payment_intent.succeeded', payment_intent: pi.id });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      const [oldEvent] = r.received;
      const [newEvent] = other.received;
      assert.equal(oldEvent.id, newEvent.id, 'one event, two renderings');
      assert.equal(oldEvent.api_version, '2020-08-27');
      assert.equal(oldEvent.data.object.charges.data[0].id, pi.latest_charge);
      assert.equal(newEvent.api_version, '2024-09-30.acacia');
      assert.equal('charges' in newEvent.data.object, false);
      assert.equal(newEvent.data.object.latest_charge, pi.latest_charge);

      const refunded = await control('POST', '/dashboard/refunds', { payment_intent: pi.id, amount: 300 });
      assert.equal(refunded.status, 200, JSON.stringify(refunded.body));
      const chargeOld = r.received.find((e) => e.type === 'charge.refunded');
      const chargeNew = other.received.find((e) => e.type === 'charge.refunded');
      assert.equal(chargeOld.data.object.refunds.total_count, 1);
      assert.equal('refunds' in chargeNew.data.object, false);
      assert.equal(chargeNew.data.object.amount_refunded, 300);

      // A resend sends each endpoint the same bytes again; the stored event can be read at a version.
      const resent = await control('POST', `/events/${newEvent.id}/resend`);
      assert.equal(resent.status, 200);
      assert.deepEqual(other.received.at(-1), newEvent);
      const read = await control('GET', `/events/${newEvent.id}?api_version=2025-03-31.basil`);
      assert.equal(read.body.api_version, '2025-03-31.basil');
      assert.equal('charges' in read.body.data.object, false);
    });
  } finally {
    await other.close();
  }
  const bad = await control('POST', '/webhook_endpoints', { url: 'http://127.0.0.1:9/x', secret: SECRET,
    api_version: 'basil' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.param, 'api_version');
});

// ---------------------------------------------------------------------------------------------
// The OpenAPI check and expand[]

test('the OpenAPI check takes expand[0] and expand[] where the spec lists expand', async () => {
  await control('POST', '/reset');
  const pi = await api('POST', '/v1/payment_intents', [...Object.entries(intentForm()),
    ['expand[0]', 'latest_charge']]);
  assert.equal(pi.status, 200);
  const manual = (await api('POST', '/v1/payment_intents', { amount: '900', currency: 'usd',
    payment_method: 'pm_card_visa', confirmation_method: 'manual' })).body;
  await api('POST', `/v1/payment_intents/${manual.id}/confirm`, [['expand[]', 'latest_charge']]);
  assert.deepEqual((await control('GET', '/violations')).body, []);
});

// A stand-in of its own, on another spec file (the stand-in must load whatever file it is given).
async function standinWithSpec(spec) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'standin-spec-'));
  const file = path.join(dir, 'spec.json');
  fs.writeFileSync(file, JSON.stringify(spec));
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'standin.js'), '--port', '0', '--openapi', file,
    '--exit-with-stdin'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const base = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
  const stop = () => {
    child.stdin.end();
    child.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { base, stop };
}

test('with a spec that lists expand on one endpoint only, expand elsewhere is a violation', async () => {
  const form = (props) => ({ requestBody: { content: { 'application/x-www-form-urlencoded': {
    encoding: { expand: { explode: true, style: 'deepObject' } },
    schema: { type: 'object', additionalProperties: false, properties: props } } } } });
  const expand = { description: 'Specifies which fields in the response should be expanded.',
    type: 'array', items: { type: 'string', maxLength: 5000 } };
  const spec = {
    openapi: '3.0.0',
    info: { version: '2025-03-31.basil' },
    paths: {
      '/v1/payment_intents': { post: form({ amount: { type: 'integer' }, currency: { type: 'string' },
        payment_method: { type: 'string', maxLength: 5000 }, confirm: { type: 'boolean' },
        confirmation_method: { type: 'string', enum: ['automatic', 'manual'] }, expand }) },
      '/v1/payment_intents/{intent}/confirm': { post: form({ payment_method: { type: 'string' } }) },
      '/v1/payment_intents/search': { get: { parameters: [{ in: 'query', name: 'query', required: true }] } },
    },
  };
  const own = await standinWithSpec(spec);
  try {
    const call = (url, body) => fetch(own.base + url, { method: 'POST', headers: { Authorization: SK },
      body: new URLSearchParams(body) }).then((res) => res.json());
    const pi = await call('/v1/payment_intents', [['amount', '900'], ['currency', 'usd'],
      ['payment_method', 'pm_card_visa'], ['confirmation_method', 'manual'], ['expand[]', 'latest_charge']]);
    assert.equal(pi.status, 'requires_confirmation');
    await call(`/v1/payment_intents/${pi.id}/confirm`, [['expand[0]', 'latest_charge']]);
    const violations = await fetch(`${own.base}/__standin/violations`).then((res) => res.json());
    assert.deepEqual(violations.map((v) => [v.path, v.param]), [[`/v1/payment_intents/${pi.id}/confirm`, 'expand[0]']]);
  } finally {
    own.stop();
  }
});
