// Types for @friendgate/client (friendgate.js), hand-written from
// proto/friendgate/v1 and checked with `tsc --noEmit --strict` against
// example-types.ts in CI (tests/clients, clients.node_package).
// Objects are shaped as @grpc/proto-loader decodes them with the options this
// package uses: field names as in the .proto (snake_case), enums as their
// names, 64-bit integers as strings, unset scalars as their defaults.
import * as grpc from '@grpc/grpc-js';

export { grpc };

export type Vendor = 'VENDOR_UNSPECIFIED' | 'VENDOR_TENCENT' | 'VENDOR_OPENIM';
export type EventType =
  | 'EVENT_TYPE_UNSPECIFIED' | 'EVENT_TYPE_FRIEND_REQUEST' | 'EVENT_TYPE_FRIEND_RESPONSE'
  | 'EVENT_TYPE_FRIEND_ADDED' | 'EVENT_TYPE_FRIEND_DELETED' | 'EVENT_TYPE_BLOCK_ADDED'
  | 'EVENT_TYPE_BLOCK_REMOVED' | 'EVENT_TYPE_FRIENDS_IMPORTED' | 'EVENT_TYPE_FRIEND_REMARK_SET';
export type Phase = 'PHASE_UNSPECIFIED' | 'PHASE_BEFORE' | 'PHASE_AFTER';
export type ResponseAction =
  | 'RESPONSE_ACTION_UNSPECIFIED' | 'RESPONSE_ACTION_AGREE_AND_ADD' | 'RESPONSE_ACTION_AGREE'
  | 'RESPONSE_ACTION_REJECT';
export type AddType = 'ADD_TYPE_UNSPECIFIED' | 'ADD_TYPE_SINGLE' | 'ADD_TYPE_BOTH';
export type Verdict = 'VERDICT_UNSPECIFIED' | 'VERDICT_ALLOW' | 'VERDICT_REFUSE';
export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** google.protobuf.Timestamp as proto-loader encodes and decodes it. */
export interface Timestamp { seconds?: string | number; nanos?: number }
/** google.protobuf.Struct, as proto-loader's object form. */
export interface Struct { fields?: { [key: string]: unknown } }

/** friendgate.v1.Relation: one (from_user, to_user) pair of an event. */
export interface Relation {
  from_user?: string;
  to_user?: string;
  initiator?: string;
  remark?: string;
  group?: string;
  add_source?: string;
  wording?: string;
  response_action?: ResponseAction;
  vendor_response_code?: number;
  extras?: Struct | null;
}

/** friendgate.v1.FriendshipEvent (request side: every field optional). */
export interface FriendshipEvent {
  event_id?: string;
  vendor?: Vendor;
  tenant?: string;
  type?: EventType;
  phase?: Phase;
  vendor_command?: string;
  actor?: string;
  relations?: Relation[];
  event_time?: Timestamp | null;
  received_time?: Timestamp | null;
  client_ip?: string;
  platform?: string;
  trace_id?: string;
  admin_user?: string;
  forced?: boolean;
  add_type?: AddType;
  extras?: Struct | null;
}

/** friendgate.v1.Reason. */
export interface Reason { vendor_code: number; reason: string; message: string; detail: string }

/** friendgate.v1.TargetVerdict: the verdict on one relation of the event. */
export interface TargetVerdict {
  relation_index: number;
  to_user: string;
  verdict: Verdict;
  reason: Reason | null;
  rule_ids: string[];
}

/** friendgate.v1.Mutation: how an allowed operation is changed (OpenIM). */
export interface Mutation {
  remark?: string;
  friend_user_ids: { user_ids: string[] } | null;
}

/** friendgate.v1.Decision (response side: decoded with defaults). */
export interface Decision {
  decision_id: string;
  event_id: string;
  verdict: Verdict;
  reason: Reason | null;
  targets: TargetVerdict[];
  mutation: Mutation | null;
  dry_run: boolean;
  matched_rule_ids: string[];
}

export interface ClientOptions {
  /** Folder holding friendgate/v1/*.proto and grpc/health/v1/health.proto. */
  protoDir?: string;
  /** Default: insecure (plaintext). */
  credentials?: grpc.ChannelCredentials;
}

/** A connection to a friendgate gRPC server (the policy service). */
export class Client {
  constructor(target: string, options?: ClientOptions);
  /** Every service and message of the contract, as grpc-js loaded them. */
  readonly api: grpc.GrpcObject;
  close(): void;
  /** Resolves once the channel is connected; rejects after timeoutMs. */
  waitReady(timeoutMs: number): Promise<void>;
  /** PolicyService.Decide; rejects with a grpc.ServiceError (err.code) on a non-OK status. */
  decide(event: FriendshipEvent, timeoutMs?: number): Promise<Decision>;
  /** grpc.health.v1.Health.Check; 'SERVICE_UNKNOWN' when the server does not know `service`. */
  checkHealth(service?: string, timeoutMs?: number): Promise<HealthStatus>;
}

/** Deadline of a call when none is given, milliseconds. */
export const DEFAULT_TIMEOUT_MS: number;
/** Where this package reads the .proto files from. */
export const PROTO_DIR: string;
/** This package's version: friendgate's version. */
export const VERSION: string;
/** A FRIEND_REQUEST event (before the operation) from `fromUser` to each of `toUsers`. */
export function friendRequest(tenant: string, fromUser: string, toUsers: string[],
                              vendor?: Vendor): FriendshipEvent;
/** Loads the contract with the decoding options above. */
export function loadContract(protoDir?: string): grpc.GrpcObject;
/** An event id in the contract's format: 32 lowercase hex characters. */
export function newEventId(): string;
