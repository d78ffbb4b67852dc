package detectors

// The clients of the infrastructure a service runs on: etcd, the
// Kubernetes API (client-go), the AWS SDK and Elasticsearch. Function
// names were checked against etcd client v3.7.3, client-go v0.37.1,
// aws-sdk-go-v2 v1.47.1 with smithy-go v1.28.2, elastic-transport-go v8
// and go-elasticsearch v7/v8; the README's coverage table says which are
// backed by a captured fixture.

// etcdModules are clientv3's import paths: go.etcd.io/etcd/client/v3
// (v3.5+), go.etcd.io/etcd/clientv3 (v3.4) and github.com/coreos/etcd/clientv3
// (up to v3.3). The functions below have kept their names across them.
var etcdModules = []string{"go.etcd.io/etcd/client/v3", "go.etcd.io/etcd/clientv3", "github.com/coreos/etcd/clientv3"}

func etcdSignatures() []Signature {
	var sigs []Signature
	for _, mod := range etcdModules {
		sigs = append(sigs,
			Signature{
				// (*watcher).Watch sends the request to the stream's run
				// goroutine, then waits for wr.retc: the stream must be
				// open and the watch registered before Watch returns.
				ID: mod + ".watch.open", Library: mod,
				Frames:   []string{mod + ".(*watcher).Watch"},
				Reasons:  []string{rSelect},
				Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
				Why: "etcd's Watch has not returned its channel yet: it waits until the watch stream is open " +
					"and the watch is registered, and the stream is opened in the background with retries " +
					"(WaitForReady) for as long as no endpoint answers; the wait ends only with Watch's " +
					"context, and this one is never done",
				Fix: fixEtcd,
			},
			Signature{
				// Every clientv3 unary call goes through the retry
				// interceptor with grpc.WaitForReady(true) by default.
				ID: mod + ".call", Library: mod,
				Frames:   []string{"google.golang.org/grpc.(*pickerWrapper).pick", mod + ".*"},
				Reasons:  []string{rSelect},
				Category: CatGRPCStreamNoDeadline, ContextAware: true, Severity: SevHigh, Dominant: true,
				Why: "an etcd call is waiting for a ready connection: clientv3 makes every call with " +
					"grpc.WaitForReady(true), so while no endpoint is reachable a Get, Put, Txn or lease call " +
					"waits instead of failing, bounded only by its context, which has no deadline",
				Fix: fixEtcd,
			},
			Signature{
				// concurrency.(*Mutex).Lock → waitDeletes → waitDelete,
				// ranging over a Watch on the previous key holder.
				ID: mod + ".mutex", Library: mod,
				Frames:   []string{mod + "/concurrency.(*Mutex).Lock"},
				Reasons:  []string{rChanRecv, rSelect},
				Lock:     true,
				Waiting:  "queued on an etcd lock (concurrency.Mutex)",
				Category: CatMutexConvoy, ContextAware: true, Severity: SevMedium,
				Why: "the goroutine is queued on an etcd distributed lock: Lock waits until every earlier " +
					"waiter's key is deleted, and a holder keeps its key as long as its session's lease is " +
					"kept alive (a live process holding the lock across a slow call, in this process or " +
					"another); Lock honours its context, and this one has no deadline",
				Fix: fixEtcd,
			},
		)
	}
	return sigs
}

