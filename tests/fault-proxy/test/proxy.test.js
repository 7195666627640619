// The fault-injection proxy against a tiny counting target (node --test; Node built-ins only).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const { once } = require('node:events');

const PROXY = path.join(__dirname, '..', 'proxy.js');

let target;       // the counting target server
let targetUrl;
let hits = 0;     // requests the target has seen
let lastSeen;     // { method, url, headers, body } of the target's last request
let proxy;        // { child, base } for the proxy under test
// One keep-alive connection at a time, as the terminal's client does: faults must apply per request.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

// Spawns the proxy with stdin held open and resolves once it has printed its URL.
function startProxy(targetBase) {
  const child = spawn(process.execPath, [PROXY, '--target', targetBase, '--port', '0'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^fault-proxy listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
      if (m) resolve({ child, base: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`proxy exited with ${code} before listening`)));
  });
}

function stopProxy(p) {
  if (p && p.child.exitCode === null) { p.child.stdin.end(); p.child.kill('SIGTERM'); }
}

// One HTTP request; resolves with { status, headers, body (parsed JSON when it is JSON) } or
// rejects with the client-side error (e.g. ECONNRESET when the proxy drops the connection).
function request(base, method, urlPath, { body, headers = {}, timeout } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(base + urlPath, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed = text;
        if (/json/.test(res.headers['content-type'] || '')) parsed = JSON.parse(text);
        resolve({ status: res.statusCode, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    if (timeout) req.setTimeout(timeout, () => req.destroy(new Error('client timeout')));
    req.end(body);
  });
}

const call = (method, urlPath, opts) => request(proxy.base, method, urlPath, opts);
const plan = (value) => call('POST', '/__fault/plan', {
  body: JSON.stringify(value), headers: { 'Content-Type': 'application/json' } });
// The proxy's log; each entry's connection number only where asked for (the cases that compare
// whole entries do not care which connection a request came on).
const faultLog = async ({ connections = false } = {}) => (await call('GET', '/__fault/log')).body
  .map(({ connection, ...rest }) => (connections ? { connection, ...rest } : rest));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls condition until it holds; fails the test after timeoutMs.
async function waitFor(condition, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition}`);
    await sleep(20);
  }
}

before(async () => {
  target = http.createServer(async (req, res) => {
    hits++;
    const chunks = [];
    for await (const c of req) chunks.push(c);
    lastSeen = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() };
    // Written in two pieces without a length, so the proxy has to deal with a chunked answer.
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Target': 'yes' });
    res.write(JSON.stringify({ n: hits, method: req.method, path: req.url, body: lastSeen.body }).slice(0, 5));
    res.end(JSON.stringify({ n: hits, method: req.method, path: req.url, body: lastSeen.body }).slice(5));
  });
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  targetUrl = `http://127.0.0.1:${target.address().port}`;
  proxy = await startProxy(targetUrl);
});

after(() => {
  stopProxy(proxy);
  agent.destroy();
  target.close();
  target.closeAllConnections();
});

async function reset() {
  const r = await call('POST', '/__fault/reset');
  assert.equal(r.status, 200);
}

