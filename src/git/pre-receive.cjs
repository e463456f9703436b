#!/usr/bin/env node
// The pre-receive hook of every app repository. git runs it with the pushed ref updates on stdin and the
// new objects still in quarantine; it hands both to the platform, which builds and releases, and relays
// the build's output to the pusher (stderr becomes git's `remote:` lines). The platform ends its answer
// with a NUL byte and the hook's exit status: non-zero declines the push. Only that explicit trailer
// accepts it: the exit status is 1 until the trailer says otherwise, so a platform killed mid-build (the
// connection cut, or the hook left with nothing to wait on) never lets git move the branch.
'use strict';
const http = require('node:http');

process.exitCode = 1;
let settled = false;
function finish(code, note) {
  if (settled) return;
  settled = true;
  if (note) process.stderr.write(note);
  process.exit(code);
}
const CUT = '\n !     The connection to the platform broke before the build finished; nothing was released.\n';

const url = process.env.SLIPWAY_HOOK_URL;
const token = process.env.SLIPWAY_HOOK_TOKEN;
if (!url || !token) {
  process.stderr.write(' !     This repository only accepts pushes through the Slipway platform.\n');
  process.exit(1);
}
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const refs = input.split('\n').filter(Boolean).map((l) => {
    const [oldSha, newSha, ref] = l.split(' ');
    return { old: oldSha, new: newSha, ref };
  });
  const env = {};
  for (const k of ['GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_QUARANTINE_PATH']) {
    if (process.env[k]) env[k] = process.env[k];
  }
  const body = JSON.stringify({ refs, env });
  const req = http.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-slipway-hook-token': token, 'content-length': Buffer.byteLength(body) },
  }, (res) => {
    let tail = Buffer.alloc(0);
    res.on('data', (chunk) => {
      const all = Buffer.concat([tail, chunk]);
      const nul = all.lastIndexOf(0);
      // Hold back from the last NUL on: it may be the status trailer.
      const cut = nul >= 0 ? nul : all.length;
      process.stderr.write(all.subarray(0, cut));
      tail = all.subarray(cut);
    });
    res.on('end', () => {
      const m = res.complete ? /^\0(\d+)\s*$/.exec(tail.toString('utf8')) : null;
      if (!m) {
        process.stderr.write(tail);
        finish(1, '\n !     The platform ended the build without a result; nothing was released.\n');
        return;
      }
      finish(Number(m[1]));
    });
    res.on('aborted', () => finish(1, CUT));
    res.on('error', () => finish(1, CUT));
    res.on('close', () => { if (!res.complete) finish(1, CUT); });
  });
  req.on('error', (e) => finish(1, ` !     Could not reach the Slipway platform: ${e.message}\n`));
  req.end(body);
});
