// Starts standin.js on a free loopback port for the Node tests in test/ (kept outside test/, where
// `node --test` would run it as a test file of its own).
'use strict';
const { spawn } = require('node:child_process');
const path = require('node:path');

// Resolves to { child, base }; the stand-in exits when stop() closes its stdin.
function startStandin() {
  const child = spawn(process.execPath, [path.join(__dirname, 'standin.js'), '--port', '0', '--exit-with-stdin'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const base = new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
  const stop = () => { child.stdin.end(); child.kill('SIGTERM'); };
  return base.then((url) => ({ base: url, stop }));
}

module.exports = { startStandin };