// kubernetesSignatures: client-go's informer cache sync, workqueue drain
// and leader election.
func kubernetesSignatures() []Signature {
	cache := "k8s.io/client-go/tools/cache"
	return []Signature{
		{
			// WaitForCacheSync polls HasSynced until its stop channel is
			// closed (wait.PollImmediateUntil); WaitFor (v0.34+, used by
			// the informer factory's WaitForCacheSync) waits on each
			// checker's Done channel or the context.
			ID: "client-go.cache-sync", Library: "k8s.io/client-go",
			Frames:   []string{cache + ".WaitFor*"},
			Reasons:  []string{rSelect, rChanRecv},
			Category: CatIONoDeadline, ContextAware: true, Severity: SevHigh,
			Why: "a controller is waiting for its informers' caches to sync: WaitForCacheSync returns only " +
				"when every informer has listed once or its stop channel (context) is done, and a list that " +
				"keeps failing (RBAC forbids it, the CRD is not installed, the API server is unreachable) is " +
				"retried forever by the reflector; with wait.NeverStop or context.Background() the controller " +
				"never starts",
			Fix: fixCacheSync,
		},
		{
			// (*Typed[T]).ShutDownWithDrain → waitForProcessing (v0.31+
			// generic; (*Type) before).
			ID: "client-go.workqueue.drain", Library: "k8s.io/client-go",
			Frames:   []string{"k8s.io/client-go/util/workqueue.(*Type*).ShutDownWithDrain"},
			Reasons:  []string{rCond, rSelect, rChanRecv},
			Category: CatWaitGroupStuck, ContextAware: false, Severity: SevHigh,
			Why: "workqueue.ShutDownWithDrain waits until every item handed out by Get is marked Done, with no " +
				"timeout: a worker stuck in its reconcile, or one that returned without calling Done, keeps " +
				"shutdown waiting forever",
			Fix: fixWorkqueueDrain,
		},
		{
			// acquire → wait.JitterUntil → tryAcquireOrRenew (or
			// tryCoordinatedRenew) → the lock's Get/Create/Update.
			ID: "client-go.leader.acquire", Library: "k8s.io/client-go",
			Frames: []string{"k8s.io/client-go/tools/leaderelection.(*LeaderElector).try*",
				"k8s.io/client-go/tools/leaderelection.(*LeaderElector).acquire"},
			Category: CatHTTPClientNoTimeout, ContextAware: true, Severity: SevHigh,
			Why: "a replica trying to acquire the leader lease is stuck in the API call of an attempt: " +
				"acquisition runs on Run's context, which has no deadline (only renewals are bounded by " +
				"RenewDeadline), so a request the API server never answers holds the elector forever unless " +
				"the client has a rest.Config.Timeout",
			Fix: fixLeaderElection,
		},
	}
}

// httpAPISignatures are SDKs over HTTP whose calls wait in net/http's
// round trip: the AWS SDK (v2 through smithy-go's ClientHandler, v1
// through request.(*Request).Send) and the Elasticsearch clients.
func httpAPISignatures() []Signature {
	roundTrip := "net/http.(*persistConn).roundTrip"
	return []Signature{
		{
			ID: "aws-sdk-go-v2.http", Library: "github.com/aws/aws-sdk-go-v2",
			Frames:   []string{roundTrip, "github.com/aws/smithy-go/transport/http.ClientHandler.Handle"},
			Reasons:  []string{rSelect},
			Category: CatHTTPClientNoTimeout, ContextAware: true, Severity: SevHigh,
			Why: "an AWS SDK for Go v2 operation is waiting for the service's response: the SDK's default " +
				"HTTP client (BuildableClient) bounds the dial and the TLS handshake but not the request, the " +
				"retryer re-sends it up to RetryMaxAttempts (3) times, and the operation's context carries no " +
				"deadline",
			Fix: fixAWS,
		},
		{
			ID: "aws-sdk-go.http", Library: "github.com/aws/aws-sdk-go",
			Frames:   []string{roundTrip, "github.com/aws/aws-sdk-go/aws/request.(*Request).Send"},
			Reasons:  []string{rSelect},
			Category: CatHTTPClientNoTimeout, ContextAware: true, Severity: SevHigh,
			Why: "an AWS SDK for Go v1 request is waiting for the service's response: the v1 SDK's default " +
				"HTTP client has no timeout, and a request sees a context only when made with a " +
				"...WithContext method",
			Fix: fixAWS,
		},
		{
			// elastictransport.(*Client).Perform (go-elasticsearch v8) and
			// estransport.(*Client).Perform (v7).
			ID: "go-elasticsearch.perform", Library: "github.com/elastic/go-elasticsearch",
			Frames:   []string{roundTrip, "github.com/elastic/*.(*Client).Perform"},
			Reasons:  []string{rSelect},
			Category: CatHTTPClientNoTimeout, ContextAware: true, Severity: SevHigh,
			Why: "an Elasticsearch request is waiting for a node's response: the client's transport has no " +
				"response timeout, retries on 502/503/504 and network errors (MaxRetries, default 3), and the " +
				"request's context carries no deadline",
			Fix: fixElastic,
		},
		{
			ID: "olivere-elastic.perform", Library: "github.com/olivere/elastic",
			Frames:   []string{roundTrip, "github.com/olivere/elastic*.(*Client).PerformRequest"},
			Reasons:  []string{rSelect},
			Category: CatHTTPClientNoTimeout, ContextAware: true, Severity: SevHigh,
			Why: "an olivere/elastic request is waiting for a node's response with a context without deadline " +
				"on an http.Client without timeout (the default), retried by the client's Retrier",
			Fix: fixElastic,
		},
	}
}
