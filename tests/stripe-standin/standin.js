#!/usr/bin/env node
// Stand-in for the Stripe API on loopback, for Till's tests (this machine cannot reach Stripe).
//
// stripe-stateful-mock answers charges, refunds of charges, customers and idempotency. It has no
// PaymentIntents, which is Stripe's current payment path and the only one with 3-D Secure, so this
// file adds them (and refunds by payment_intent) in front of it, in Stripe's shapes for API version
// 2020-08-27 (and, with a Stripe-Version header of 2022-11-15 or later, that version's shapes). It
// also logs every /v1 request and checks every POST's parameter names and values against the
// request schemas cut from Stripe's OpenAPI spec, so a test can assert that till-server only sends
// requests the real Stripe would accept. On request of a test (control endpoints under /__standin)
// it also sends webhook events, signed as Stripe signs them, to the endpoints the test registers,
// plays refunds and disputes made in Stripe's Dashboard, and plays what Stripe does rarely: 500s
// and idempotency conflicts, pending refunds that later fail, PaymentIntents left processing, a
// bank that asks for 3-D Secure twice, and idempotency keys that expire.
//
//   node standin.js [--port N] [--openapi FILE] [--exit-with-stdin]
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const http = require('http');
const path = require('path');
const express = require('express');
const mock = require('stripe-stateful-mock');
// Internals of the exactly pinned mock version. PaymentIntent charges and refunds are created
// through them so that they live in the mock's own store: GET /v1/charges/ch_..., refunds with
// charge=ch_... and GET /v1/refunds/re_... then see them exactly as Stripe would.
const { auth: mockAuth } = require('stripe-stateful-mock/dist/api/auth');
const { charges: mockCharges } = require('stripe-stateful-mock/dist/api/charges');
const { customers: mockCustomers } = require('stripe-stateful-mock/dist/api/customers');
const { disputes: mockDisputes } = require('stripe-stateful-mock/dist/api/disputes');
const { refunds: mockRefunds } = require('stripe-stateful-mock/dist/api/refunds');
const { verify: mockVerify } = require('stripe-stateful-mock/dist/api/verify');
const { RestError } = require('stripe-stateful-mock/dist/api/RestError');
const { getRequestAccountId } = require('stripe-stateful-mock/dist/routes');
const { AccountData: MockAccountData } = require('stripe-stateful-mock/dist/api/AccountData');

const USAGE = 'usage: node standin.js [--port N] [--openapi FILE] [--exit-with-stdin]';

function parseArgs(argv) {
  const opts = {
    port: 0,
    openapi: path.join(__dirname, '..', 'data', 'stripe-openapi-subset-2026-11-18.json'),
    exitWithStdin: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--port') opts.port = value();
    else if (flag === '--openapi') opts.openapi = path.resolve(value() || '');
    else if (flag === '--exit-with-stdin') opts.exitWithStdin = true;
    else if (flag === '--help' || flag === '-h') { console.log(USAGE); process.exit(0); }
    else { console.error(`stripe-standin: unknown argument ${argv[i]}\n${USAGE}`); process.exit(2); }
  }
  if (!/^\d+$/.test(String(opts.port)) || Number(opts.port) > 65535) {
    console.error(`stripe-standin: --port needs an integer 0-65535\n${USAGE}`);
    process.exit(2);
  }
  opts.port = Number(opts.port);
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function randomId(prefix, length = 24) {
  let id = prefix;
  for (const byte of crypto.randomBytes(length)) id += ALNUM[byte % ALNUM.length];
  return id;
}

const now = () => Math.floor(Date.now() / 1000);
const docUrl = (code) => `https://stripe.com/docs/error-codes/${code.replace(/_/g, '-')}`;
// Responses are snapshots: later changes to an object must not alter a stored idempotent reply.
const snapshot = (obj) => JSON.parse(JSON.stringify(obj));

function invalidRequest(status, message, fields = {}) {
  const error = { type: 'invalid_request_error', message, ...fields };
  if (error.code) error.doc_url = docUrl(error.code);
  return new RestError(status, error);
}

// Form values arrive as strings; Stripe reads booleans as the literal words.
function parseBoolean(value, param) {
  if (value === undefined || value === '') return false;
  if (value === 'true' || value === 'false') return value === 'true';
  throw invalidRequest(400, `Invalid boolean: ${value}`, { param });
}

function parsePositiveInteger(value, param, { required }) {
  if (value === undefined || value === '') {
    if (!required) return undefined;
    throw invalidRequest(400, `Missing required param: ${param}.`, { code: 'parameter_missing', param });
  }
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) {
    throw invalidRequest(400, `Invalid integer: ${value}`, { code: 'parameter_invalid_integer', param });
  }
  const n = Number(value);
  if (n < 1) {
    throw invalidRequest(400, 'This value must be greater than or equal to 1.',
      { code: 'parameter_invalid_integer', param });
  }
  if (n > 99999999) {
    throw invalidRequest(400, 'Amount must be no more than $999,999.99', { code: 'amount_too_large', param });
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// API versions (the Stripe-Version request header; docs.stripe.com/api/versioning). A version is a
// date, optionally with a release name after a dot (2024-09-30.acacia); only the date is compared.
// Since 2022-11-15 (docs.stripe.com/changelog/2022-11-15) a PaymentIntent has no `charges` list
// (its `latest_charge` remains) and a Charge no longer auto-expands `refunds`.

const DEFAULT_API_VERSION = '2020-08-27';
const NO_CHARGES_LIST_SINCE = '2022-11-15';
const API_VERSION_FORMAT = /^(\d{4})-(\d{2})-(\d{2})(?:\.[a-z]+)?$/;

function validApiVersion(version) {
  const m = API_VERSION_FORMAT.exec(String(version));
  return Boolean(m) && Number(m[2]) >= 1 && Number(m[2]) <= 12 && Number(m[3]) >= 1 && Number(m[3]) <= 31;
}
// True for versions where PaymentIntents have no `charges` and Charges no auto-expanded `refunds`.
const withoutSublists = (version) => String(version).slice(0, 10) >= NO_CHARGES_LIST_SINCE;

// expand[] as Stripe takes it: expand[]=a, expand[0]=a (qs gives an array, or an object for sparse
// indices) or a lone expand=a.
function expandPaths(value) {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'object') return Object.values(value).map(String);
  return [String(value)];
}

function stringMap(value) {
  const out = {};
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (v !== '') out[k] = String(v);
  }
  return out;
}

// Minor units per major unit, for human-readable amounts in error messages.
// (UGX is on Stripe's zero-decimal list, but its amounts have two decimals: see below.)
const ZERO_DECIMAL = new Set(['bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf',
  'vnd', 'vuv', 'xaf', 'xof', 'xpf']);

// ---------------------------------------------------------------------------------------------
// Stripe's rules for amounts in particular currencies, enforced so that Till's tests prove its
// conversion rather than trust it. Sources: https://docs.stripe.com/currencies (#zero-decimal,
// #three-decimal, #special-cases) and
// https://support.stripe.com/questions/deprecation-of-fractional-isk-charges-and-refunds
// - ISK and UGX are written with two decimals that must be 00 (5 ISK is amount=500). Stripe's
//   answer to anything else is documented for ISK, word for word; UGX gets the same, by analogy.
//   (UGX is also on the zero-decimal list, but the special case governs the amount.)
// - The three-decimal currencies take amounts whose last digit is 0. Stripe does not document
//   the error's code; invalid_charge_amount, from its list of error codes, stands in for it.
// - HUF and TWD are zero-decimal for payouts only: charges and refunds take any integer.
// Charges, PaymentIntents and refunds (of either) are checked, before the mock sees them.

const WHOLE_UNITS_IN_TWO_DECIMALS = new Set(['isk', 'ugx']);
const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);
// The mock's currency list predates Stripe's three-decimal support.
for (const c of THREE_DECIMAL) if (!mockVerify.validCurrencies.includes(c)) mockVerify.validCurrencies.push(c);

function checkCurrencyAmount(amount, currency, param) {
  const c = String(currency || '').toLowerCase();
  const n = Number(amount);
  if (!Number.isInteger(n)) return; // the usual integer checks report this
  if (WHOLE_UNITS_IN_TWO_DECIMALS.has(c) && n % 100 !== 0) {
    throw invalidRequest(400, `Invalid amount. Currency ${c.toUpperCase()} has become effectively zero-decimal ` +
      'and charged amounts must be evenly divisible by 100. ' +
      'See https://stripe.com/docs/currencies#special-cases for more information.',
      { code: 'invalid_charge_amount_no_decimal_compatible', param });
  }
  if (THREE_DECIMAL.has(c) && n % 10 !== 0) {
    throw invalidRequest(400, `Invalid amount. Amounts in ${c.toUpperCase()} must end in 0 (round to the nearest ` +
      'ten). See https://stripe.com/docs/currencies#three-decimal for more information.',
      { code: 'invalid_charge_amount', param });
  }
}

// The same check in front of the mock's own routes: POST /v1/charges, and POST /v1/refunds with
// charge= (the refund is in the charge's currency; without an amount, it is what is left of it).
function mockCurrencyRules(req, res, next) {
  const params = req.body || {};
  try {
    if (req.path === '/v1/charges') {
      checkCurrencyAmount(params.amount, params.currency, 'amount');
    } else if (params.charge !== undefined) {
      let charge;
      try {
        charge = mockCharges.retrieve(getRequestAccountId(req), String(params.charge), 'charge');
      } catch (err) {
        return next(); // no such charge: the mock answers that
      }
      const amount = params.amount !== undefined && params.amount !== ''
        ? params.amount : charge.amount - charge.amount_refunded;
      checkCurrencyAmount(amount, charge.currency, 'amount');
    }
  } catch (err) {
    if (!(err instanceof RestError)) throw err;
    return sendJson(res, err.statusCode, { error: err.error });
  }
  return next();
}
function formatAmount(amount, currency) {
  if (ZERO_DECIMAL.has(currency)) return `${amount} ${currency}`;
  return currency === 'usd' ? `$${(amount / 100).toFixed(2)}` : `${(amount / 100).toFixed(2)} ${currency}`;
}

// The same minimums stripe-stateful-mock enforces on charges; checked when the PaymentIntent is
// created, as Stripe does, rather than only when it is charged.
const MIN_AMOUNT = { usd: 50, aud: 50, brl: 50, cad: 50, chf: 50, dkk: 250, eur: 50, hkd: 400,
  jpy: 50, mxn: 10, nok: 300, nzd: 50, sek: 300, sgd: 50 };

// ---------------------------------------------------------------------------------------------
// Test PaymentMethods (docs.stripe.com/testing). Each maps to the mock's test token with the same
// outcome, so declines carry the mock's (Stripe's) codes and wording; `threeDS` cards stop at
// requires_action until /__standin/payment_intents/:id/authenticate is called.

const TEST_PAYMENT_METHODS = {
  pm_card_visa: { token: 'tok_visa', brand: 'visa', last4: '4242' },
  pm_card_mastercard: { token: 'tok_mastercard', brand: 'mastercard', last4: '4444' },
  pm_card_amex: { token: 'tok_amex', brand: 'amex', last4: '8431' },
  pm_card_visa_chargeDeclined: { token: 'tok_chargeDeclined', brand: 'visa', last4: '0002' },
  pm_card_visa_chargeDeclinedInsufficientFunds:
    { token: 'tok_chargeDeclinedInsufficientFunds', brand: 'visa', last4: '9995' },
  pm_card_chargeDeclinedExpiredCard: { token: 'tok_chargeDeclinedExpiredCard', brand: 'visa', last4: '0069' },
  pm_card_chargeDeclinedIncorrectCvc: { token: 'tok_chargeDeclinedIncorrectCvc', brand: 'visa', last4: '0127' },
  pm_card_chargeDeclinedProcessingError:
    { token: 'tok_chargeDeclinedProcessingError', brand: 'visa', last4: '0119' },
  pm_card_radarBlock: { token: 'tok_chargeDeclinedFraudulent', brand: 'visa', last4: '0019' },
  pm_card_authenticationRequired: { token: 'tok_visa', brand: 'visa', last4: '3184', threeDS: true },
  pm_card_threeDSecure2Required: { token: 'tok_visa', brand: 'visa', last4: '3220', threeDS: true },
};