test('pass forwards method, path, headers and body and returns the answer unchanged', async () => {
  await reset();
  const before = hits;
  const r = await call('POST', '/v1/things?x=1', {
    body: 'a=1&b=2',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded', 'X-Custom': 'kept',
      Connection: 'keep-alive, X-Secret', 'X-Secret': 'hop-by-hop', 'Keep-Alive': 'timeout=5',
    },
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-target'], 'yes');
  assert.deepEqual(r.body, { n: before + 1, method: 'POST', path: '/v1/things?x=1', body: 'a=1&b=2' });
  assert.equal(hits, before + 1);
  assert.equal(lastSeen.headers.host, new URL(targetUrl).host);
  assert.equal(lastSeen.headers['x-custom'], 'kept');
  assert.equal(lastSeen.headers['content-type'], 'application/x-www-form-urlencoded');
  assert.equal(lastSeen.headers['content-length'], '7');
  assert.equal(lastSeen.headers['x-secret'], undefined, 'headers named in Connection are hop-by-hop');
  assert.equal(lastSeen.headers['keep-alive'], undefined);
});

test('drop_before: the client gets an error and the target never sees the request', async () => {
  await reset();
  await plan({ faults: ['drop_before'] });
  const before = hits;
  await assert.rejects(call('POST', '/v1/charge', { body: 'amount=100' }), /socket hang up|ECONNRESET|EPIPE/);
  assert.equal(hits, before);
  // The next request passes on a fresh connection.
  assert.equal((await call('GET', '/after')).status, 200);
  assert.equal(hits, before + 1);
});

test('drop_after: the target does the work, the client gets an error', async () => {
  await reset();
  await plan({ faults: ['drop_after'] });
  const before = hits;
  await assert.rejects(call('POST', '/v1/charge', { body: 'amount=100' }), /socket hang up|ECONNRESET/);
  assert.equal(hits, before + 1);
  assert.equal(lastSeen.body, 'amount=100');
});

test('delay: the answer arrives after delay_ms', async () => {
  await reset();
  await plan({ faults: ['delay'], delay_ms: 300 });
  const before = hits;
  const start = performance.now();
  const r = await call('GET', '/slow');
  const elapsed = performance.now() - start;
  assert.equal(r.status, 200);
  assert.equal(r.body.n, before + 1);
  assert.ok(elapsed >= 300, `answered after ${elapsed.toFixed(0)} ms`);
  assert.deepEqual(await faultLog(), [{ method: 'GET', path: '/slow', fault: 'delay', status: 200 }]);
});

test('delay: a client that gives up meanwhile is dropped and logged with status null', async () => {
  await reset();
  await plan({ faults: ['delay'], delay_ms: 3000 });
  const before = hits;
  await assert.rejects(call('GET', '/impatient', { timeout: 1000 }), /client timeout/);
  await waitFor(() => hits === before + 1, 10000);
  assert.deepEqual(await faultLog(), [{ method: 'GET', path: '/impatient', fault: 'delay', status: null }]);
  assert.equal((await call('GET', '/still-alive')).status, 200);
});

test('replay: the first request passes and is kept; the next get that answer without the target', async () => {
  await reset();
  await plan({ faults: ['replay', 'replay', 'replay', 'pass'] });
  const before = hits;
  const first = await call('GET', '/v1/payment_intents/pi_1');
  assert.equal(first.status, 200);
  assert.equal(first.body.n, before + 1);
  assert.equal(hits, before + 1);
  const again = await call('GET', '/v1/payment_intents/pi_1');
  assert.deepEqual(again.body, first.body);
  assert.equal(again.headers['x-target'], 'yes');
  assert.equal(hits, before + 1, 'a replay never reaches the target');
  // Another path has nothing kept: it passes.
  const other = await call('GET', '/v1/payment_intents/pi_2');
  assert.equal(other.body.n, before + 2);
  // A pass is not replayed.
  assert.equal((await call('GET', '/v1/payment_intents/pi_1')).body.n, before + 3);
  assert.deepEqual((await faultLog()).map((e) => [e.fault, e.status]),
    [['replay', 200], ['replay', 200], ['replay', 200], ['pass', 200]]);
  await reset();
  await plan({ faults: ['replay'] });
  assert.equal((await call('GET', '/v1/payment_intents/pi_1')).body.n, before + 4, 'reset forgets kept answers');
});

test('redirect: 302 to the same path at the target, nothing forwarded', async () => {
  await reset();
  await plan({ faults: ['redirect'] });
  const before = hits;
  const r = await call('POST', '/v1/payment_intents?x=1', { body: 'amount=100' });
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, `${targetUrl}/v1/payment_intents?x=1`);
  assert.equal(hits, before);
  assert.deepEqual((await faultLog()).map((e) => [e.fault, e.status]), [['redirect', 302]]);
});

test('bad_gateway: 502 with an HTML body, nothing forwarded', async () => {
  await reset();
  await plan({ faults: ['bad_gateway'] });
  const before = hits;
  const r = await call('POST', '/v1/charge', { body: 'amount=100' });
  assert.equal(r.status, 502);
  assert.equal(r.body, '<html>Bad Gateway</html>');
  assert.equal(r.headers['content-type'], 'text/html');
  assert.equal(r.headers.connection, 'close');
  assert.equal(hits, before);
});

