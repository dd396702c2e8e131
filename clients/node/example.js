#!/usr/bin/env node
'use strict';
// Example: check a friendgate policy service's health and ask it for a
// decision. Prints one JSON object per step on stdout; exits 1 on an error.
//
//   npx friendgate-node-example --target=127.0.0.1:50051 --from=alice --to=bob,blocked_user
// (installed package), or in the repository:
//   (cd clients/node && npm ci --ignore-scripts) && node clients/node/example.js --target=...

const { Client, VERSION, friendRequest, grpc } = require('./friendgate');

function parseArgs(argv) {
  const args = { target: '', tenant: '1400000000', from: 'alice', to: 'bob,blocked_user',
    timeoutMs: 1000 };
  for (const arg of argv) {
    const m = /^--([a-z-]+)=(.*)$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg}`);
    const key = { target: 'target', tenant: 'tenant', from: 'from', to: 'to',
      'timeout-ms': 'timeoutMs' }[m[1]];
    if (!key) throw new Error(`unknown flag --${m[1]}`);
    args[key] = key === 'timeoutMs' ? Number(m[2]) : m[2];
  }
  if (!args.target) throw new Error('--target=HOST:PORT is required');
  return args;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`example.js: ${err.message}\n`);
    return 2;
  }
  const client = new Client(args.target);
  const print = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);
  try {
    await client.waitReady(10 * args.timeoutMs);
    const status = await client.checkHealth('', args.timeoutMs);
    print({ step: 'health', status, client_version: VERSION });
    const event = friendRequest(args.tenant, args.from, args.to.split(','));
    const decision = await client.decide(event, args.timeoutMs);
    print({ step: 'decide', event_id: event.event_id, decision });
    return status === 'SERVING' ? 0 : 1;
  } catch (err) {
    const code = typeof err.code === 'number' ? grpc.status[err.code] : 'UNAVAILABLE';
    print({ step: 'error', code, message: err.details || err.message });
    return 1;
  } finally {
    client.close();
  }
}

main().then((code) => { process.exitCode = code; });