// PaymentMethods made from the test ids above, by id. Like Stripe, each use of a test id makes a
// new pm_... object, which can then be reused by its own id.
const paymentMethods = new Map();

function resolvePaymentMethod(id) {
  const known = paymentMethods.get(id);
  if (known) return known;
  const spec = TEST_PAYMENT_METHODS[id];
  if (!spec) {
    throw invalidRequest(400, `No such PaymentMethod: '${id}'`, { code: 'resource_missing', param: 'payment_method' });
  }
  const expiry = new Date();
  const pm = {
    id: randomId('pm_'),
    object: 'payment_method',
    billing_details: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: null, name: null, phone: null,
    },
    card: {
      brand: spec.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'unchecked' },
      country: 'US',
      exp_month: expiry.getMonth() + 1,
      exp_year: expiry.getFullYear() + 1,
      fingerprint: randomId('', 16),
      funding: 'credit',
      generated_from: null,
      last4: spec.last4,
      networks: { available: [spec.brand], preferred: null },
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: now(),
    customer: null,
    livemode: false,
    metadata: {},
    type: 'card',
  };
  const entry = { pm, spec };
  paymentMethods.set(pm.id, entry);
  return entry;
}

// ---------------------------------------------------------------------------------------------
// PaymentIntents

// id -> { pi (the API object), account, pm (entry or null), authenticated }
const intents = new Map();

function findIntent(id, account, param) {
  const entry = intents.get(id);
  if (!entry || (account !== undefined && entry.account !== account)) {
    throw invalidRequest(param === 'intent' ? 404 : 400, `No such payment_intent: '${id}'`,
      { code: 'resource_missing', param });
  }
  return entry;
}