test('faults are taken in order, one per request on a kept-alive connection, then requests pass', async () => {
  await reset();
  await plan({ faults: ['pass', 'bad_gateway', 'drop_before', 'pass', 'drop_after'] });
  const before = hits;
  assert.equal((await call('GET', '/1')).status, 200);
  assert.equal((await call('GET', '/2')).status, 502);
  await assert.rejects(call('GET', '/3'));
  assert.equal((await call('GET', '/4')).status, 200);
  await assert.rejects(call('GET', '/5'));
  assert.equal((await call('GET', '/6')).status, 200);
  assert.equal((await call('GET', '/7')).status, 200);
  assert.equal(hits, before + 5); // 1, 4, 5, 6, 7
  assert.deepEqual(await faultLog(), [
    { method: 'GET', path: '/1', fault: 'pass', status: 200 },
    { method: 'GET', path: '/2', fault: 'bad_gateway', status: 502 },
    { method: 'GET', path: '/3', fault: 'drop_before', status: null },
    { method: 'GET', path: '/4', fault: 'pass', status: 200 },
    { method: 'GET', path: '/5', fault: 'drop_after', status: null },
    { method: 'GET', path: '/6', fault: 'pass', status: 200 },
    { method: 'GET', path: '/7', fault: 'pass', status: 200 },
  ]);
});

test('the log numbers client connections: one kept-alive connection, then a new one after a drop', async () => {
  await reset();
  await plan({ faults: ['pass', 'pass', 'drop_before', 'pass'] });
  await call('GET', '/one');
  await call('GET', '/two');
  await assert.rejects(call('GET', '/three'), /socket hang up|ECONNRESET/);
  await call('GET', '/four');
  const numbers = (await faultLog({ connections: true })).map((e) => e.connection);
  assert.ok(numbers.every(Number.isInteger));
  assert.equal(numbers[0], numbers[1], 'kept alive');
  assert.equal(numbers[1], numbers[2]);
  assert.ok(numbers[3] > numbers[2], 'a dropped connection is not used again');
});

test('a new plan replaces the queue; reset empties queue and log', async () => {
  await reset();
  await plan({ faults: ['bad_gateway', 'bad_gateway'] });
  const r = await plan({ faults: ['drop_after'] });
  assert.deepEqual(r.body, { ok: true, queued: 1, delay_ms: 5000 });
  await assert.rejects(call('GET', '/a'));
  assert.equal((await call('GET', '/b')).status, 200);
  assert.equal((await faultLog()).length, 2);
  await plan({ faults: ['bad_gateway'] });
  await reset();
  assert.deepEqual(await faultLog(), []);
  assert.equal((await call('GET', '/c')).status, 200);
  assert.deepEqual(await faultLog(), [{ method: 'GET', path: '/c', fault: 'pass', status: 200 }]);
});

test('control endpoints: invalid bodies get 400 with a JSON error and are never forwarded', async () => {
  await reset();
  const before = hits;
  const bad = [
    'not json', '[]', '{}', '{"faults": "pass"}', '{"faults": ["explode"]}', '{"fault": ["pass"]}',
    '{"faults": [], "delay_ms": 60001}', '{"faults": [], "delay_ms": -1}', '{"faults": [], "delay_ms": 1.5}',
  ];
  for (const body of bad) {
    const r = await call('POST', '/__fault/plan', { body });
    assert.equal(r.status, 400, body);
    assert.equal(typeof r.body.error, 'string', body);
  }
  assert.equal((await plan({ faults: [], delay_ms: 60000 })).status, 200);
  assert.equal((await call('GET', '/__fault/nope')).status, 404);
  assert.equal((await call('GET', '/__fault/plan')).status, 405);
  assert.equal(hits, before);
  assert.deepEqual(await faultLog(), []);
});

test('an unreachable target gets a 502 logged as pass', async () => {
  const dead = http.createServer();
  dead.listen(0, '127.0.0.1');
  await once(dead, 'listening');
  const deadUrl = `http://127.0.0.1:${dead.address().port}`;
  await new Promise((resolve) => dead.close(resolve));
  const p = await startProxy(deadUrl);
  try {
    const r = await request(p.base, 'GET', '/v1/x');
    assert.equal(r.status, 502);
    assert.equal(r.body, '<html>Bad Gateway</html>');
    const log = await request(p.base, 'GET', '/__fault/log');
    assert.deepEqual(log.body, [{ method: 'GET', path: '/v1/x', fault: 'pass', status: 502, connection: 1 }]);
  } finally {
    stopProxy(p);
  }
});

test('the proxy exits when its stdin reaches EOF', async () => {
  const p = await startProxy(targetUrl);
  const exited = once(p.child, 'exit');
  p.child.stdin.end();
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 5000);
  const [code, signal] = await exited;
  clearTimeout(timer);
  assert.equal(signal, null, 'exited by itself, not killed');
  assert.equal(code, 0);
});

test('the proxy exits on SIGTERM', async () => {
  const p = await startProxy(targetUrl);
  const exited = once(p.child, 'exit');
  p.child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0);
});
