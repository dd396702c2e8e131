// Type-checks friendgate.d.ts the way a TypeScript consumer uses the package
// (tsc --noEmit --strict in tests/clients, clients.node_package). Not shipped.
import { Client, Decision, FriendshipEvent, HealthStatus, VERSION, friendRequest, grpc }
  from '@friendgate/client';

async function demo(target: string): Promise<string[]> {
  const client = new Client(target, { credentials: grpc.credentials.createInsecure() });
  try {
    await client.waitReady(1000);
    const health: HealthStatus = await client.checkHealth('', 500);
    const event: FriendshipEvent = friendRequest('1400000000', 'alice', ['bob']);
    event.phase = 'PHASE_BEFORE';
    const decision: Decision = await client.decide(event, 500);
    const refused = decision.targets
      .filter((t) => t.verdict === 'VERDICT_REFUSE')
      .map((t) => `${t.relation_index}:${t.to_user}:${t.reason?.vendor_code ?? 0}`);
    return [health, VERSION, ...refused];
  } catch (err) {
    const status = (err as grpc.ServiceError).code;
    return [grpc.status[status]];
  } finally {
    client.close();
  }
}

demo('127.0.0.1:1').then((lines) => console.log(lines.join('\n')));