function newPaymentIntent(params, amount, currency, confirmationMethod) {
  const id = randomId('pi_');
  const types = params.payment_method_types;
  return {
    id,
    object: 'payment_intent',
    amount,
    amount_capturable: 0,
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    charges: { object: 'list', data: [], has_more: false, total_count: 0, url: `/v1/charges?payment_intent=${id}` },
    client_secret: `${id}_secret_${randomId('', 25)}`,
    confirmation_method: confirmationMethod,
    created: now(),
    currency,
    customer: params.customer || null,
    description: params.description || null,
    invoice: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: stringMap(params.metadata),
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_options: { card: { installments: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: Array.isArray(types) ? types.map(String)
      : (types && typeof types === 'object' ? Object.values(types).map(String) : ['card']),
    receipt_email: params.receipt_email || null,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: params.statement_descriptor || null,
    statement_descriptor_suffix: params.statement_descriptor_suffix || null,
    status: 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
}

function unexpectedState(entry, message) {
  return invalidRequest(400, message, { code: 'payment_intent_unexpected_state', payment_intent: snapshot(entry.pi) });
}

function missingPaymentMethod(entry) {
  return unexpectedState(entry, "You cannot confirm this PaymentIntent because it's missing a payment method. " +
    'You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it ' +
    'again directly with a payment method.');
}

function addCharge(pi, charge) {
  pi.charges.data.unshift(charge);
  pi.charges.total_count = pi.charges.data.length;
  pi.latest_charge = charge.id;
}

// A declined attempt: the PaymentIntent goes back to requires_payment_method with the error as
// last_payment_error, and the 402 body carries both objects as Stripe's does.
function declined(entry, error) {
  const { pi } = entry;
  pi.status = 'requires_payment_method';
  pi.next_action = null;
  pi.last_payment_error = { ...error, payment_method: entry.pm.pm };
  return new RestError(402, { ...error, payment_intent: snapshot(pi), payment_method: entry.pm.pm });
}

// Charges the PaymentIntent's card through the mock, which stores the charge (failed ones too).
// `token` overrides the card's own outcome (a processing payment that the bank then declines).
function charge(entry, token = entry.pm.spec.token) {
  const { pi, pm } = entry;
  let result;
  let failure = null;
  try {
    result = mockCharges.create(entry.account, {
      amount: String(pi.amount), currency: pi.currency, source: token,
      description: pi.description || undefined, metadata: pi.metadata,
    });
  } catch (err) {
    if (!(err instanceof RestError) || !err.error.charge) throw err;
    failure = err.error;
    result = mockCharges.retrieve(entry.account, failure.charge, 'id');
  }
  // A PaymentIntent's charge names its PaymentMethod, not a card source.
  result.payment_intent = pi.id;
  result.payment_method = pm.pm.id;
  result.source = null;
  const { brand, country, exp_month, exp_year, fingerprint, funding, last4 } = pm.pm.card;
  Object.assign(result.payment_method_details.card,
    { brand, country, exp_month, exp_year, fingerprint, funding, last4, network: brand });
  if (entry.authenticated) {
    result.payment_method_details.card.three_d_secure =
      { authentication_flow: 'challenge', result: 'authenticated', result_reason: null, version: '2.1.0' };
  }
  addCharge(pi, result);
  if (failure) throw declined(entry, failure);
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  pi.last_payment_error = null;
  pi.next_action = null;
}

// One confirmation attempt with the PaymentIntent's current PaymentMethod. `mayProcess`: a
// PaymentIntent created with confirm=true, which /__standin/payment_intents/next can leave
// processing instead of charging it.
function attempt(entry, { offSession, errorOnRequiresAction }, { mayProcess = false } = {}) {
  const { pi } = entry;
  pi.payment_method = entry.pm.pm.id;
  pi.last_payment_error = null;
  // /__standin/payment_intents/:id/require_action_again: the bank asks for authentication once
  // more, even after a passed challenge (or for a card that did not need one).
  const again = entry.actionAgain > 0;
  if ((entry.pm.spec.threeDS && !entry.authenticated) || again) {
    if (again) {
      entry.actionAgain--;
      entry.authenticated = false;
    }
    if (offSession || errorOnRequiresAction) {
      throw declined(entry, {
        type: 'card_error', code: 'authentication_required', decline_code: 'authentication_required',
        doc_url: docUrl('authentication_required'),
        message: 'Your card was declined. This transaction requires authentication.',
      });
    }
    pi.status = 'requires_action';
    pi.next_action = {
      type: 'use_stripe_sdk',
      use_stripe_sdk: {
        type: 'three_d_secure_redirect',
        // Stripe points this at its hosted challenge; here it names the control endpoint that
        // plays the customer's part.
        stripe_js: `${state.baseUrl}/__standin/payment_intents/${pi.id}/authenticate`,
        source: randomId('src_'),
      },
    };
    return;
  }
  if (mayProcess && state.nextIntents.processing > 0) {
    // The payment was sent to the bank, which has not answered yet: no charge until it is settled.
    state.nextIntents.processing--;
    pi.status = 'processing';
    pi.next_action = null;
    return;
  }
  charge(entry);
}

function confirmOptions(params) {
  return {
    offSession: params.off_session !== undefined && params.off_session !== '' && params.off_session !== 'false',
    errorOnRequiresAction: parseBoolean(params.error_on_requires_action, 'error_on_requires_action'),
  };
}

function createPaymentIntent(req, ctx) {
  const params = req.body;
  const amount = parsePositiveInteger(params.amount, 'amount', { required: true });
  if (!params.currency) {
    throw invalidRequest(400, 'Missing required param: currency.', { code: 'parameter_missing', param: 'currency' });
  }
  const currency = String(params.currency).toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) {
    throw invalidRequest(400, `Invalid currency: ${currency}. Stripe currently supports these currencies: ` +
      mockVerify.validCurrencies.join(', '), { param: 'currency' });
  }
  mockVerify.currency(currency, 'currency');
  checkCurrencyAmount(amount, currency, 'amount');
  if (MIN_AMOUNT[currency] && amount < MIN_AMOUNT[currency]) {
    const min = formatAmount(MIN_AMOUNT[currency], currency);
    throw invalidRequest(400, `Amount must be at least ${min}${currency === 'usd' ? ' usd' : ''}`,
      { code: 'amount_too_small', param: 'amount' });
  }
  const confirmationMethod = params.confirmation_method || 'automatic';
  if (!['automatic', 'manual'].includes(confirmationMethod)) {
    throw invalidRequest(400, 'Invalid confirmation_method: must be one of automatic or manual',
      { param: 'confirmation_method' });
  }
  if (params.capture_method && params.capture_method !== 'automatic') {
    // Not something Till uses; refusing beats silently capturing at once.
    throw invalidRequest(400, `stripe-standin: capture_method=${params.capture_method} is not implemented`,
      { param: 'capture_method' });
  }
  const confirm = parseBoolean(params.confirm, 'confirm');
  const options = confirmOptions(params);
  if (params.customer) mockCustomers.retrieve(ctx.account, String(params.customer), 'customer');
  const pm = params.payment_method ? resolvePaymentMethod(String(params.payment_method)) : null;

  const pi = newPaymentIntent(params, amount, currency, confirmationMethod);
  const entry = { pi, account: ctx.account, pm, authenticated: false };
  intents.set(pi.id, entry);
  ctx.started = true;
  if (pm) {
    pi.payment_method = pm.pm.id;
    pi.status = 'requires_confirmation';
  }
  if (confirm) {
    if (!pm) throw missingPaymentMethod(entry);
    attempt(entry, options, { mayProcess: true });
  }
  return pi;
}

const CONFIRMABLE = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

function confirmPaymentIntent(req, ctx) {
  const params = req.body;
  const entry = findIntent(req.params.intent, ctx.account, 'intent');
  const { pi } = entry;
  if (params.client_secret !== undefined && params.client_secret !== pi.client_secret) {
    throw invalidRequest(400, 'The client_secret provided does not match the client_secret associated ' +
      'with the PaymentIntent.', { param: 'client_secret' });
  }
  if (pi.status === 'succeeded') {
    throw unexpectedState(entry, 'You cannot confirm this PaymentIntent because it has already succeeded ' +
      'after being previously confirmed.');
  }
  if (!CONFIRMABLE.includes(pi.status)) {
    throw unexpectedState(entry, `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. ` +
      `Only a PaymentIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`);
  }
  const options = confirmOptions(params);
  if (params.payment_method) {
    entry.pm = resolvePaymentMethod(String(params.payment_method));
    entry.authenticated = false;
  } else if (pi.status === 'requires_action') {
    return pi; // still waiting for the customer's 3-D Secure challenge
  } else if (pi.status === 'requires_payment_method') {
    throw missingPaymentMethod(entry);
  }
  ctx.started = true;
  attempt(entry, options);
  return pi;
}

const CANCELABLE = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action',
  'processing'];
const CANCELLATION_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'];

function cancelPaymentIntent(req, ctx) {
  const entry = findIntent(req.params.intent, ctx.account, 'intent');
  const reason = req.body.cancellation_reason;
  if (reason !== undefined && !CANCELLATION_REASONS.includes(reason)) {
    throw invalidRequest(400, `Invalid cancellation_reason: must be one of ${CANCELLATION_REASONS.join(', ')}`,
      { param: 'cancellation_reason' });
  }
  const { pi } = entry;
  if (!CANCELABLE.includes(pi.status)) {
    throw unexpectedState(entry, `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. ` +
      `Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`);
  }
  ctx.started = true;
  Object.assign(pi, { status: 'canceled', canceled_at: now(), cancellation_reason: reason || null, next_action: null });
  return pi;
}

function listPaymentIntents(req, ctx) {
  const q = req.query;
  let limit = 10;
  if (q.limit !== undefined) {
    if (!/^\d+$/.test(String(q.limit))) {
      throw invalidRequest(400, `Invalid integer: ${q.limit}`, { code: 'parameter_invalid_integer', param: 'limit' });
    }
    limit = Number(q.limit);
    if (limit < 1 || limit > 100) {
      const bound = limit < 1 ? 'greater than or equal to 1' : 'less than or equal to 100';
      throw invalidRequest(400, `This value must be ${bound}.`, { code: 'parameter_invalid_integer', param: 'limit' });
    }
  }
  // Newest first; Map keeps creation order.
  let data = [...intents.values()].filter((e) => e.account === ctx.account).reverse().map((e) => e.pi);
  if (q.customer) data = data.filter((pi) => pi.customer === q.customer);
  if (q.ending_before) {
    // The page just before (newer than) the given object; has_more says whether newer ones remain.
    const at = data.indexOf(findIntent(String(q.ending_before), ctx.account, 'ending_before').pi);
    const page = data.slice(Math.max(0, at - limit), at);
    return { object: 'list', data: page, has_more: at > limit, url: '/v1/payment_intents' };
  }
  if (q.starting_after) {
    const at = data.indexOf(findIntent(String(q.starting_after), ctx.account, 'starting_after').pi);
    data = data.slice(at + 1);
  }
  return { object: 'list', data: data.slice(0, limit), has_more: data.length > limit, url: '/v1/payment_intents' };
}

// ---------------------------------------------------------------------------------------------
// Refunds by payment_intent. The refund itself is made by the mock on the PaymentIntent's
// successful charge, so the charge's amount_refunded and refunds list stay right.

const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'];

function refundPaymentIntent(req, ctx) {
  const params = req.body;
  const entry = findIntent(String(params.payment_intent), ctx.account, 'payment_intent');
  const paid = entry.pi.charges.data.find((c) => c.status === 'succeeded');
  if (!paid) {
    throw invalidRequest(400, `This PaymentIntent (${entry.pi.id}) does not have a successful charge to refund.`,
      { param: 'payment_intent' });
  }
  if (params.charge !== undefined && params.charge !== paid.id) {
    throw invalidRequest(400, `Charge ${params.charge} does not belong to PaymentIntent ${entry.pi.id}.`,
      { param: 'charge' });
  }
  if (params.reason !== undefined && !REFUND_REASONS.includes(params.reason)) {
    throw invalidRequest(400, `Invalid reason: must be one of ${REFUND_REASONS.join(', ')}`, { param: 'reason' });
  }
  const remaining = paid.amount - paid.amount_refunded;
  if (remaining <= 0) {
    throw invalidRequest(400, `Charge ${paid.id} has already been refunded.`, { code: 'charge_already_refunded' });
  }
  const amount = parsePositiveInteger(params.amount, 'amount', { required: false });
  if (amount !== undefined && amount > remaining) {
    throw invalidRequest(400, `Refund amount (${formatAmount(amount, paid.currency)}) is greater than unrefunded ` +
      `amount on charge (${formatAmount(remaining, paid.currency)})`, { code: 'amount_too_large', param: 'amount' });
  }
  checkCurrencyAmount(amount === undefined ? remaining : amount, paid.currency, 'amount');
  ctx.started = true;
  const refund = mockRefunds.create(ctx.account, {
    charge: paid.id, amount: String(amount === undefined ? remaining : amount),
    reason: params.reason, metadata: params.metadata,
  });
  refund.payment_intent = entry.pi.id;
  return refund;
}

// Every refund the mock makes (by payment_intent, by charge, or in the Dashboard) passes here: a
// refund of a PaymentIntent's charge names the PaymentIntent (as at Stripe, whichever way it was
// asked for), GET /v1/refunds?payment_intent= finds it, and /__standin/refunds/next can leave it
// pending.
const refundAccounts = new Map(); // refund id -> account, in creation order
const mockRefundCreate = mockRefunds.create;
mockRefunds.create = function create(accountId, params) {
  const refund = mockRefundCreate.call(this, accountId, params);
  refundAccounts.set(refund.id, accountId);
  const refunded = mockCharges.retrieve(accountId, refund.charge, 'charge');
  if (refunded.payment_intent) refund.payment_intent = refunded.payment_intent;
  if (state.nextRefunds.pending > 0) {
    state.nextRefunds.pending--;
    refund.status = 'pending';
  }
  return refund;
};

function parseLimit(value) {
  if (value === undefined) return 10;
  if (!/^\d+$/.test(String(value))) {
    throw invalidRequest(400, `Invalid integer: ${value}`, { code: 'parameter_invalid_integer', param: 'limit' });
  }
  const limit = Number(value);
  if (limit < 1 || limit > 100) {
    const bound = limit < 1 ? 'greater than or equal to 1' : 'less than or equal to 100';
    throw invalidRequest(400, `This value must be ${bound}.`, { code: 'parameter_invalid_integer', param: 'limit' });
  }
  return limit;
}

// One page of `data` (newest first) by Stripe's list parameters limit, starting_after, ending_before.
function listPage(data, q, url, noun) {
  const limit = parseLimit(q.limit);
  const at = (param) => {
    const i = data.findIndex((o) => o.id === String(q[param]));
    if (i < 0) {
      throw invalidRequest(400, `No such ${noun}: '${q[param]}'`, { code: 'resource_missing', param });
    }
    return i;
  };
  if (q.ending_before) {
    const i = at('ending_before');
    return { object: 'list', data: data.slice(Math.max(0, i - limit), i), has_more: i > limit, url };
  }
  if (q.starting_after) data = data.slice(at('starting_after') + 1);
  return { object: 'list', data: data.slice(0, limit), has_more: data.length > limit, url };
}

// GET /v1/refunds?payment_intent=pi_... (the mock's own list filters by charge only).
function listRefundsOfIntent(req, ctx) {
  const q = req.query;
  const entry = findIntent(String(q.payment_intent), ctx.account, 'payment_intent');
  let data = [...refundAccounts].filter(([, account]) => account === ctx.account).reverse()
    .map(([id]) => mockRefunds.retrieve(ctx.account, id, 'id'))
    .filter((r) => r.payment_intent === entry.pi.id);
  if (q.charge) data = data.filter((r) => r.charge === String(q.charge));
  return listPage(data, q, '/v1/refunds', 'refund');
}

// ---------------------------------------------------------------------------------------------
// Search (docs.stripe.com/search#search-query-language), for PaymentIntents by metadata only:
// metadata['key']:'value' (or with double quotes; \ escapes a quote), clauses joined by AND.
// Stripe's search is eventually consistent (new objects may take a minute to show up); the
// stand-in's is not.

const QUOTED = String.raw`'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"`; // two groups: single, double
const SEARCH_CLAUSE = new RegExp(String.raw`\s*metadata\[(?:${QUOTED})\]:(?:${QUOTED})\s*`, 'y');

function parseSearchQuery(text) {
  const unescape = (v) => v.replace(/\\(.)/g, '$1');
  const clauses = [];
  let pos = 0;
  for (;;) {
    SEARCH_CLAUSE.lastIndex = pos;
    const m = SEARCH_CLAUSE.exec(text);
    if (!m) return null;
    clauses.push([unescape(m[1] !== undefined ? m[1] : m[2]), unescape(m[3] !== undefined ? m[3] : m[4])]);
    pos = SEARCH_CLAUSE.lastIndex;
    if (pos === text.length) return clauses;
    const and = /AND\s+/y;
    and.lastIndex = pos;
    if (!/\s/.test(text[pos - 1]) || !and.test(text)) return null;
    pos = and.lastIndex;
  }
}

function searchPaymentIntents(req, ctx) {
  const q = req.query;
  if (q.query === undefined || q.query === '') {
    throw invalidRequest(400, 'Missing required param: query.', { code: 'parameter_missing', param: 'query' });
  }
  const clauses = typeof q.query === 'string' ? parseSearchQuery(q.query) : null;
  if (!clauses) {
    throw invalidRequest(400, `stripe-standin cannot search with the query ${JSON.stringify(String(q.query))}: ` +
      "its search takes only metadata['key']:'value' clauses, joined by AND.", { param: 'query' });
  }
  const limit = parseLimit(q.limit);
  let offset = 0;
  if (q.page !== undefined && q.page !== '') {
    let page = null;
    try {
      page = JSON.parse(Buffer.from(String(q.page), 'base64url').toString('utf8'));
    } catch (err) {
      page = null;
    }
    if (!page || page.query !== q.query || !Number.isInteger(page.offset) || page.offset < 0) {
      throw invalidRequest(400, `Invalid page: ${q.page}. Pass the next_page of the previous result, with ` +
        'the same query.', { param: 'page' });
    }
    offset = page.offset;
  }
  const matches = [...intents.values()].filter((e) => e.account === ctx.account).reverse().map((e) => e.pi)
    .filter((pi) => clauses.every(([k, v]) => Object.prototype.hasOwnProperty.call(pi.metadata, k) &&
      pi.metadata[k] === v));
  const more = matches.length > offset + limit;
  return {
    object: 'search_result',
    data: matches.slice(offset, offset + limit),
    has_more: more,
    next_page: more ? Buffer.from(JSON.stringify({ offset: offset + limit, query: q.query })).toString('base64url')
      : null,
    url: '/v1/payment_intents/search',
  };
}

// ---------------------------------------------------------------------------------------------
// What a response shows of a PaymentIntent: the request's API version and expand[]. Objects are
// stored in the 2020-08-27 shape (with `charges`) and rendered when they leave.

const INTENT_EXPANDABLE = ['latest_charge', 'latest_charge.refunds', 'payment_method'];

// The expand[] paths of a request for a route that returns one PaymentIntent ('intent') or a list
// or search result of them ('list', whose paths start with data.), checked before anything runs.
function intentExpand(req, shows) {
  const prefix = shows === 'list' ? 'data.' : '';
  return expandPaths(req.method === 'POST' ? req.body.expand : req.query.expand).map((p) => {
    const rest = p.startsWith(prefix) ? p.slice(prefix.length) : null;
    if (rest === null || !INTENT_EXPANDABLE.includes(rest)) {
      throw invalidRequest(400, `This property cannot be expanded (${p}). stripe-standin expands ` +
        `${INTENT_EXPANDABLE.map((x) => prefix + x).join(', ')} here.`, { param: 'expand' });
    }
    return rest;
  });
}

function renderCharge(chargeObject, version, expandRefunds = false) {
  const out = snapshot(chargeObject);
  if (withoutSublists(version) && !expandRefunds) delete out.refunds;
  return out;
}

function renderIntent(piObject, version, paths = []) {
  const out = snapshot(piObject);
  if (withoutSublists(version)) delete out.charges;
  const entry = intents.get(piObject.id);
  if (!entry) return out;
  const expandLatest = paths.some((p) => p === 'latest_charge' || p.startsWith('latest_charge.'));
  if (expandLatest && typeof out.latest_charge === 'string') {
    const latest = entry.pi.charges.data.find((c) => c.id === out.latest_charge);
    if (latest) out.latest_charge = renderCharge(latest, version, paths.includes('latest_charge.refunds'));
  }
  if (paths.includes('payment_method') && entry.pm && out.payment_method === entry.pm.pm.id) {
    out.payment_method = snapshot(entry.pm.pm);
  }
  return out;
}

// An event's object at an endpoint's API version (events never expand).
function renderEventObject(object, version) {
  if (object && object.object === 'payment_intent') return renderIntent(object, version);
  if (object && object.object === 'charge') return renderCharge(object, version);
  return object;
}

// ---------------------------------------------------------------------------------------------
// Tokenization: what Stripe.js calls from its card frame with the publishable key. Card numbers
// become the literal test ids the rest of the stand-in accepts (tokens go straight to the mock's
// charges; PaymentMethod ids to TEST_PAYMENT_METHODS above), so a card typed into the Stripe.js
// stand-in ends in the same outcome Stripe documents for it.

// number -> [token id (null: no token, see below), PaymentMethod id]
const TEST_CARDS = {
  '4242424242424242': ['tok_visa', 'pm_card_visa'],
  '5555555555554444': ['tok_mastercard', 'pm_card_mastercard'],
  '378282246310005': ['tok_amex', 'pm_card_amex'],
  '4000000000000002': ['tok_chargeDeclined', 'pm_card_visa_chargeDeclined'],
  '4000000000009995': ['tok_chargeDeclinedInsufficientFunds', 'pm_card_visa_chargeDeclinedInsufficientFunds'],
  '4000000000000069': ['tok_chargeDeclinedExpiredCard', 'pm_card_chargeDeclinedExpiredCard'],
  '4000000000000127': ['tok_chargeDeclinedIncorrectCvc', 'pm_card_chargeDeclinedIncorrectCvc'],
  '4000000000000119': ['tok_chargeDeclinedProcessingError', 'pm_card_chargeDeclinedProcessingError'],
  '4100000000000019': ['tok_chargeDeclinedFraudulent', 'pm_card_radarBlock'],
  // 3-D Secure lives only on the PaymentIntent path. Stripe would tokenize these cards and decline
  // the charge with authentication_required; the mock cannot, so /v1/tokens answers that decline
  // itself. Mapping to tok_visa would approve a card that Stripe never approves without 3-D Secure.
  '4000002760003184': [null, 'pm_card_authenticationRequired'],
  '4000000000003220': [null, 'pm_card_threeDSecure2Required'],
};

// Brand from the number prefix: [lowercase as PaymentMethods and Elements say it, as Tokens say it].
function cardBrand(number) {
  if (/^4/.test(number)) return ['visa', 'Visa'];
  if (/^(5[1-5]|222[1-9]|22[3-9]|2[3-6]|27[01]|2720)/.test(number)) return ['mastercard', 'MasterCard'];
  if (/^3[47]/.test(number)) return ['amex', 'American Express'];
  if (/^(6011|65|64[4-9])/.test(number)) return ['discover', 'Discover'];
  if (/^(36|30[0-5]|3095|38|39)/.test(number)) return ['diners', 'Diners Club'];
  if (/^35/.test(number)) return ['jcb', 'JCB'];
  if (/^62/.test(number)) return ['unionpay', 'UnionPay'];
  return ['unknown', 'Unknown'];
}

function luhnValid(number) {
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let d = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return sum % 10 === 0;
}

function cardError(code, message, param, extra = {}) {
  return new RestError(402, { type: 'card_error', code, doc_url: docUrl(code), message, param, ...extra });
}

// Checks card[...] the way Stripe's API does, in its order (number, expiry, CVC). `paramName`
// spells the param as the endpoint reports it: the Tokens API names the card's own fields
// ('number'), PaymentMethods the nested form field ('card[number]').
function parseCard(params, paramName) {
  const card = params.card;
  if (!card || typeof card !== 'object' || Array.isArray(card)) {
    throw invalidRequest(400, 'Missing required param: card.', { code: 'parameter_missing', param: 'card' });
  }
  for (const field of ['number', 'exp_month', 'exp_year']) {
    if (card[field] === undefined || card[field] === '') {
      throw invalidRequest(400, `Missing required param: card[${field}].`,
        { code: 'parameter_missing', param: `card[${field}]` });
    }
  }
  const number = String(card.number).replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) {
    throw cardError('incorrect_number', 'Your card number is incorrect.', paramName('number'));
  }
  const monthText = String(card.exp_month).trim();
  const month = Number(monthText);
  if (!/^\d{1,2}$/.test(monthText) || month < 1 || month > 12) {
    throw cardError('invalid_expiry_month', "Your card's expiration month is invalid.", paramName('exp_month'));
  }
  const yearText = String(card.exp_year).trim();
  // Stripe takes two-digit years as 20YY.
  const year = /^\d{2}$/.test(yearText) ? 2000 + Number(yearText) : Number(yearText);
  const today = new Date();
  const thisYear = today.getFullYear();
  if (!/^(\d{2}|\d{4})$/.test(yearText) || year < thisYear || year > thisYear + 50) {
    throw cardError('invalid_expiry_year', "Your card's expiration year is invalid.", paramName('exp_year'));
  }
  if (year === thisYear && month < today.getMonth() + 1) {
    throw cardError('invalid_expiry_month', "Your card's expiration month is invalid.", paramName('exp_month'));
  }
  const [brand, tokenBrand] = cardBrand(number);
  let cvc = null;
  if (card.cvc !== undefined && card.cvc !== '') {
    cvc = String(card.cvc).trim();
    if (!(brand === 'amex' ? /^\d{3,4}$/ : /^\d{3}$/).test(cvc)) {
      throw cardError('invalid_cvc', "Your card's security code is invalid.", paramName('cvc'));
    }
  }
  const test = TEST_CARDS[number];
  if (!test) {
    // A Luhn-valid number that is not one of Stripe's test cards: a real card, refused in test mode.
    throw cardError('card_declined', 'Your card was declined. Your request was in test mode, but used a non ' +
      'test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.', '',
      { decline_code: 'test_mode_live_card' });
  }
  return { number, last4: number.slice(-4), month, year, cvc, brand, tokenBrand, test, card };
}

