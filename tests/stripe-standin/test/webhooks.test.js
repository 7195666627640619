// Webhook events from the stand-in (node --test): endpoints, Stripe's event envelope and signature,
// Dashboard refunds and disputes, resending, and what is recorded about each delivery. A small http
// server on 127.0.0.1 plays the receiver (till-server's POST /api/stripe/webhook in real use).
'use strict';
const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const { startStandin } = require('../standin-process');

let standin;
const SK = 'Bearer sk_test_standin';
const SECRET = 'whsec_standin_test_secret';

before(async () => { standin = await startStandin(); });
after(() => standin.stop());
// Each test registers the endpoints it wants.
beforeEach(async () => { await control('DELETE', '/webhook_endpoints'); });

async function control(method, url, body) {
  const res = await fetch(`${standin.base}/__standin${url}`, { method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, body: json };
}

async function api(method, url, form) {
  const res = await fetch(standin.base + url, { method, headers: { Authorization: SK },
    body: form ? new URLSearchParams(form) : undefined });
  return { status: res.status, body: await res.json() };
}

// A webhook receiver: records each request (headers and the raw body) and answers `reply`.
async function receiver(reply = { status: 200, body: '{"received":true}' }) {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers,
        raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(reply.status, { 'Content-Type': 'text/plain' });
      res.end(reply.body);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/api/stripe/webhook`;
  const close = () => new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  });
  return { url, received, close, reply };
}

async function withReceiver(fn, { secret = SECRET, reply } = {}) {
  const r = await receiver(reply);
  try {
    const reg = await control('POST', '/webhook_endpoints', { url: r.url, secret });
    assert.equal(reg.status, 200, JSON.stringify(reg.body));
    assert.deepEqual(reg.body, { ok: true });
    return await fn(r);
  } finally {
    await control('DELETE', '/webhook_endpoints');
    await r.close();
  }
}

// Stripe's documented manual check (docs.stripe.com/webhooks#verify-manually).
function parseSignature(header) {
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
  return { t: Number(parts.t), v1: parts.v1 };
}
function verify(header, raw, secret) {
  const { t, v1 } = parseSignature(header);
  const expected = crypto.createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex');
  return v1.length === expected.length && crypto.timingSafeEqual(Buffer.from(v1), Buffer.from(expected));
}

const paidIntent = async (amount, currency = 'usd', extra = {}) => {
  const r = await api('POST', '/v1/payment_intents', { amount: String(amount), currency,
    payment_method: 'pm_card_visa', confirm: 'true', ...extra });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.status, 'succeeded');
  return r.body;
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('webhook endpoints: only http URLs on loopback are taken, with a secret', async () => {
  for (const url of ['https://127.0.0.1:9/hook', 'http://example.com/hook', 'http://10.0.0.1/hook', 'not a url']) {
    const r = await control('POST', '/webhook_endpoints', { url, secret: SECRET });
    assert.equal(r.status, 400, url);
    assert.equal(r.body.error.type, 'invalid_request_error');
    assert.equal(r.body.error.param, 'url');
  }
  const noSecret = await control('POST', '/webhook_endpoints', { url: 'http://127.0.0.1:9/hook' });
  assert.equal(noSecret.status, 400);
  assert.equal(noSecret.body.error.param, 'secret');
  for (const url of ['http://127.0.0.1:9/a', 'http://localhost:9/b', 'http://[::1]:9/c']) {
    assert.equal((await control('POST', '/webhook_endpoints', { url, secret: SECRET })).status, 200, url);
  }
  assert.equal((await control('GET', '/webhook_endpoints')).body.length, 3);
  assert.deepEqual((await control('DELETE', '/webhook_endpoints')).body, { ok: true });
  assert.deepEqual((await control('GET', '/webhook_endpoints')).body, []);
});

test('an event is signed as Stripe signs it: HMAC-SHA256 over "t.body" with the endpoint secret', async () => {
  await withReceiver(async (r) => {
    const before = Math.floor(Date.now() / 1000);
    const res = await control('POST', '/events', { type: 'test.signature', object: { id: 'obj_1', object: 'thing' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(r.received.length, 1);
    const got = r.received[0];
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/api/stripe/webhook');
    assert.equal(got.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(got.headers['user-agent'], 'Stripe/1.0 (+https://stripe.com/docs/webhooks)');
    const header = got.headers['stripe-signature'];
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
    const { t } = parseSignature(header);
    assert.ok(t >= before && t <= Math.floor(Date.now() / 1000), `t=${t}`);
    assert.equal(verify(header, got.raw, SECRET), true);
    assert.equal(verify(header, got.raw, 'whsec_another_secret'), false);
    // The signature covers the exact bytes: any change to the body breaks it.
    assert.equal(verify(header, got.raw.replace('test.signature', 'test.signaturE'), SECRET), false);
  });
});

test('the event envelope has Stripe\'s fields and goes to every endpoint, each with its own secret', async () => {
  const other = await receiver();
  try {
    await control('POST', '/webhook_endpoints', { url: other.url, secret: 'whsec_other' });
    await withReceiver(async (r) => {
      const object = { id: 'cus_123', object: 'customer', metadata: { a: 'b' } };
      const res = await control('POST', '/events', { type: 'customer.updated', object });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { event, deliveries } = res.body;
      assert.match(event.id, /^evt_[0-9A-Za-z]{24}$/);
      assert.equal(event.object, 'event');
      assert.equal(event.api_version, '2020-08-27');
      assert.equal(typeof event.created, 'number');
      assert.ok(Math.abs(event.created - Date.now() / 1000) < 60);
      assert.deepEqual(event.data, { object });
      assert.equal(event.livemode, false);
      assert.equal(event.pending_webhooks, 2);
      assert.deepEqual(event.request, { id: null, idempotency_key: null });
      assert.equal(event.type, 'customer.updated');
      assert.deepEqual(Object.keys(event).sort(), ['api_version', 'created', 'data', 'id', 'livemode', 'object',
        'pending_webhooks', 'request', 'type']);

      assert.equal(deliveries.length, 2);
      for (const [rec, secret] of [[other, 'whsec_other'], [r, SECRET]]) {
        assert.equal(rec.received.length, 1);
        const got = rec.received[0];
        assert.equal(got.raw, JSON.stringify(event, null, 2));
        assert.equal(verify(got.headers['stripe-signature'], got.raw, secret), true);
        const d = deliveries.find((x) => x.url === rec.url);
        assert.deepEqual(d, { url: rec.url, status: 200, error: null, body: '{"received":true}' });
      }
      assert.equal(verify(r.received[0].headers['stripe-signature'], r.received[0].raw, 'whsec_other'), false);
    });
  } finally {
    await other.close();
  }
});

test('an event for a PaymentIntent carries it as GET /v1/payment_intents/:id returns it', async () => {
  const pi = await paidIntent(2500, 'usd', { 'metadata[till_sale]': 'S-42' });
  await withReceiver(async (r) => {
    const res = await control('POST', '/events', { type: 'payment_intent.succeeded', payment_intent: pi.id });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const current = (await api('GET', `/v1/payment_intents/${pi.id}`)).body;
    assert.deepEqual(res.body.event.data.object, current);
    assert.equal(res.body.event.data.object.metadata.till_sale, 'S-42');
    assert.equal(JSON.parse(r.received[0].raw).data.object.id, pi.id);
  });
  const bad = await control('POST', '/events', { type: 'payment_intent.succeeded', payment_intent: 'pi_nope' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'resource_missing');
  assert.equal((await control('POST', '/events', { object: {} })).status, 400);
  assert.equal((await control('POST', '/events', { type: 'x.y' })).status, 400);
});

test('a Dashboard refund of a PaymentIntent emits refund.created, then charge.refunded', async () => {
  const pi = await paidIntent(1234);
  const chargeId = pi.charges.data[0].id;
  await withReceiver(async (r) => {
    const res = await control('POST', '/dashboard/refunds', { payment_intent: pi.id, reason: 'requested_by_customer' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { refund, events, deliveries } = res.body;
    assert.match(refund.id, /^re_/);
    assert.equal(refund.object, 'refund');
    assert.equal(refund.amount, 1234);
    assert.equal(refund.currency, 'usd');
    assert.equal(refund.charge, chargeId);
    assert.equal(refund.payment_intent, pi.id);
    assert.equal(refund.reason, 'requested_by_customer');
    assert.equal(refund.status, 'succeeded');
    assert.equal(typeof refund.created, 'number');
    assert.deepEqual(refund.metadata, {});
    assert.equal(events.length, 2);
    assert.equal(deliveries.length, 2);
    assert.ok(deliveries.every((d) => d.status === 200 && d.error === null));

    assert.equal(r.received.length, 2);
    const [first, second] = r.received.map((g) => JSON.parse(g.raw));
    for (const g of r.received) assert.equal(verify(g.headers['stripe-signature'], g.raw, SECRET), true);
    assert.equal(first.type, 'refund.created');
    assert.equal(first.id, events[0]);
    assert.deepEqual(first.data.object, refund);
    assert.equal(second.type, 'charge.refunded');
    assert.equal(second.id, events[1]);
    const ch = second.data.object;
    assert.equal(ch.id, chargeId);
    assert.equal(ch.object, 'charge');
    assert.equal(ch.payment_intent, pi.id);
    assert.equal(ch.amount, 1234);
    assert.equal(ch.amount_refunded, 1234);
    assert.equal(ch.refunded, true);
    assert.equal(ch.refunds.object, 'list');
    assert.equal(ch.refunds.has_more, false);
    assert.equal(ch.refunds.total_count, 1);
    assert.equal(ch.refunds.url, `/v1/charges/${chargeId}/refunds`);
    assert.deepEqual(ch.refunds.data.map((x) => x.id), [refund.id]);
  });
  const got = await api('GET', `/v1/refunds/${(await control('GET', '/events')).body.at(-2).data_object_id}`);
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assert.equal(got.body.amount, 1234);
  assert.equal(got.body.payment_intent, pi.id);
  const after = (await api('GET', `/v1/payment_intents/${pi.id}`)).body;
  assert.equal(after.charges.data[0].amount_refunded, 1234);
  assert.equal((await api('GET', `/v1/charges/${chargeId}`)).body.refunded, true);
  // Nothing is left: Stripe's answer, and no events.
  const count = (await control('GET', '/events')).body.length;
  const again = await control('POST', '/dashboard/refunds', { payment_intent: pi.id });
  assert.equal(again.status, 400);
  assert.equal(again.body.error.code, 'charge_already_refunded');
  assert.equal((await control('GET', '/events')).body.length, count);
});

test('a partial Dashboard refund, then the rest, by charge id', async () => {
  const pi = await paidIntent(2000);
  const chargeId = pi.charges.data[0].id;
  await withReceiver(async (r) => {
    const part = await control('POST', '/dashboard/refunds', { charge: chargeId, amount: 500 });
    assert.equal(part.status, 200, JSON.stringify(part.body));
    assert.equal(part.body.refund.amount, 500);
    assert.equal(part.body.refund.payment_intent, pi.id);
    assert.equal(part.body.refund.reason, null);
    const ch1 = JSON.parse(r.received[1].raw).data.object;
    assert.equal(ch1.amount_refunded, 500);
    assert.equal(ch1.refunded, false);
    assert.equal(ch1.refunds.total_count, 1);

    const rest = await control('POST', '/dashboard/refunds', { payment_intent: pi.id });
    assert.equal(rest.status, 200, JSON.stringify(rest.body));
    assert.equal(rest.body.refund.amount, 1500);
    assert.equal(r.received.length, 4);
    assert.deepEqual(r.received.map((g) => JSON.parse(g.raw).type),
      ['refund.created', 'charge.refunded', 'refund.created', 'charge.refunded']);
    const ch2 = JSON.parse(r.received[3].raw).data.object;
    assert.equal(ch2.amount_refunded, 2000);
    assert.equal(ch2.refunded, true);
    assert.equal(ch2.refunds.total_count, 2);
    assert.deepEqual(ch2.refunds.data.map((x) => x.id), [rest.body.refund.id, part.body.refund.id]);
  });
  const list = await api('GET', `/v1/charges/${chargeId}/refunds`);
  assert.equal(list.body.data.length, 2);
});

test('a Dashboard refund of a /v1/charges charge goes through the mock\'s refund', async () => {
  const ch = await api('POST', '/v1/charges', { amount: '900', currency: 'eur', source: 'tok_visa' });
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  await withReceiver(async (r) => {
    const res = await control('POST', '/dashboard/refunds', { charge: ch.body.id, amount: '300', reason: 'duplicate' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.refund.amount, 300);
    assert.equal(res.body.refund.currency, 'eur');
    assert.equal(res.body.refund.payment_intent, null);
    assert.equal(res.body.refund.reason, 'duplicate');
    const charged = JSON.parse(r.received[1].raw).data.object;
    assert.equal(charged.amount_refunded, 300);
    assert.equal(charged.refunds.total_count, 1);
  });
  assert.equal((await api('GET', `/v1/charges/${ch.body.id}`)).body.amount_refunded, 300);
  const tooMuch = await control('POST', '/dashboard/refunds', { charge: ch.body.id, amount: 601 });
  assert.equal(tooMuch.status, 400);
  assert.equal(tooMuch.body.error.code, 'amount_too_large');
  const rest = await control('POST', '/dashboard/refunds', { charge: ch.body.id });
  assert.equal(rest.status, 200, JSON.stringify(rest.body));
  assert.equal(rest.body.refund.amount, 600);
  const done = await control('POST', '/dashboard/refunds', { charge: ch.body.id, amount: 1 });
  assert.equal(done.status, 400);
  assert.equal(done.body.error.code, 'charge_already_refunded');
});

test('Dashboard refunds are refused in Stripe\'s error shape, and emit nothing', async () => {
  const pi = await paidIntent(1000);
  const isk = await paidIntent(150000, 'isk');
  const count = (await control('GET', '/events')).body.length;
  const cases = [
    [{}, 'parameter_missing', 'payment_intent'],
    [{ payment_intent: 'pi_doesnotexist' }, 'resource_missing', 'payment_intent'],
    [{ charge: 'ch_doesnotexist' }, 'resource_missing', 'charge'],
    [{ payment_intent: pi.id, amount: 1001 }, 'amount_too_large', 'amount'],
    [{ payment_intent: pi.id, amount: 0 }, 'parameter_invalid_integer', 'amount'],
    [{ payment_intent: pi.id, amount: 'ten' }, 'parameter_invalid_integer', 'amount'],
    [{ payment_intent: pi.id, amount: 12.5 }, 'parameter_invalid_integer', 'amount'],
    [{ payment_intent: isk.id, amount: 150 }, 'invalid_charge_amount_no_decimal_compatible', 'amount'],
    [{ payment_intent: pi.id, reason: 'because' }, undefined, 'reason'],
  ];
  for (const [body, code, param] of cases) {
    const r = await control('POST', '/dashboard/refunds', body);
    assert.equal(r.status, 400, JSON.stringify([body, r.body]));
    assert.equal(r.body.error.type, 'invalid_request_error');
    assert.equal(r.body.error.code, code, JSON.stringify(r.body));
    assert.equal(r.body.error.param, param);
    assert.equal(typeof r.body.error.message, 'string');
  }
  assert.equal((await control('GET', '/events')).body.length, count);
  assert.equal((await api('GET', `/v1/payment_intents/${pi.id}`)).body.charges.data[0].amount_refunded, 0);
});

test('resend delivers the same event, byte for byte, with a new signature timestamp', async () => {
  await withReceiver(async (r) => {
    const sent = await control('POST', '/events', { type: 'invoice.paid', object: { id: 'in_1', object: 'invoice' } });
    assert.equal(sent.status, 200);
    await sleep(1100); // the timestamp is in whole seconds
    const again = await control('POST', `/events/${sent.body.event.id}/resend`);
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.deepEqual(again.body, { deliveries: [{ url: r.url, status: 200, error: null, body: '{"received":true}' }] });
    assert.equal(r.received.length, 2);
    const [a, b] = r.received;
    assert.equal(b.raw, a.raw);
    assert.equal(JSON.parse(b.raw).id, sent.body.event.id);
    const ta = parseSignature(a.headers['stripe-signature']).t;
    const tb = parseSignature(b.headers['stripe-signature']).t;
    assert.ok(tb > ta, `${tb} > ${ta}`);
    assert.equal(verify(b.headers['stripe-signature'], b.raw, SECRET), true);
    const full = await control('GET', `/events/${sent.body.event.id}`);
    assert.equal(full.body.deliveries.length, 2);
  });
  const missing = await control('POST', '/events/evt_doesnotexist/resend');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'resource_missing');
});

test('a Dashboard dispute emits charge.dispute.created and marks the charge disputed', async () => {
  const pi = await paidIntent(4200);
  const chargeId = pi.charges.data[0].id;
  await withReceiver(async (r) => {
    const res = await control('POST', '/dashboard/disputes', { payment_intent: pi.id });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { dispute, event, deliveries } = res.body;
    assert.match(dispute.id, /^dp_/);
    assert.deepEqual(dispute, { id: dispute.id, object: 'dispute', amount: 4200, currency: 'usd', charge: chargeId,
      payment_intent: pi.id, reason: 'fraudulent', status: 'needs_response', created: dispute.created,
      livemode: false, is_charge_refundable: false, metadata: {}, balance_transactions: [] });
    assert.equal(event.type, 'charge.dispute.created');
    assert.deepEqual(event.data.object, dispute);
    assert.equal(deliveries.length, 1);
    assert.equal(r.received.length, 1);
    assert.equal(r.received[0].raw, JSON.stringify(event, null, 2));
    assert.equal(verify(r.received[0].headers['stripe-signature'], r.received[0].raw, SECRET), true);

    const ch = (await api('GET', `/v1/charges/${chargeId}`)).body;
    assert.equal(ch.disputed, true);
    assert.equal(ch.dispute, dispute.id);
    const got = await api('GET', `/v1/disputes/${dispute.id}`);
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.equal(got.body.id, dispute.id);
    // Stripe refuses to refund a charge in dispute, whichever way it is asked.
    const viaApi = await api('POST', '/v1/refunds', { payment_intent: pi.id });
    assert.equal(viaApi.status, 400);
    assert.equal(viaApi.body.error.code, 'charge_disputed');
    const viaDashboard = await control('POST', '/dashboard/refunds', { charge: chargeId });
    assert.equal(viaDashboard.status, 400);
    assert.equal(viaDashboard.body.error.code, 'charge_disputed');
    assert.equal((await control('POST', '/dashboard/disputes', { charge: chargeId })).status, 400);
  });
  // By charge, with another reason; a /v1/charges charge has no PaymentIntent.
  const plain = await api('POST', '/v1/charges', { amount: '700', currency: 'usd', source: 'tok_visa' });
  const byCharge = await control('POST', '/dashboard/disputes', { charge: plain.body.id, reason: 'product_not_received' });
  assert.equal(byCharge.status, 200, JSON.stringify(byCharge.body));
  assert.equal(byCharge.body.dispute.payment_intent, null);
  assert.equal(byCharge.body.dispute.reason, 'product_not_received');
  assert.equal(byCharge.body.dispute.amount, 700);
  assert.deepEqual(byCharge.body.deliveries, []);
  assert.equal(byCharge.body.event.pending_webhooks, 0);
  assert.equal((await control('POST', '/dashboard/disputes', { charge: 'ch_nope' })).status, 400);
  assert.equal((await control('POST', '/dashboard/disputes', { payment_intent: pi.id, reason: 'bored' })).status, 400);
});

test('a receiver that answers 400 is recorded with status 400, and the event is not retried', async () => {
  const reply = { status: 400, body: 'No signatures found matching the expected signature for payload' };
  await withReceiver(async (r) => {
    const res = await control('POST', '/events', { type: 'charge.succeeded', object: { id: 'ch_x', object: 'charge' } });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.deliveries, [{ url: r.url, status: 400, error: null, body: reply.body }]);
    await sleep(300);
    assert.equal(r.received.length, 1);
    const listed = (await control('GET', '/events')).body.find((e) => e.id === res.body.event.id);
    assert.deepEqual(listed.deliveries, res.body.deliveries);
  }, { reply });
  // A long answer is kept to its first 2000 characters.
  await withReceiver(async () => {
    const res = await control('POST', '/events', { type: 'x.long', object: { id: 'x_1' } });
    assert.equal(res.body.deliveries[0].status, 500);
    assert.equal(res.body.deliveries[0].body, 'y'.repeat(2000));
  }, { reply: { status: 500, body: 'y'.repeat(5000) } });
});

test('an endpoint that is not listening is recorded with the connection error', async () => {
  const gone = await receiver();
  await gone.close();
  await control('POST', '/webhook_endpoints', { url: gone.url, secret: SECRET });
  const res = await control('POST', '/events', { type: 'x.unreachable', object: { id: 'x_2' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const [d] = res.body.deliveries;
  assert.equal(d.url, gone.url);
  assert.equal(d.status, null);
  assert.match(d.error, /ECONNREFUSED/);
  assert.equal(d.body, null);
});

test('the events list: oldest first, a summary of each; one event in full by id', async () => {
  await withReceiver(async () => {
    const a = (await control('POST', '/events', { type: 'list.first', object: { id: 'obj_first' } })).body.event;
    const b = (await control('POST', '/events', { type: 'list.second', object: { object: 'no id' } })).body.event;
    const list = (await control('GET', '/events')).body;
    assert.ok(Array.isArray(list));
    const ids = list.map((e) => e.id);
    assert.ok(ids.indexOf(a.id) >= 0 && ids.indexOf(a.id) < ids.indexOf(b.id));
    assert.equal(ids.at(-1), b.id);
    const first = list.find((e) => e.id === a.id);
    assert.deepEqual(Object.keys(first).sort(), ['created', 'data_object_id', 'deliveries', 'id', 'type']);
    assert.equal(first.type, 'list.first');
    assert.equal(first.created, a.created);
    assert.equal(first.data_object_id, 'obj_first');
    assert.equal(first.deliveries.length, 1);
    assert.equal(first.deliveries[0].status, 200);
    assert.equal(list.at(-1).data_object_id, null);
    // Events from earlier tests (refunds, disputes) are there too, in order.
    const types = list.map((e) => e.type);
    assert.ok(types.indexOf('refund.created') < types.indexOf('charge.refunded'));

    const full = await control('GET', `/events/${a.id}`);
    assert.equal(full.status, 200);
    const { deliveries, ...event } = full.body;
    assert.deepEqual(event, a);
    assert.equal(deliveries.length, 1);
  });
  const missing = await control('GET', '/events/evt_doesnotexist');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.type, 'invalid_request_error');
});
