#!/usr/bin/env node
// Fault-injection HTTP proxy on loopback, for Till's tests of the terminal's recovery under faults.
//
// It sits between an HTTP/1.1 client and a target HTTP server and, per request (clients reuse
// keep-alive connections, so faults are per request, not per connection), takes the next fault
// from a queue that the test sets through control endpoints on the same port:
//
//   POST /__fault/plan   {"faults": ["pass", "drop_before", ...], "delay_ms": 5000}  replace the queue
//   GET  /__fault/log    [{method, path, fault, status, connection}] for every proxied request
//                        (status null: dropped; connection: which client connection, numbered from 1)
//   POST /__fault/reset  empty the queue and the log
//
// Faults: pass, drop_before (the target never sees it), drop_after (the target answers, the client
// never hears), delay (answer after delay_ms), bad_gateway (502 without forwarding), replay (the
// first replay of a method and path since the last reset passes and its answer is kept; each later
// replay of them gets that answer at once, without asking the target; a pass keeps nothing). With
// an empty queue, requests pass; redirect (302 to the same path at the target, nothing forwarded:
// a client that follows it sends a GET there, with the request's headers). Node built-ins only.
//
//   node proxy.js --target http://127.0.0.1:PORT [--port N]
//
// Prints one line, `fault-proxy listening on http://127.0.0.1:PORT`, and exits on SIGTERM/SIGINT
// or when stdin reaches EOF (the harness holds the other end of stdin).
'use strict';

const http = require('node:http');
const { pipeline } = require('node:stream');

const USAGE = 'usage: node proxy.js --target http://127.0.0.1:PORT [--port N]';
const FAULTS = new Set(['pass', 'drop_before', 'drop_after', 'delay', 'bad_gateway', 'replay', 'redirect']);
const DEFAULT_DELAY_MS = 5000;
const MAX_DELAY_MS = 60000;
const MAX_CONTROL_BODY = 1024 * 1024;
const CONTROL_PREFIX = '/__fault/';
// Hop-by-hop headers (RFC 9110 §7.6.1) plus the framing headers this proxy sets itself.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate',
  'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

function usageError(message) {
  console.error(`fault-proxy: ${message}\n${USAGE}`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { target: null, port: 0 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => (inline !== undefined ? inline : argv[++i]);
    if (flag === '--target') opts.target = value();
    else if (flag === '--port') opts.port = value();
    // Accepted for symmetry with the Stripe stand-in; exiting on stdin EOF is always on here.
    else if (flag === '--exit-with-stdin') continue;
    else if (flag === '--help' || flag === '-h') { console.log(USAGE); process.exit(0); }
    else usageError(`unknown argument ${argv[i]}`);
  }
  if (!/^\d+$/.test(String(opts.port)) || Number(opts.port) > 65535) usageError('--port needs an integer 0-65535');
  opts.port = Number(opts.port);
  let target;
  try {
    target = new URL(opts.target);
  } catch {
    usageError('--target needs a URL such as http://127.0.0.1:8080');
  }
  if (target.protocol !== 'http:' || target.username || target.password ||
      target.pathname !== '/' || target.search || target.hash) {
    usageError('--target must be a plain http://HOST:PORT origin (no path, query or credentials)');
  }
  opts.target = target;
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Helpers

// Headers from rawHeaders (original case, duplicates kept as arrays) minus hop-by-hop headers,
// headers named in Connection, and any extra lower-case names in `drop`.
function forwardableHeaders(rawHeaders, drop = []) {
  const skip = new Set([...HOP_BY_HOP, ...drop]);
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === 'connection') {
      for (const token of rawHeaders[i + 1].split(',')) skip.add(token.trim().toLowerCase());
    }
  }
  const out = {};
  const seen = new Map(); // lower-case name -> name as first seen
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const lower = name.toLowerCase();
    if (skip.has(lower)) continue;
    const key = seen.get(lower);
    if (key === undefined) { seen.set(lower, name); out[name] = rawHeaders[i + 1]; }
    else out[key] = [].concat(out[key], rawHeaders[i + 1]);
  }
  return out;
}