const nullIfEmpty = (v) => (v === undefined || v === '' ? null : String(v));

function createToken(req) {
  const c = parseCard(req.body, (field) => field);
  if (!c.test[0]) {
    throw cardError('card_declined', 'Your card was declined. This transaction requires authentication.',
      undefined, { decline_code: 'authentication_required' });
  }
  return {
    id: c.test[0],
    object: 'token',
    card: {
      id: randomId('card_'),
      object: 'card',
      address_city: nullIfEmpty(c.card.address_city),
      address_country: nullIfEmpty(c.card.address_country),
      address_line1: nullIfEmpty(c.card.address_line1),
      address_line1_check: c.card.address_line1 ? 'unchecked' : null,
      address_line2: nullIfEmpty(c.card.address_line2),
      address_state: nullIfEmpty(c.card.address_state),
      address_zip: nullIfEmpty(c.card.address_zip),
      address_zip_check: c.card.address_zip ? 'unchecked' : null,
      brand: c.tokenBrand,
      country: 'US',
      currency: nullIfEmpty(c.card.currency),
      cvc_check: c.cvc ? 'unchecked' : null,
      dynamic_last4: null,
      exp_month: c.month,
      exp_year: c.year,
      fingerprint: randomId('', 16),
      funding: 'credit',
      last4: c.last4,
      metadata: {},
      name: nullIfEmpty(c.card.name),
      tokenization_method: null,
    },
    client_ip: req.ip || null,
    created: now(),
    livemode: false,
    type: 'card',
    used: false,
  };
}

function createCardPaymentMethod(req) {
  const params = req.body;
  if (params.type !== 'card') {
    throw invalidRequest(400, params.type === undefined ? 'Missing required param: type.'
      : `Invalid type: must be card (the stand-in makes card PaymentMethods only)`,
    { code: params.type === undefined ? 'parameter_missing' : undefined, param: 'type' });
  }
  const c = parseCard(params, (field) => `card[${field}]`);
  const billing = params.billing_details && typeof params.billing_details === 'object' ? params.billing_details : {};
  const address = billing.address && typeof billing.address === 'object' ? billing.address : {};
  return {
    // The test id itself, which POST /v1/payment_intents accepts as payment_method.
    id: c.test[1],
    object: 'payment_method',
    billing_details: {
      address: Object.fromEntries(['city', 'country', 'line1', 'line2', 'postal_code', 'state']
        .map((k) => [k, nullIfEmpty(address[k])])),
      email: nullIfEmpty(billing.email), name: nullIfEmpty(billing.name), phone: nullIfEmpty(billing.phone),
    },
    card: {
      brand: c.brand,
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: c.cvc ? 'unchecked' : null },
      country: 'US',
      exp_month: c.month,
      exp_year: c.year,
      fingerprint: randomId('', 16),
      funding: 'credit',
      generated_from: null,
      last4: c.last4,
      networks: { available: [c.brand], preferred: null },
      three_d_secure_usage: { supported: true },
      wallet: null,
    },
    created: now(),
    customer: null,
    livemode: false,
    metadata: stringMap(params.metadata),
    type: 'card',
  };
}

// The fields of a PaymentIntent a publishable key may see: those of api.PaymentIntent in
// @stripe/stripe-js (dist/api/payment-intents.d.ts).
const PUBLIC_INTENT_FIELDS = ['id', 'object', 'amount', 'canceled_at', 'cancellation_reason', 'capture_method',
  'client_secret', 'confirmation_method', 'created', 'currency', 'description', 'last_payment_error', 'livemode',
  'next_action', 'payment_method', 'payment_method_types', 'receipt_email', 'setup_future_usage', 'shipping', 'status'];

function retrievePaymentIntent(req, ctx) {
  const entry = findIntent(req.params.intent, ctx.account, 'intent');
  if (!ctx.publishable) return entry.pi;
  const secret = req.query.client_secret;
  if (secret === undefined || secret === '') {
    throw invalidRequest(400, 'Missing required param: client_secret.', { code: 'parameter_missing',
      param: 'client_secret' });
  }
  if (secret !== entry.pi.client_secret) {
    throw invalidRequest(400, 'The client_secret provided does not match the client_secret associated with ' +
      'the PaymentIntent.', { param: 'client_secret' });
  }
  return Object.fromEntries(PUBLIC_INTENT_FIELDS.map((k) => [k, snapshot(entry.pi[k])]));
}

// Stripe's API takes a publishable key (Bearer, or `key=` as Stripe.js sends it) on these
// endpoints, and a secret key too. Anything else is a 401 in the mock's wording.
function publishableAuth(req, res, next) {
  const key = mockAuth.getAccessTokenFromRequest(req) || (req.body && req.body.key) || (req.query && req.query.key);
  if (typeof key === 'string' && /^pk_test_/.test(key)) {
    req.publishableKey = true;
    return next();
  }
  if (typeof key === 'string' && /^sk_test_/.test(key)) return next();
  return mockAuth.authRoute(req, res, next);
}

// api.stripe.com answers browsers from any origin (Stripe.js calls it from the merchant's page).
function cors(req, res, next) {
  if (!req.path.startsWith('/v1/')) return next();
  res.set('Access-Control-Allow-Origin', '*');
  if (req.method !== 'OPTIONS') return next();
  res.set('Access-Control-Allow-Methods', 'GET, POST, DELETE');
  res.set('Access-Control-Allow-Headers', 'Authorization, Content-Type, Idempotency-Key, Stripe-Account, Stripe-Version');
  res.set('Access-Control-Max-Age', '300');
  return res.status(204).end();
}

// The log keeps what a test needs (which card, which brand) but not a whole card number or CVC,
// as Stripe's own request logs do.
function redactCard(flatBody) {
  const out = { ...flatBody };
  if (typeof out['card[number]'] === 'string') {
    const digits = out['card[number]'].replace(/\D/g, '');
    out['card[number]'] = '*'.repeat(Math.max(0, digits.length - 4)) + digits.slice(-4);
  }
  if (out['card[cvc]'] !== undefined) out['card[cvc]'] = '***';
  return out;
}

// Endpoints only Stripe.js calls. till-server must never call them, and the OpenAPI subset (which
// describes what till-server sends) does not list them, so they are not checked against it.
const BROWSER_ENDPOINTS = new Set(['/v1/tokens', '/v1/payment_methods']);

// ---------------------------------------------------------------------------------------------
// Idempotency for the routes above, as Stripe documents it: a key replays the first result once
// the endpoint has started executing (declines and 500s included); a request that failed
// validation before that stores nothing; reusing a key with other parameters or on another
// endpoint is an idempotency_error. (The mock does the same for its own routes.) Stripe prunes keys
// once they are 24 hours old; POST /__standin/idempotency/expire plays that, here and in the mock.

