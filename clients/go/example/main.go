// Command friendgate-go-example checks a friendgate policy service's health,
// opens a PolicyAdmin.WatchEvents stream, asks PolicyService.Decide for a
// decision and reads that decision back from the stream. It prints one JSON
// object per step on stdout and exits 1 on an error.
//
//	clients/go/build build/go
//	build/go/bin/friendgate-go-example -target=127.0.0.1:50051 -from=alice -to=bob,blocked_user
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	friendgatev1 "github.com/friendgate/friendgate/gen/go/friendgate/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
)

func newEventID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func print(v map[string]interface{}) {
	line, _ := json.Marshal(v)
	fmt.Println(string(line))
}

// canonicalCode is the status code's canonical name ("DEADLINE_EXCEEDED"), as
// the other languages' clients print it.
func canonicalCode(c codes.Code) string {
	var b strings.Builder
	for i, r := range c.String() {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return strings.ToUpper(b.String())
}

func fail(err error) int {
	code, msg := "UNAVAILABLE", err.Error() // a dial that never connected
	if s, ok := status.FromError(err); ok {
		code, msg = canonicalCode(s.Code()), s.Message()
	}
	print(map[string]interface{}{"step": "error", "code": code, "message": msg})
	return 1
}

func run() int {
	target := flag.String("target", "", "host:port of the policy service (required)")
	tenant := flag.String("tenant", "1400000000", "tenant of the event")
	from := flag.String("from", "alice", "the requesting user")
	to := flag.String("to", "bob,blocked_user", "comma-separated target users")
	timeout := flag.Duration("timeout", time.Second, "deadline of each call")
	flag.Parse()
	if *target == "" {
		fmt.Fprintln(os.Stderr, "friendgate-go-example: -target is required")
		return 2
	}

	dialCtx, cancel := context.WithTimeout(context.Background(), 10**timeout)
	defer cancel()
	conn, err := grpc.DialContext(dialCtx, *target, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		return fail(err)
	}
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	health, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return fail(err)
	}
	print(map[string]interface{}{"step": "health", "status": health.GetStatus().String()})

	// The watcher is registered once the server has sent the stream's headers:
	// every event decided after Header() returns is delivered.
	watchCtx, stopWatch := context.WithTimeout(context.Background(), 10**timeout)
	defer stopWatch()
	watch, err := friendgatev1.NewPolicyAdminClient(conn).WatchEvents(
		watchCtx, &friendgatev1.WatchEventsRequest{Tenants: []string{*tenant}})
	if err != nil {
		return fail(err)
	}
	if _, err := watch.Header(); err != nil {
		return fail(err)
	}

	event := &friendgatev1.FriendshipEvent{
		EventId: newEventID(),
		Vendor:  friendgatev1.Vendor_VENDOR_TENCENT,
		Tenant:  *tenant,
		Type:    friendgatev1.EventType_EVENT_TYPE_FRIEND_REQUEST,
		Phase:   friendgatev1.Phase_PHASE_BEFORE,
		Actor:   *from,
	}
	for _, user := range strings.Split(*to, ",") {
		event.Relations = append(event.Relations,
			&friendgatev1.Relation{FromUser: *from, ToUser: user})
	}
	ctx, cancel = context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	decision, err := friendgatev1.NewPolicyServiceClient(conn).Decide(
		ctx, &friendgatev1.DecideRequest{Event: event})
	if err != nil {
		return fail(err)
	}
	raw, err := protojson.Marshal(decision)
	if err != nil {
		return fail(err)
	}
	print(map[string]interface{}{"step": "decide", "decision": json.RawMessage(raw)})

	for {
		item, err := watch.Recv()
		if err != nil {
			return fail(err)
		}
		if dropped := item.GetDropped(); dropped != nil {
			print(map[string]interface{}{"step": "watch_dropped", "count": dropped.GetCount()})
			continue
		}
		if seen := item.GetEvent(); seen.GetEvent().GetEventId() == event.EventId {
			print(map[string]interface{}{"step": "watch", "event_id": event.EventId,
				"verdict": seen.GetDecision().GetVerdict().String()})
			break
		}
	}
	if health.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return 1
	}
	return 0
}

func main() { os.Exit(run()) }