// The whole body of a readable (request or response); rejects if it is cut short.
async function readAll(stream, limit = Infinity) {
  const chunks = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// True when the client has closed or half-closed its connection: nobody will read an answer.
function clientGone(req) {
  return req.socket.destroyed || req.socket.readableEnded;
}

// Drops the client's connection; the request's log entry keeps status null.
function drop(req, entry) {
  entry.status = null;
  req.socket.destroy();
}

// Writes a response and records its status; a write that fails (client gone) sets it back to null.
function send(res, entry, status, statusMessage, headers, body) {
  entry.status = status;
  res.on('close', () => { if (!res.writableFinished) entry.status = null; });
  res.writeHead(status, statusMessage, headers);
  res.end(body);
}

function sendBadGateway(res, entry) {
  const body = Buffer.from('<html>Bad Gateway</html>');
  send(res, entry, 502, 'Bad Gateway',
    { 'Content-Type': 'text/html', 'Content-Length': body.length, Connection: 'close' }, body);
}

function sendJson(res, status, value) {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

// Status codes and methods whose responses carry no body (keep the target's Content-Length as is).
function bodyless(method, status) {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

// ---------------------------------------------------------------------------------------------
// Proxy

function createProxy(target) {
  // answers: "METHOD path" -> the answer kept by the first replay since the last reset.
  const state = { queue: [], delayMs: DEFAULT_DELAY_MS, log: [], answers: new Map() };
  // One upstream connection per request: no stale keep-alive sockets to the target, so an
  // upstream failure is always the target's doing, never a reused connection that had closed.
  const upstreamAgent = new http.Agent({ keepAlive: false });
  const upstreamHost = target.hostname.replace(/^\[|\]$/g, '');
  const upstreamPort = Number(target.port) || 80;

  // Sends the buffered request to the target; resolves with the response (its body unread).
  function forward(req, path, body) {
    const headers = forwardableHeaders(req.rawHeaders, ['host', 'content-length', 'expect']);
    headers.Host = target.host;
    if (body.length > 0 || 'content-length' in req.headers || 'transfer-encoding' in req.headers) {
      headers['Content-Length'] = body.length;
    }
    return new Promise((resolve, reject) => {
      const up = http.request({
        host: upstreamHost, port: upstreamPort, method: req.method, path, headers,
        agent: upstreamAgent, setHost: false,
      }, resolve);
      up.on('error', reject);
      up.end(body);
    });
  }

  async function handleProxied(req, res) {
    // Origin-form path (an absolute-form request URI is cut down to its path and query).
    const url = new URL(req.url, 'http://proxy.invalid');
    const path = url.pathname + url.search;
    const fault = state.queue.length > 0 ? state.queue.shift() : 'pass';
    const delayMs = state.delayMs;
    const entry = { method: req.method, path, fault, status: null, connection: req.socket.faultProxyNumber };
    state.log.push(entry);

    if (fault === 'drop_before') return drop(req, entry);
    const kept = fault === 'replay' ? state.answers.get(`${req.method} ${path}`) : undefined;
    if (kept) {
      // At once, in this turn of the event loop: as fast as a server can answer.
      req.resume();
      return send(res, entry, kept.status, kept.statusMessage, { ...kept.headers }, kept.body);
    }

    let body;
    try {
      body = await readAll(req);
    } catch {
      return drop(req, entry); // the client went away mid-request
    }
    if (fault === 'bad_gateway') return sendBadGateway(res, entry);
    if (fault === 'redirect') {
      return send(res, entry, 302, 'Found',
        { Location: `${target.origin}${path}`, 'Content-Length': 0 }, Buffer.alloc(0));
    }

    let upRes;
    try {
      upRes = await forward(req, path, body);
    } catch (err) {
      // Target unreachable (or it failed before answering): a 502, logged as the fault taken.
      console.error(`fault-proxy: ${req.method} ${path}: ${err.message}`);
      if (fault === 'drop_after' || clientGone(req)) return drop(req, entry);
      return sendBadGateway(res, entry);
    }
    const headers = forwardableHeaders(upRes.rawHeaders);

    if (fault === 'pass') {
      // Stream the answer back as it comes (Node re-chunks it if the target did not set a length).
      if (clientGone(req)) { upRes.resume(); return drop(req, entry); }
      entry.status = upRes.statusCode;
      res.writeHead(upRes.statusCode, upRes.statusMessage, headers);
      pipeline(upRes, res, (err) => { if (err) drop(req, entry); });
      return;
    }

    // drop_after, delay and replay: the target's complete answer first.
    let upBody;
    try {
      upBody = await readAll(upRes);
    } catch (err) {
      console.error(`fault-proxy: ${req.method} ${path}: ${err.message}`);
      if (fault === 'drop_after' || clientGone(req)) return drop(req, entry);
      return sendBadGateway(res, entry);
    }
    if (fault === 'drop_after') return drop(req, entry);

    if (fault === 'delay') await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (clientGone(req)) return drop(req, entry);
    if (!bodyless(req.method, upRes.statusCode)) {
      for (const name of Object.keys(headers)) if (name.toLowerCase() === 'content-length') delete headers[name];
      headers['Content-Length'] = upBody.length;
    }
    if (fault === 'replay') {
      state.answers.set(`${req.method} ${path}`,
        { status: upRes.statusCode, statusMessage: upRes.statusMessage, headers: { ...headers }, body: upBody });
    }
    send(res, entry, upRes.statusCode, upRes.statusMessage, headers, upBody);
  }

  function parsePlan(text) {
    let plan;
    try {
      plan = JSON.parse(text);
    } catch {
      throw new Error('body is not valid JSON');
    }
    if (plan === null || typeof plan !== 'object' || Array.isArray(plan)) throw new Error('body must be a JSON object');
    for (const key of Object.keys(plan)) {
      if (key !== 'faults' && key !== 'delay_ms') throw new Error(`unknown key ${JSON.stringify(key)}`);
    }
    if (!Array.isArray(plan.faults)) throw new Error('"faults" must be an array');
    for (const fault of plan.faults) {
      if (!FAULTS.has(fault)) {
        throw new Error(`unknown fault ${JSON.stringify(fault)} (one of ${[...FAULTS].join(', ')})`);
      }
    }
    const delayMs = plan.delay_ms === undefined ? DEFAULT_DELAY_MS : plan.delay_ms;
    if (!Number.isInteger(delayMs) || delayMs < 0 || delayMs > MAX_DELAY_MS) {
      throw new Error(`"delay_ms" must be an integer 0-${MAX_DELAY_MS}`);
    }
    return { faults: plan.faults, delayMs };
  }

  async function handleControl(req, res, name) {
    const routes = { plan: 'POST', log: 'GET', reset: 'POST' };
    if (!(name in routes)) return sendJson(res, 404, { error: `no control endpoint ${CONTROL_PREFIX}${name}` });
    if (req.method !== routes[name]) {
      res.setHeader('Allow', routes[name]);
      return sendJson(res, 405, { error: `${CONTROL_PREFIX}${name} takes ${routes[name]}` });
    }
    let text;
    try {
      text = (await readAll(req, MAX_CONTROL_BODY)).toString('utf8');
    } catch (err) {
      return sendJson(res, 400, { error: err.message });
    }
    if (name === 'log') return sendJson(res, 200, state.log);
    if (name === 'reset') {
      state.queue = [];
      state.delayMs = DEFAULT_DELAY_MS;
      state.log = [];
      state.answers.clear();
      return sendJson(res, 200, { ok: true });
    }
    let plan;
    try {
      plan = parsePlan(text);
    } catch (err) {
      return sendJson(res, 400, { error: err.message });
    }
    state.queue = [...plan.faults];
    state.delayMs = plan.delayMs;
    return sendJson(res, 200, { ok: true, queued: state.queue.length, delay_ms: state.delayMs });
  }

  let connections = 0;
  const server = http.createServer((req, res) => {
    const pathname = req.url.split('?')[0];
    const handled = pathname.startsWith(CONTROL_PREFIX)
      ? handleControl(req, res, pathname.slice(CONTROL_PREFIX.length))
      : handleProxied(req, res);
    handled.catch((err) => {
      console.error('fault-proxy: error:', err.stack);
      req.socket.destroy();
    });
  });
  server.on('connection', (socket) => { socket.faultProxyNumber = ++connections; });
  return server;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const server = createProxy(opts.target);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    server.close(() => process.exit(0));
    // Idle keep-alive connections (and delayed answers) would otherwise hold close() open.
    if (server.closeAllConnections) server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  server.on('error', (err) => {
    console.error(`fault-proxy: ${err.message}`);
    process.exit(1);
  });
  server.listen(opts.port, '127.0.0.1', () => {
    process.stdout.write(`fault-proxy listening on http://127.0.0.1:${server.address().port}\n`);
    // The harness holds the other end of stdin; EOF means it has gone, so go too.
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.on('error', stop);
    process.stdin.resume();
  });
}

main();