const idempotency = new Map();

// The mock keeps its keys in a private AccountData instance (dist/api/idempotency.js). It is
// recognised by what it stores (a request: requestId, requestBody, responseCode) on its first put.
const mockIdempotencyStores = new Set();
const mockAccountDataPut = MockAccountData.prototype.put;
MockAccountData.prototype.put = function put(accountId, obj) {
  if (obj && typeof obj === 'object' && 'requestId' in obj && 'requestBody' in obj && 'responseCode' in obj) {
    mockIdempotencyStores.add(this);
  }
  return mockAccountDataPut.call(this, accountId, obj);
};

function expireIdempotencyKeys() {
  const standin = idempotency.size;
  idempotency.clear();
  let mockKeys = 0;
  for (const store of mockIdempotencyStores) {
    for (const account of Object.values(store.data)) mockKeys += Object.keys(account).length;
    store.data = {};
  }
  return { ok: true, expired: standin + mockKeys, standin, mock: mockKeys };
}

// ---------------------------------------------------------------------------------------------
// Faults (POST /__standin/faults): the next matching requests to the routes above fail as Stripe's
// do now and then. A 500 may come after the work was done (after_create) and is stored under the
// Idempotency-Key like any 500 (store), so every retry with that key is given the same 500.

function faultPattern(text) {
  const literal = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const prefix = text.endsWith('*');
  const body = prefix ? text.slice(0, -1) : text;
  return new RegExp(`^${body.split('*').map(literal).join('[^/]+')}${prefix ? '.*' : ''}$`);
}

function takeFault(method, reqPath) {
  const i = state.faults.findIndex((f) => f.method === method && f.pattern.test(reqPath));
  if (i < 0) return null;
  const fault = state.faults[i];
  fault.remaining--;
  if (fault.remaining <= 0) state.faults.splice(i, 1);
  return fault;
}

function faultBody(status) {
  if (status === 409) {
    return { error: { type: 'idempotency_error', code: 'idempotency_key_in_use',
      doc_url: docUrl('idempotency_key_in_use'),
      message: 'There is currently another in-progress request using this idempotent key. This often ' +
        'happens when you make two requests simultaneously. Please retry your request.' } };
  }
  if (status === 429) {
    return { error: { type: 'invalid_request_error', code: 'rate_limit', doc_url: docUrl('rate_limit'),
      message: 'Request rate limit exceeded. Learn more about rate limits here ' +
        'https://stripe.com/docs/rate-limits.' } };
  }
  return { error: { type: 'api_error', message: 'An unknown error occurred' } };
}

// `shows`: 'intent' if the route answers a PaymentIntent, 'list' if a list or search result of
// them; those answers follow the request's API version and expand[].
function stripeRoute(handler, { shows } = {}) {
  return (req, res) => {
    let account;
    try {
      account = getRequestAccountId(req); // throws for an unknown Stripe-Account header
    } catch (err) {
      return sendJson(res, err.statusCode || 500, { error: err.error || { type: 'api_error', message: err.message } });
    }
    const key = req.method === 'POST' ? req.get('Idempotency-Key') : undefined;
    const endpoint = `${req.method} ${req.path}`;
    const fingerprint = JSON.stringify(Object.entries(req.flatBody || {}).sort());
    const storeKey = `${account}\n${key}`;
    if (key !== undefined && idempotency.has(storeKey)) {
      const stored = idempotency.get(storeKey);
      const refuse = (why) => sendJson(res, 400, { error: { type: 'idempotency_error',
        message: `Keys for idempotent requests can only be used ${why}. ` +
          `Try using a key other than '${key}' if you meant to execute a different request.` } });
      if (stored.endpoint !== endpoint) {
        return refuse(`for the same endpoint they were first used for ('${stored.endpoint}' vs '${endpoint}')`);
      }
      if (stored.fingerprint !== fingerprint) return refuse('with the same parameters they were first used with');
      res.set(stored.headers).set('idempotent-replayed', 'true').set('Original-Request', stored.requestId);
      return res.status(stored.status).type('json').send(stored.body);
    }
    const ctx = { account, started: false, publishable: Boolean(req.publishableKey) };
    const version = req.stripeVersion || DEFAULT_API_VERSION;
    const fault = takeFault(req.method, req.path);
    let status = 200;
    let body;
    if (!fault || fault.after_create) {
      try {
        const expand = shows && !ctx.publishable ? intentExpand(req, shows) : [];
        body = handler(req, ctx);
        if (shows === 'intent') body = renderIntent(body, version, expand);
        if (shows === 'list') body = { ...body, data: body.data.map((pi) => renderIntent(pi, version, expand)) };
      } catch (err) {
        if (!(err instanceof RestError)) {
          console.error('stripe-standin: internal error:', err.stack);
          err = new RestError(500, { type: 'api_error', message: `stripe-standin internal error: ${err.message}` });
        }
        status = err.statusCode;
        body = { error: err.error };
        if (body.error.payment_intent) {
          body.error = { ...body.error, payment_intent: renderIntent(body.error.payment_intent, version) };
        }
      }
    }
    const headers = {};
    let store = ctx.started || status < 400 || status >= 500;
    if (fault) {
      status = fault.status;
      body = faultBody(fault.status);
      store = fault.store;
      if (fault.should_retry !== null) headers['Stripe-Should-Retry'] = fault.should_retry;
    }
    const json = JSON.stringify(body, null, 2);
    if (key !== undefined && store) {
      idempotency.set(storeKey, { endpoint, fingerprint, status, body: json, headers,
        requestId: res.get('Request-Id') });
    }
    return res.set(headers).status(status).type('json').send(json);
  };
}

function sendJson(res, status, body) {
  return res.status(status).type('json').send(JSON.stringify(body, null, 2));
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI check: every POST parameter's bracket path is walked through the request schema.

function loadSpec(file) {
  const spec = JSON.parse(fs.readFileSync(file, 'utf8'));
  const deref = (schema) => {
    while (schema && schema.$ref) {
      schema = schema.$ref.replace(/^#\//, '').split('/').reduce((node, part) => node && node[part], spec);
    }
    return schema || {};
  };
  const routes = [];
  for (const [template, ops] of Object.entries(spec.paths || {})) {
    const params = (template.match(/\{[^}]+\}/g) || []).length;
    const literal = (text) => text.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
    const pattern = new RegExp(`^${template.split(/\{[^}]+\}/).map(literal).join('[^/]+')}$`);
    routes.push({ template, pattern, params, ops });
  }
  // Literal paths win over templated ones, as in Stripe's router.
  routes.sort((a, b) => a.params - b.params);
  return { routes, deref };
}

function checkRequest(spec, method, reqPath, flatBody, idempotencyKey) {
  const violations = [];
  const add = (param, reason) => violations.push({ method, path: reqPath, param, reason });
  if (idempotencyKey !== undefined && idempotencyKey.length > 255) {
    add('Idempotency-Key', `header is ${idempotencyKey.length} characters; Stripe allows at most 255`);
  }
  const route = spec.routes.find((r) => r.pattern.test(reqPath));
  const op = route && route.ops[method.toLowerCase()];
  if (!op) {
    add(null, `endpoint not in the OpenAPI subset: ${method} ${reqPath}`);
    return violations;
  }
  const body = op.requestBody && op.requestBody.content;
  const content = body && body['application/x-www-form-urlencoded'];
  const root = spec.deref(content && content.schema);
  const alternatives = (schema) => {
    schema = spec.deref(schema);
    const alts = schema.anyOf || schema.oneOf;
    return alts ? alts.flatMap(alternatives) : [schema];
  };
  const children = (schemas, segment) => schemas.flatMap(alternatives).flatMap((alt) => {
    const props = alt.properties;
    if (props && Object.prototype.hasOwnProperty.call(props, segment)) return [props[segment]];
    if ((alt.type === 'array' || alt.items) && (segment === '' || /^\d+$/.test(segment))) return [alt.items || {}];
    if (alt.additionalProperties && segment !== '') {
      return [alt.additionalProperties === true ? {} : alt.additionalProperties];
    }
    return [];
  });

  for (const [param, values] of Object.entries(flatBody)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(param);
    if (!match) { add(param, 'malformed parameter name (Stripe nests with name[key])'); continue; }
    const segments = [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1])];
    let schemas = [root];
    let failedAt = -1;
    for (let i = 0; i < segments.length && failedAt < 0; i++) {
      schemas = children(schemas, segments[i]);
      if (schemas.length === 0) failedAt = i;
    }
    if (failedAt === 0) { add(param, `unknown parameter '${segments[0]}' for ${method} ${route.template}`); continue; }
    if (failedAt > 0) {
      const parent = segments[0] + segments.slice(1, failedAt).map((s) => `[${s}]`).join('');
      add(param, `'${segments[failedAt]}' is not accepted inside ${parent}`);
      continue;
    }
    for (const value of [].concat(values)) {
      const problem = valueProblem(schemas.flatMap(alternatives), value);
      if (problem) add(param, problem);
    }
  }
  checkMetadata(flatBody, add);
  return violations;
}

// A value passes if any schema alternative accepts it; otherwise report why each refused.
function valueProblem(alternatives, value) {
  const problems = [];
  for (const alt of alternatives) {
    let problem = null;
    if (alt.type === 'object' || alt.type === 'array' || alt.properties) {
      const kind = alt.type === 'array' ? 'an array' : 'an object';
      problem = `expects ${kind} (bracketed keys), got the plain value '${value}'`;
    } else if (alt.enum && !alt.enum.includes(value)) {
      problem = `'${value}' is not one of ${alt.enum.map((v) => `'${v}'`).join(', ')}`;
    } else if (typeof alt.maxLength === 'number' && value.length > alt.maxLength) {
      problem = `value is ${value.length} characters, more than maxLength ${alt.maxLength}`;
    } else if (alt.type === 'integer' && !/^-?\d+$/.test(value)) {
      problem = `'${value}' is not an integer`;
    } else if (alt.type === 'number' && !/^-?\d+(\.\d+)?$/.test(value)) {
      problem = `'${value}' is not a number`;
    } else if (alt.type === 'boolean' && value !== 'true' && value !== 'false') {
      problem = `'${value}' is not a boolean (true or false)`;
    }
    if (!problem) return null;
    if (!problems.includes(problem)) problems.push(problem);
  }
  return problems.join('; or ');
}

