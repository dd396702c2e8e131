'use strict';
// A small Node.js client for friendgate's gRPC API (package friendgate.v1).
//
// Nothing is generated: @grpc/proto-loader reads every .proto under
// proto/friendgate/v1 (and the health protocol) when a Client is made. The
// published package ships those files in its proto/ folder; in the friendgate
// repository the module reads the repository's proto/. Every call takes a
// deadline; there is no call without one. Types: friendgate.d.ts.

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

// Where the contract lives: FRIENDGATE_PROTO_DIR, the package's own proto/
// (published package), or this repository's proto/ (source tree).
function defaultProtoDir() {
  if (process.env.FRIENDGATE_PROTO_DIR) return process.env.FRIENDGATE_PROTO_DIR;
  const shipped = path.join(__dirname, 'proto');
  return fs.existsSync(shipped) ? shipped : path.join(__dirname, '..', '..', 'proto');
}
const PROTO_DIR = defaultProtoDir();
const { version: VERSION } = require('./package.json');

// Decide is on the vendors' answer path (Tencent waits 2 s): leave the gateway room.
const DEFAULT_TIMEOUT_MS = 1000;

function loadContract(protoDir = PROTO_DIR) {
  const apiDir = path.join(protoDir, 'friendgate', 'v1');
  const files = fs.readdirSync(apiDir).filter((f) => f.endsWith('.proto')).sort()
    .map((f) => path.join('friendgate', 'v1', f));
  files.push(path.join('grpc', 'health', 'v1', 'health.proto'));
  const definition = protoLoader.loadSync(files, {
    includeDirs: [protoDir],
    keepCase: true,      // field names as in the .proto (snake_case)
    longs: String,       // 64-bit integers as strings: no precision loss
    enums: String,       // enum values by name
    defaults: true,      // unset scalars read as their default, like other languages
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition);
}

function deadlineIn(ms) {
  return new Date(Date.now() + ms);
}

function newEventId() {
  return require('crypto').randomBytes(16).toString('hex');
}

class Client {
  constructor(target, { protoDir, credentials } = {}) {
    const api = loadContract(protoDir);
    const creds = credentials || grpc.credentials.createInsecure();
    this.api = api;
    this.policy = new api.friendgate.v1.PolicyService(target, creds);
    this.health = new api.grpc.health.v1.Health(target, creds, {
      channelOverride: this.policy.getChannel(),
    });
  }

  close() {
    this.policy.close();
  }

  waitReady(timeoutMs) {
    return new Promise((resolve, reject) => {
      this.policy.waitForReady(deadlineIn(timeoutMs), (err) => (err ? reject(err) : resolve()));
    });
  }

  // PolicyService.Decide. Rejects with a grpc ServiceError (err.code) on a non-OK status.
  decide(event, timeoutMs = DEFAULT_TIMEOUT_MS) {
    return unary(this.policy, 'Decide', { event }, timeoutMs);
  }

  // grpc.health.v1.Health.Check: "SERVING", "NOT_SERVING", ... or "SERVICE_UNKNOWN".
  async checkHealth(service = '', timeoutMs = DEFAULT_TIMEOUT_MS) {
    try {
      const reply = await unary(this.health, 'Check', { service }, timeoutMs);
      return reply.status;
    } catch (err) {
      if (err.code === grpc.status.NOT_FOUND) return 'SERVICE_UNKNOWN';
      throw err;
    }
  }
}

function unary(stub, method, request, timeoutMs) {
  return new Promise((resolve, reject) => {
    stub[method](request, { deadline: deadlineIn(timeoutMs) }, (err, reply) =>
      (err ? reject(err) : resolve(reply)));
  });
}

// A FRIEND_REQUEST event (before the operation) from `fromUser` to each of `toUsers`.
function friendRequest(tenant, fromUser, toUsers, vendor = 'VENDOR_TENCENT') {
  return {
    event_id: newEventId(),
    vendor,
    tenant,
    type: 'EVENT_TYPE_FRIEND_REQUEST',
    phase: 'PHASE_BEFORE',
    actor: fromUser,
    relations: toUsers.map((to) => ({ from_user: fromUser, to_user: to })),
  };
}

module.exports = {
  Client, DEFAULT_TIMEOUT_MS, PROTO_DIR, VERSION, friendRequest, loadContract, newEventId, grpc,
};