// Stripe's documented metadata limits, which the schema does not express.
function checkMetadata(flatBody, add) {
  const keys = Object.keys(flatBody).filter((k) => /^metadata\[[^[\]]*\]$/.test(k));
  if (keys.length > 50) add('metadata', `${keys.length} keys; Stripe allows at most 50`);
  for (const k of keys) {
    const name = k.slice('metadata['.length, -1);
    if (name.length > 40) add(k, `metadata key is ${name.length} characters; Stripe allows at most 40`);
    for (const v of [].concat(flatBody[k])) {
      if (v.length > 500) add(k, `metadata value is ${v.length} characters; Stripe allows at most 500`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Request log

const state = {
  baseUrl: '', log: [], violations: [], seq: 0, hold: { count: 0, ms: 0 },
  // The controls of rare behaviours (see controlRouter).
  faults: [], nextRefunds: { pending: 0 }, nextIntents: { processing: 0 },
};

// Flat form keys -> values, as sent on the wire (a repeated key gives an array).
function flatForm(text) {
  const out = new Map();
  for (const [k, v] of new URLSearchParams(text || '')) {
    out.set(k, out.has(k) ? [].concat(out.get(k), v) : v);
  }
  return Object.fromEntries(out);
}

function logRequests(spec) {
  return (req, res, next) => {
    if (req.path !== '/v1' && !req.path.startsWith('/v1/')) return next();
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    req.flatBody = flatForm(req.rawBody);
    const browserEndpoint = BROWSER_ENDPOINTS.has(req.path);
    const idempotencyKey = req.get('Idempotency-Key');
    const stripeVersion = req.get('Stripe-Version');
    const entry = {
      seq: ++state.seq,
      time: new Date().toISOString(),
      method: req.method,
      path: req.path,
      query: flatForm(query),
      body: browserEndpoint ? redactCard(req.flatBody) : req.flatBody,
      idempotency_key: idempotencyKey === undefined ? null : idempotencyKey,
      authorization: req.get('Authorization') !== undefined,
      stripe_version: stripeVersion === undefined ? null : stripeVersion,
      request_id: null,
      status: null,
      idempotent_replayed: false,
    };
    state.log.push(entry);
    // A held answer stands in for Stripe having done the work while the caller never heard back
    // (a crash or a dropped connection on the caller's side): the effect is made at once, the
    // response leaves only after the hold.
    if (req.method === 'POST' && state.hold.count > 0) {
      state.hold.count--;
      const { ms } = state.hold;
      const end = res.end;
      res.end = function (...args) {
        setTimeout(() => end.apply(this, args), ms);
        return this;
      };
    }
    if (req.method === 'POST' && !browserEndpoint) {
      state.violations.push(...checkRequest(spec, req.method, req.path, req.flatBody, idempotencyKey));
    }
    // Recorded when the head is written, so the entry is complete before the client sees it.
    const writeHead = res.writeHead;
    res.writeHead = function (...args) {
      entry.idempotent_replayed = String(res.getHeader('idempotent-replayed')) === 'true';
      // The mock sets its own Request-Id on requests with an Idempotency-Key.
      entry.request_id = res.getHeader('Request-Id') === undefined ? null : String(res.getHeader('Request-Id'));
      // The mock replays its stored JSON as a string, which express labels text/html; Stripe
      // always answers application/json, and clients may check.
      if (/^text\/html/.test(String(res.getHeader('Content-Type')))) {
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
      }
      const result = writeHead.apply(this, args);
      entry.status = res.statusCode;
      return result;
    };
    // Stripe answers a version it does not know with a 400 before anything else.
    if (stripeVersion !== undefined && !validApiVersion(stripeVersion)) {
      res.removeHeader('Stripe-Version');
      return sendJson(res, 400, { error: { type: 'invalid_request_error',
        message: `Invalid Stripe API version: ${stripeVersion}` } });
    }
    req.stripeVersion = stripeVersion === undefined ? DEFAULT_API_VERSION : stripeVersion;
    next();
  };
}

// Every /v1 answer carries a Request-Id (req_ + 14 characters) and the API version it was made
// with, as api.stripe.com's do.
function requestIds(req, res, next) {
  if (req.path === '/v1' || req.path.startsWith('/v1/')) {
    res.set('Request-Id', randomId('req_', 14));
    res.set('Stripe-Version', req.get('Stripe-Version') || DEFAULT_API_VERSION);
  }
  next();
}

// ---------------------------------------------------------------------------------------------
// Webhooks: events in Stripe's shape (docs.stripe.com/api/events/object), delivered to the
// endpoints a test registers, signed as Stripe signs them (docs.stripe.com/webhooks#verify-manually):
//   Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256, key = the endpoint's secret, over "<t>.<body>">
// Events are made only by the control endpoints below (a test decides what Stripe "did"); the /v1
// API emits none by itself. Each delivery is one attempt: Stripe's retries are a test's resend.

const WEBHOOK_USER_AGENT = 'Stripe/1.0 (+https://stripe.com/docs/webhooks)';
const WEBHOOK_TIMEOUT_MS = 10000;
const WEBHOOK_BODY_KEEP = 2000;
const DEFAULT_ACCOUNT = 'acct_default';

// endpoints: [{url, secret, api_version}]; events: [{event (at 2020-08-27), bodies (api_version -> the
// exact JSON sent to endpoints of that version), render, deliveries}], oldest first.
const webhooks = { endpoints: [], events: [], byId: new Map() };

// Loopback http only: the stand-in must not post anywhere else.
function loopbackUrl(text) {
  let url;
  try {
    url = new URL(String(text));
  } catch (err) {
    return null;
  }
  const host = url.hostname;
  const loopback = host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  return url.protocol === 'http:' && loopback && !url.username && !url.password ? url : null;
}

function signatureHeader(secret, body, t = now()) {
  const v1 = crypto.createHmac('sha256', secret).update(`${t}.${body}`, 'utf8').digest('hex');
  return `t=${t},v1=${v1}`;
}

// One POST of the event's body to one endpoint; resolves (never rejects) to the delivery record.
function deliver(endpoint, body) {
  return new Promise((resolve) => {
    const record = { url: endpoint.url, status: null, error: null, body: null };
    const url = loopbackUrl(endpoint.url);
    if (!url) {
      record.error = `refused: ${endpoint.url} is not an http URL on loopback`;
      resolve(record);
      return;
    }
    const payload = Buffer.from(body, 'utf8');
    let settled = false;
    const finish = () => {
      if (!settled) {
        settled = true;
        resolve(record);
      }
    };
    const req = http.request(url, {
      method: 'POST',
      agent: false,
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': payload.length,
        'User-Agent': WEBHOOK_USER_AGENT,
        'Stripe-Signature': signatureHeader(endpoint.secret, body),
      },
    }, (res) => {
      record.status = res.statusCode;
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        record.body = Buffer.concat(chunks).toString('utf8').slice(0, WEBHOOK_BODY_KEEP);
        finish();
      });
      res.on('error', (err) => {
        record.error = err.message;
        record.body = Buffer.concat(chunks).toString('utf8').slice(0, WEBHOOK_BODY_KEEP);
        finish();
      });
    });
    req.setTimeout(WEBHOOK_TIMEOUT_MS, () => {
      req.destroy(new Error(`timed out after ${WEBHOOK_TIMEOUT_MS / 1000} s`));
    });
    req.on('error', (err) => {
      record.error = err.message || String(err);
      finish();
    });
    req.end(payload);
  });
}

// The event as an endpoint on `version` is sent it: the envelope's api_version is that version, and
// an object the stand-in made (not one a test gave) has that version's shape. Made once per
// version, so that a resend sends the same bytes.
function eventAt(stored, version) {
  if (version === DEFAULT_API_VERSION) return stored.event;
  const object = stored.event.data.object;
  return { ...stored.event, api_version: version,
    data: { ...stored.event.data, object: stored.render ? renderEventObject(object, version) : object } };
}

function eventBody(stored, version) {
  if (!stored.bodies.has(version)) stored.bodies.set(version, JSON.stringify(eventAt(stored, version), null, 2));
  return stored.bodies.get(version);
}

// Delivers the stored event to every endpoint registered now; the records are kept on the event.
async function deliverEvent(stored) {
  const deliveries = await Promise.all(webhooks.endpoints.map((endpoint) =>
    deliver(endpoint, eventBody(stored, endpoint.api_version))));
  stored.deliveries.push(...deliveries);
  return deliveries;
}

// `render`: the object is one the stand-in made (a PaymentIntent or a charge is then shown at each
// endpoint's API version); a test's own object is sent as given.
function createEvent(type, object, { render = true } = {}) {
  const event = {
    id: randomId('evt_'),
    object: 'event',
    api_version: DEFAULT_API_VERSION,
    created: now(),
    data: { object: snapshot(object) },
    livemode: false,
    pending_webhooks: webhooks.endpoints.length,
    request: { id: null, idempotency_key: null },
    type,
  };
  const stored = { event, bodies: new Map(), render, deliveries: [] };
  webhooks.events.push(stored);
  webhooks.byId.set(event.id, stored);
  return stored;
}

async function emitEvent(type, object, options) {
  const stored = createEvent(type, object, options);
  const deliveries = await deliverEvent(stored);
  return { event: stored.event, deliveries };
}

// Several events, each delivered only after the one before has been (a receiver sees them in order).
async function emitEvents(list) {
  const stored = list.map(([type, object]) => createEvent(type, object));
  const deliveries = [];
  for (const one of stored) deliveries.push(...await deliverEvent(one));
  return { events: stored.map((one) => one.event.id), deliveries };
}

// A charge as an event carries it at API version 2020-08-27, where its refunds list has total_count
// (later versions leave the list out: renderEventObject).
function chargeForEvent(charge) {
  const out = snapshot(charge);
  if (out.refunds && Array.isArray(out.refunds.data)) out.refunds.total_count = out.refunds.data.length;
  return out;
}

function findIntentByCharge(chargeId) {
  for (const entry of intents.values()) {
    if (entry.pi.charges.data.some((c) => c.id === chargeId)) return entry;
  }
  return null;
}

// The charge a Dashboard action names: by payment_intent (its successful charge) or by charge.
function dashboardCharge(params) {
  const piId = params.payment_intent;
  const chargeId = params.charge;
  if ((piId === undefined || piId === '') && (chargeId === undefined || chargeId === '')) {
    throw invalidRequest(400, 'Missing required param: payment_intent or charge.',
      { code: 'parameter_missing', param: 'payment_intent' });
  }
  if (piId !== undefined && piId !== '') {
    const entry = findIntent(String(piId), undefined, 'payment_intent');
    const paid = entry.pi.charges.data.find((c) => c.status === 'succeeded');
    if (!paid) {
      throw invalidRequest(400, `This PaymentIntent (${entry.pi.id}) does not have a successful charge.`,
        { param: 'payment_intent' });
    }
    if (chargeId !== undefined && chargeId !== '' && String(chargeId) !== paid.id) {
      throw invalidRequest(400, `Charge ${chargeId} does not belong to PaymentIntent ${entry.pi.id}.`,
        { param: 'charge' });
    }
    return { charge: paid, entry, account: entry.account };
  }
  const entry = findIntentByCharge(String(chargeId));
  const account = entry ? entry.account : DEFAULT_ACCOUNT;
  let charge;
  try {
    charge = mockCharges.retrieve(account, String(chargeId), 'charge');
  } catch (err) {
    if (!(err instanceof RestError)) throw err;
    // Stripe answers an unknown id in a request body with a 400.
    throw invalidRequest(400, `No such charge: '${chargeId}'`, { code: 'resource_missing', param: 'charge' });
  }
  return { charge, entry, account };
}

// A refund made in Stripe's Dashboard: through the same code as POST /v1/refunds, then
// refund.created and charge.refunded.
async function dashboardRefund(params) {
  const { charge, entry, account } = dashboardCharge(params);
  const form = {};
  if (params.amount !== undefined && params.amount !== null && params.amount !== '') form.amount = String(params.amount);
  if (params.reason !== undefined && params.reason !== null && params.reason !== '') form.reason = String(params.reason);
  if (params.metadata && typeof params.metadata === 'object') form.metadata = params.metadata;
  let refund;
  if (entry) {
    refund = refundPaymentIntent({ body: { ...form, payment_intent: entry.pi.id, charge: charge.id } },
      { account, started: false });
  } else {
    // A charge made with /v1/charges: the mock's refund, behind the same checks as mockCurrencyRules.
    if (form.reason !== undefined && !REFUND_REASONS.includes(form.reason)) {
      throw invalidRequest(400, `Invalid reason: must be one of ${REFUND_REASONS.join(', ')}`, { param: 'reason' });
    }
    const amount = parsePositiveInteger(form.amount, 'amount', { required: false });
    const remaining = charge.amount - charge.amount_refunded;
    // The mock words this refusal without a code; worded here as refundPaymentIntent does.
    if (amount !== undefined && remaining > 0 && amount > remaining) {
      throw invalidRequest(400, `Refund amount (${formatAmount(amount, charge.currency)}) is greater than ` +
        `unrefunded amount on charge (${formatAmount(remaining, charge.currency)})`,
      { code: 'amount_too_large', param: 'amount' });
    }
    checkCurrencyAmount(amount === undefined ? remaining : amount, charge.currency, 'amount');
    refund = mockRefunds.create(account, { ...form, charge: charge.id });
  }
  const refundEvent = createEvent('refund.created', refund);
  const chargeEvent = createEvent('charge.refunded', chargeForEvent(charge));
  // In order, so that a receiver sees refund.created before charge.refunded.
  const deliveries = [...await deliverEvent(refundEvent), ...await deliverEvent(chargeEvent)];
  return { refund: snapshot(refund), events: [refundEvent.event.id, chargeEvent.event.id], deliveries };
}

// Disputes made here, by id: { dispute, account }. The mock's own dispute lookup (GET /v1/disputes/:id
// and its refusal to refund a disputed charge) is taught to find them.
const standinDisputes = new Map();
const mockDisputeRetrieve = mockDisputes.retrieve;
mockDisputes.retrieve = function retrieve(accountId, disputeId, paramName) {
  const known = standinDisputes.get(disputeId);
  if (known && known.account === accountId) return known.dispute;
  return mockDisputeRetrieve.call(this, accountId, disputeId, paramName);
};

const DISPUTE_REASONS = ['bank_cannot_process', 'check_returned', 'credit_not_processed', 'customer_initiated',
  'debit_not_authorized', 'duplicate', 'fraudulent', 'general', 'incorrect_account_details', 'insufficient_funds',
  'product_not_received', 'product_unacceptable', 'subscription_canceled', 'unrecognized'];

async function dashboardDispute(params) {
  const { charge, account } = dashboardCharge(params);
  const reason = params.reason === undefined || params.reason === null || params.reason === ''
    ? 'fraudulent' : String(params.reason);
  if (!DISPUTE_REASONS.includes(reason)) {
    throw invalidRequest(400, `Invalid reason: must be one of ${DISPUTE_REASONS.join(', ')}`, { param: 'reason' });
  }
  if (charge.status !== 'succeeded') {
    throw invalidRequest(400, `Charge ${charge.id} did not succeed; there is nothing to dispute.`, { param: 'charge' });
  }
  if (charge.dispute) {
    throw invalidRequest(400, `Charge ${charge.id} already has a dispute (${charge.dispute}).`, { param: 'charge' });
  }
  const dispute = {
    id: randomId('dp_'),
    object: 'dispute',
    amount: charge.amount,
    currency: charge.currency,
    charge: charge.id,
    payment_intent: charge.payment_intent || null,
    reason,
    status: 'needs_response',
    created: now(),
    livemode: false,
    is_charge_refundable: false,
    metadata: {},
    balance_transactions: [],
  };
  standinDisputes.set(dispute.id, { dispute, account });
  charge.dispute = dispute.id;
  charge.disputed = true;
  const { event, deliveries } = await emitEvent('charge.dispute.created', dispute);
  return { dispute: snapshot(dispute), event, deliveries };
}

function eventSummary(stored) {
  const { event } = stored;
  const object = event.data.object;
  return { id: event.id, type: event.type, created: event.created,
    data_object_id: object && typeof object === 'object' && object.id !== undefined ? object.id : null,
    deliveries: stored.deliveries };
}

// A control endpoint's handler, (body, req) -> answer or a promise of it. Express 4 does not catch
// rejected promises: errors are answered here, in Stripe's shape.
function controlRoute(handler) {
  return (req, res) => {
    Promise.resolve().then(() => handler(req.body || {}, req)).then((body) => sendJson(res, 200, body), (err) => {
      if (!(err instanceof RestError)) {
        console.error('stripe-standin: internal error:', err.stack);
        err = new RestError(500, { type: 'api_error', message: `stripe-standin internal error: ${err.message}` });
      }
      sendJson(res, err.statusCode, { error: err.error });
    });
  };
}

function webhookRoutes(router) {
  const route = controlRoute;
  const missing = (param) => invalidRequest(400, `Missing required param: ${param}.`,
    { code: 'parameter_missing', param });
  const noSuchEvent = (id) => invalidRequest(404, `No such event: '${id}'`, { code: 'resource_missing', param: 'id' });

  router.post('/webhook_endpoints', route((body) => {
    if (body.url === undefined || body.url === '') throw missing('url');
    if (!loopbackUrl(body.url)) {
      throw invalidRequest(400, `Invalid URL: ${body.url}. The stand-in delivers only to http URLs on loopback ` +
        '(127.0.0.1, localhost, [::1]).', { code: 'url_invalid', param: 'url' });
    }
    if (typeof body.secret !== 'string' || body.secret === '') throw missing('secret');
    const version = body.api_version === undefined || body.api_version === null || body.api_version === ''
      ? DEFAULT_API_VERSION : String(body.api_version);
    if (!validApiVersion(version)) {
      throw invalidRequest(400, `Invalid API version: ${version}. Give a date (2022-11-15), optionally with ` +
        'its release name (2025-03-31.basil).', { param: 'api_version' });
    }
    webhooks.endpoints.push({ url: String(body.url), secret: body.secret, api_version: version });
    return { ok: true };
  }));
  router.get('/webhook_endpoints', route(() => webhooks.endpoints.map((e) =>
    ({ url: e.url, secret: e.secret, api_version: e.api_version }))));
  router.delete('/webhook_endpoints', route(() => {
    webhooks.endpoints = [];
    return { ok: true };
  }));

  router.get('/events', route(() => webhooks.events.map(eventSummary)));
  router.get('/events/:id', route((body, req) => {
    const stored = webhooks.byId.get(req.params.id);
    if (!stored) throw noSuchEvent(req.params.id);
    const version = req.query.api_version ? String(req.query.api_version) : DEFAULT_API_VERSION;
    if (!validApiVersion(version)) {
      throw invalidRequest(400, `Invalid API version: ${version}`, { param: 'api_version' });
    }
    return { ...eventAt(stored, version), deliveries: stored.deliveries };
  }));
  router.post('/events/:id/resend', route(async (body, req) => {
    const stored = webhooks.byId.get(req.params.id);
    if (!stored) throw noSuchEvent(req.params.id);
    return { deliveries: await deliverEvent(stored) };
  }));
  router.post('/events', route((body) => {
    if (typeof body.type !== 'string' || body.type === '') throw missing('type');
    if (body.payment_intent !== undefined && body.payment_intent !== '') {
      return emitEvent(body.type, findIntent(String(body.payment_intent), undefined, 'payment_intent').pi);
    }
    if (!body.object || typeof body.object !== 'object' || Array.isArray(body.object)) {
      throw invalidRequest(400, 'Give either payment_intent (an id) or object (the event\'s data.object, a JSON ' +
        'object).', { code: 'parameter_missing', param: 'object' });
    }
    return emitEvent(body.type, body.object, { render: false });
  }));

  router.post('/dashboard/refunds', route((body) => dashboardRefund(body)));
  router.post('/dashboard/disputes', route((body) => dashboardDispute(body)));
}

// ---------------------------------------------------------------------------------------------
// Rare behaviours, on a test's request: faults, idempotency keys that expire, refunds that stay
// pending and then succeed or fail, PaymentIntents left processing, and a second 3-D Secure request.

// Booleans arrive as JSON booleans or, in a form, as the words.
function controlBoolean(value, param, fallback) {
  if (value === undefined || value === null || value === '') return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw invalidRequest(400, `Invalid boolean: ${value}`, { param });
}

function controlCount(value) {
  if (value === undefined || value === null || value === '') return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw invalidRequest(400, `Invalid count: ${value} (a whole number 1-1000)`, { param: 'count' });
  }
  return n;
}

const FAULT_STATUSES = [500, 409, 429];

function addFault(body) {
  const method = String(body.method || 'POST').toUpperCase();
  if (!['GET', 'POST', 'DELETE'].includes(method)) {
    throw invalidRequest(400, `Invalid method: ${body.method} (GET, POST or DELETE)`, { param: 'method' });
  }
  const faultPath = body.path === undefined ? '' : String(body.path);
  if (!faultPath.startsWith('/v1/')) {
    throw invalidRequest(400, `Invalid path: '${faultPath}'. Give a /v1/ path (exact, with * for one path segment, ` +
      'or ending in * for a prefix).', { param: 'path' });
  }
  const status = Number(body.status);
  if (!FAULT_STATUSES.includes(status)) {
    throw invalidRequest(400, `Invalid status: ${body.status} (one of ${FAULT_STATUSES.join(', ')})`,
      { param: 'status' });
  }
  let shouldRetry = body.should_retry;
  if (shouldRetry === undefined) shouldRetry = status === 409 ? 'true' : null; // Stripe's own for a 409
  else if (shouldRetry === true || shouldRetry === false) shouldRetry = String(shouldRetry);
  if (shouldRetry !== null && shouldRetry !== 'true' && shouldRetry !== 'false') {
    throw invalidRequest(400, `Invalid should_retry: ${shouldRetry} ('true', 'false' or null)`,
      { param: 'should_retry' });
  }
  const fault = {
    method,
    path: faultPath,
    status,
    count: controlCount(body.count),
    // Stripe stores a 500 under the key (the endpoint had started), never a 409 or 429.
    store: controlBoolean(body.store, 'store', status === 500),
    should_retry: shouldRetry,
    after_create: controlBoolean(body.after_create, 'after_create', false),
  };
  state.faults.push({ ...fault, remaining: fault.count, pattern: faultPattern(faultPath) });
  return fault;
}

const listFaults = () => state.faults.map(({ pattern, ...f }) => f);

const REFUND_FAILURE_REASONS = ['charge_for_pending_refund_disputed', 'declined', 'expired_or_canceled_card',
  'insufficient_funds', 'lost_or_stolen_card', 'merchant_request', 'unknown'];

// A pending refund settles (or a succeeded one fails, which Stripe documents as possible): when it
// fails or is canceled, its amount is no longer refunded on the charge. Then refund.updated and
// charge.refund.updated, both with the refund as data.object.
async function settleRefund(id, body) {
  const account = refundAccounts.get(id) || DEFAULT_ACCOUNT;
  let refund;
  try {
    refund = mockRefunds.retrieve(account, id, 'refund');
  } catch (err) {
    if (!(err instanceof RestError)) throw err;
    throw invalidRequest(404, `No such refund: '${id}'`, { code: 'resource_missing', param: 'id' });
  }
  const status = body.status;
  if (!['succeeded', 'failed', 'canceled'].includes(status)) {
    throw invalidRequest(400, `Invalid status: ${status} (succeeded, failed or canceled)`, { param: 'status' });
  }
  if (!(refund.status === 'pending' || (refund.status === 'succeeded' && status === 'failed'))) {
    throw invalidRequest(400, `Refund ${id} has status ${refund.status}; a pending refund can become succeeded, ` +
      'failed or canceled, and a succeeded one failed.', { param: 'status' });
  }
  let reason = null;
  if (status === 'failed') {
    reason = body.failure_reason === undefined || body.failure_reason === null || body.failure_reason === ''
      ? 'unknown' : String(body.failure_reason);
    if (!REFUND_FAILURE_REASONS.includes(reason)) {
      throw invalidRequest(400, `Invalid failure_reason: must be one of ${REFUND_FAILURE_REASONS.join(', ')}`,
        { param: 'failure_reason' });
    }
  } else if (body.failure_reason !== undefined && body.failure_reason !== null && body.failure_reason !== '') {
    throw invalidRequest(400, 'failure_reason goes only with status failed', { param: 'failure_reason' });
  }
  refund.status = status;
  if (status === 'failed') {
    refund.failure_reason = reason;
    // The balance transaction that gives the refunded amount back to the account.
    refund.failure_balance_transaction = randomId('txn_');
  }
  if (status !== 'succeeded') {
    const refunded = mockCharges.retrieve(account, refund.charge, 'charge');
    refunded.amount_refunded = Math.max(0, refunded.amount_refunded - refund.amount);
    refunded.refunded = refunded.amount_refunded === refunded.amount;
  }
  const emitted = await emitEvents([['refund.updated', refund], ['charge.refund.updated', refund]]);
  return { refund: snapshot(refund), ...emitted };
}

// A processing PaymentIntent hears from the bank: `succeeded` charges the card (its own outcome:
// a decline card still declines), `failed` is a generic card_declined with a failed charge.
async function settleIntent(id, body) {
  const entry = findIntent(id, undefined, 'intent');
  if (body.outcome !== 'succeeded' && body.outcome !== 'failed') {
    throw invalidRequest(400, `Invalid outcome: ${body.outcome} (succeeded or failed)`, { param: 'outcome' });
  }
  if (entry.pi.status !== 'processing') {
    throw unexpectedState(entry, `PaymentIntent ${id} has status ${entry.pi.status}, not processing.`);
  }
  try {
    if (body.outcome === 'succeeded') charge(entry);
    else charge(entry, 'tok_chargeDeclined');
  } catch (err) {
    if (!(err instanceof RestError)) throw err;
  }
  const type = entry.pi.status === 'succeeded' ? 'payment_intent.succeeded' : 'payment_intent.payment_failed';
  const { event, deliveries } = await emitEvent(type, entry.pi);
  return { payment_intent: snapshot(entry.pi), event, deliveries };
}

function requireActionAgain(id) {
  const entry = findIntent(id, undefined, 'intent');
  if (['succeeded', 'canceled', 'processing'].includes(entry.pi.status)) {
    throw unexpectedState(entry, `PaymentIntent ${id} has status ${entry.pi.status}; its bank cannot ask for ` +
      'authentication any more.');
  }
  entry.actionAgain = 1;
  return snapshot(entry.pi);
}

function rareRoutes(router) {
  const route = controlRoute;
  router.post('/idempotency/expire', route(() => expireIdempotencyKeys()));

  router.post('/faults', route((body) => ({ ok: true, fault: addFault(body) })));
  router.get('/faults', route(() => listFaults()));
  router.delete('/faults', route(() => {
    state.faults = [];
    return { ok: true };
  }));

  router.post('/refunds/next', route((body) => {
    if (body.status !== 'pending' && body.status !== 'succeeded') {
      throw invalidRequest(400, `Invalid status: ${body.status} (pending, or succeeded to undo)`, { param: 'status' });
    }
    state.nextRefunds.pending = body.status === 'pending' ? controlCount(body.count) : 0;
    return { ok: true, pending: state.nextRefunds.pending };
  }));
  router.post('/refunds/:id/settle', route((body, req) => settleRefund(req.params.id, body)));

  router.post('/payment_intents/next', route((body) => {
    if (!['processing', null, ''].includes(body.status)) {
      throw invalidRequest(400, `Invalid status: ${body.status} (processing, or null to undo)`, { param: 'status' });
    }
    state.nextIntents.processing = body.status === 'processing' ? controlCount(body.count) : 0;
    return { ok: true, processing: state.nextIntents.processing };
  }));
  router.post('/payment_intents/:id/settle', route((body, req) => settleIntent(req.params.id, body)));
  router.post('/payment_intents/:id/require_action_again', route((body, req) => requireActionAgain(req.params.id)));
}

// ---------------------------------------------------------------------------------------------
// Control endpoints (no auth, not under /v1)

function controlRouter() {
  const router = express.Router();
  router.use(express.json(), express.urlencoded({ extended: false }));
  router.get('/requests', (req, res) => res.json(state.log));
  router.get('/violations', (req, res) => res.json(state.violations));
  router.get('/health', (req, res) => res.json({ ok: true }));
  // Holds back the answers to the next `count` POSTs under /v1 for `ms` milliseconds each.
  router.post('/hold', (req, res) => {
    const count = Number(req.body && req.body.count);
    const ms = Number(req.body && req.body.ms);
    if (!Number.isInteger(count) || count < 0 || !Number.isInteger(ms) || ms < 0 || ms > 60000) {
      return sendJson(res, 400, { error: { type: 'invalid_request_error',
        message: 'count and ms must be whole numbers (ms at most 60000)' } });
    }
    state.hold = { count, ms };
    res.json({ ok: true });
  });
  router.post('/reset', (req, res) => {
    state.log = [];
    state.violations = [];
    res.json({ ok: true });
  });
  // Plays the customer's side of a 3-D Secure challenge (what Stripe.js handleCardAction waits for).
  router.post('/payment_intents/:id/authenticate', (req, res) => {
    const entry = intents.get(req.params.id);
    if (!entry) {
      return sendJson(res, 404, { error: { type: 'invalid_request_error', code: 'resource_missing',
        message: `No such payment_intent: '${req.params.id}'` } });
    }
    const result = req.body && req.body.result;
    if (result !== 'succeed' && result !== 'fail') {
      return sendJson(res, 400, { error: { type: 'invalid_request_error', param: 'result',
        message: "result must be 'succeed' or 'fail'" } });
    }
    const { pi } = entry;
    if (pi.status !== 'requires_action') {
      return sendJson(res, 400, { error: { type: 'invalid_request_error', code: 'payment_intent_unexpected_state',
        message: `PaymentIntent ${pi.id} has status ${pi.status}, not requires_action`, payment_intent: pi } });
    }
    pi.next_action = null;
    if (result === 'fail') {
      pi.status = 'requires_payment_method';
      pi.last_payment_error = {
        type: 'card_error',
        code: 'payment_intent_authentication_failure',
        doc_url: docUrl('payment_intent_authentication_failure'),
        message: 'We are unable to authenticate your payment method. ' +
          'Please choose a different payment method and try again.',
        payment_method: entry.pm.pm,
      };
    } else {
      entry.authenticated = true;
      pi.status = 'requires_confirmation';
      // With automatic confirmation Stripe confirms by itself once the customer has authenticated;
      // with manual confirmation the server has to confirm again.
      if (pi.confirmation_method === 'automatic') {
        try { attempt(entry, { offSession: false, errorOnRequiresAction: false }); } catch (err) {
          if (!(err instanceof RestError)) throw err;
        }
      }
    }
    return sendJson(res, 200, pi);
  });
  // The card frame and the 3-D Secure challenge of the Stripe.js stand-in (stripe-js/), served from
  // this origin so that, as with js.stripe.com, card data never enters the host page.
  router.get('/elements/card.html', staticFile('card.html'));
  router.get('/elements/card-frame.js', staticFile('card-frame.js'));
  router.get('/three_d_secure.html', staticFile('three_d_secure.html'));
  router.get('/three_d_secure.js', staticFile('three_d_secure.js'));
  // Webhook endpoints, events and what a Stripe Dashboard user does (see "Webhooks" above).
  webhookRoutes(router);
  // What Stripe does rarely (see "Rare behaviours" in README.md).
  rareRoutes(router);
  router.use((req, res) => sendJson(res, 404, { error: { type: 'invalid_request_error',
    message: `No such control endpoint: ${req.method} ${req.originalUrl}` } }));
  return router;
}

// ---------------------------------------------------------------------------------------------

// The mock's charges at the request's API version: since 2022-11-15 a Charge shows `refunds` only
// when asked for (expand[]=refunds; in a list, expand[]=data.refunds).
function chargeVersions(req, res, next) {
  const version = req.stripeVersion || DEFAULT_API_VERSION;
  if (!withoutSublists(version)) return next();
  const paths = expandPaths(req.method === 'POST' ? req.body.expand : req.query.expand);
  const json = res.json;
  res.json = function (body) {
    if (body && body.object === 'charge') {
      body = renderCharge(body, version, paths.includes('refunds'));
    } else if (body && body.object === 'list' && Array.isArray(body.data)) {
      body = { ...body, data: body.data.map((c) => (c && c.object === 'charge'
        ? renderCharge(c, version, paths.includes('data.refunds')) : c)) };
    }
    return json.call(this, body);
  };
  return next();
}

function staticFile(name) {
  const file = path.join(__dirname, 'stripe-js', name);
  return (req, res) => res.sendFile(file, { headers: { 'Cache-Control': 'no-store' } });
}

function createApp(spec) {
  const app = express();
  app.set('etag', false);
  app.use(requestIds);
  app.use(cors);
  // The Stripe.js stand-in, where js.stripe.com serves Stripe.js.
  app.get(['/v3', '/v3/'], (req, res) => res.type('application/javascript; charset=utf-8')
    .set('Cache-Control', 'no-store').sendFile(path.join(__dirname, 'stripe-js', 'stripe.js')));
  app.use('/__standin', controlRouter());
  // Parsed here (the mock's own parser then skips the body) so the log sees the raw form keys.
  app.use(express.urlencoded({ extended: true, verify: (req, res, buf) => { req.rawBody = buf.toString('utf8'); } }));
  app.use(logRequests(spec));

  const auth = mockAuth.authRoute;
  const intent = { shows: 'intent' };
  const intentList = { shows: 'list' };
  app.post('/v1/payment_intents', auth, stripeRoute(createPaymentIntent, intent));
  app.get('/v1/payment_intents', auth, stripeRoute(listPaymentIntents, intentList));
  app.get('/v1/payment_intents/search', auth, stripeRoute(searchPaymentIntents, intentList));
  app.get('/v1/payment_intents/:intent', publishableAuth, stripeRoute(retrievePaymentIntent, intent));
  app.post('/v1/tokens', publishableAuth, stripeRoute(createToken));
  app.post('/v1/payment_methods', publishableAuth, stripeRoute(createCardPaymentMethod));
  app.post('/v1/payment_intents/:intent/confirm', auth, stripeRoute(confirmPaymentIntent, intent));
  app.post('/v1/payment_intents/:intent/cancel', auth, stripeRoute(cancelPaymentIntent, intent));
  // Refunds by charge stay the mock's.
  const byPaymentIntent = (req, res, next) => next(req.body.payment_intent !== undefined ? undefined : 'route');
  app.post('/v1/refunds', byPaymentIntent, auth, stripeRoute(refundPaymentIntent));
  const listByPaymentIntent = (req, res, next) => next(req.query.payment_intent !== undefined ? undefined : 'route');
  app.get('/v1/refunds', listByPaymentIntent, auth, stripeRoute(listRefundsOfIntent));
  app.post(['/v1/charges', '/v1/refunds'], auth, mockCurrencyRules);
  app.use('/v1/charges', chargeVersions);

  app.use(mock.createExpressApp());
  app.use((err, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = err.status || err.statusCode || 500;
    if (status >= 500) console.error('stripe-standin: error:', err.stack);
    const type = status >= 500 ? 'api_error' : 'invalid_request_error';
    return sendJson(res, status, { error: { type, message: err.message } });
  });
  return app;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  let spec;
  try {
    spec = loadSpec(opts.openapi);
  } catch (err) {
    console.error(`stripe-standin: cannot load OpenAPI file ${opts.openapi}: ${err.message}`);
    process.exit(2);
  }
  const server = http.createServer(createApp(spec));
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => process.exit(0));
    // Idle keep-alive connections would otherwise hold close() open.
    if (server.closeAllConnections) server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  server.on('error', (err) => {
    console.error(`stripe-standin: ${err.message}`);
    process.exit(1);
  });
  // Loopback only: the stand-in accepts any sk_test_ key and must not be reachable from elsewhere.
  server.listen(opts.port, '127.0.0.1', () => {
    state.baseUrl = `http://127.0.0.1:${server.address().port}`;
    process.stdout.write(`stripe-standin listening on ${state.baseUrl}\n`);
    if (opts.exitWithStdin) {
      // The harness holds the other end of stdin; EOF means it has gone, so go too.
      process.stdin.on('end', stop);
      process.stdin.on('close', stop);
      process.stdin.on('error', stop);
      process.stdin.resume();
    }
  });
}

main();
