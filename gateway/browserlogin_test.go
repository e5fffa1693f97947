package gateway

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage/memory"
)

// newTestFlow is a callbackFlow on a memory cache with a reversible
// "sealing", for the state machine's own tests.
func newTestFlow(kv *memory.KV, state, binding, code string) *callbackFlow {
	ch := sha256.Sum256([]byte(code))
	return &callbackFlow{
		kv:       kv,
		seal:     func(p, aad []byte) ([]byte, error) { return append([]byte("sealed:"), p...), nil },
		open:     func(c, aad []byte) ([]byte, error) { return c[len("sealed:"):], nil },
		state:    state,
		binding:  hashBinding(binding),
		codeHash: ch[:],
	}
}

func startTestLogin(t *testing.T, kv *memory.KV, state, binding string) {
	t.Helper()
	b, _ := json.Marshal(loginState{App: "web", ReturnTo: "/home", Binding: hashBinding(binding), Flow: flowQR})
	if err := kv.Set(context.Background(), stateKey(state), b, stateTTL); err != nil {
		t.Fatal(err)
	}
}

const testState = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"

func TestCallbackFlowFirstTakesOnce(t *testing.T) {
	ctx := context.Background()
	kv := memory.NewKV()
	startTestLogin(t, kv, testState, "browser-1")
	f := newTestFlow(kv, testState, "browser-1", "code-1")
	if first, err := f.claim(ctx); err != nil || !first {
		t.Fatalf("claim = %v, %v; want the first", first, err)
	}
	rec, err := f.take(ctx)
	if err != nil || rec.App != "web" || rec.ReturnTo != "/home" {
		t.Fatalf("take = %+v, %v", rec, err)
	}
	// The state is spent: a second take (a replay after the claim
	// expired) finds nothing.
	if _, err := newTestFlow(kv, testState, "browser-1", "code-1").take(ctx); kindOf(err) != errStateExpired {
		t.Errorf("second take: %v, want state_expired", err)
	}
}

// A state started in one browser and brought back by another logs in
// nobody, and its duplicates get the same refusal.
func TestCallbackFlowOtherBrowser(t *testing.T) {
	ctx := context.Background()
	kv := memory.NewKV()
	startTestLogin(t, kv, testState, "victim")
	f := newTestFlow(kv, testState, "attacker", "code-1")
	if first, _ := f.claim(ctx); !first {
		t.Fatal("not first")
	}
	if _, err := f.take(ctx); kindOf(err) != errStateMismatch {
		t.Fatalf("take from another browser: %v, want state_mismatch", err)
	}
	dup := newTestFlow(kv, testState, "attacker", "code-1")
	if first, _ := dup.claim(ctx); first {
		t.Fatal("a duplicate claimed the state again")
	}
	d, err := dup.await(ctx)
	if err != nil || d.Failed != errStateMismatch || d.Token != "" {
		t.Errorf("duplicate got %+v, %v; want the first's state_mismatch", d, err)
	}
}

// A duplicate from the same browser with the same code waits for the
// first callback and gets its session; another browser or another code
// gets nothing.
func TestCallbackFlowDuplicates(t *testing.T) {
	ctx := context.Background()
	kv := memory.NewKV()
	startTestLogin(t, kv, testState, "browser-1")
	f := newTestFlow(kv, testState, "browser-1", "code-1")
	f.claim(ctx)
	rec, err := f.take(ctx)
	if err != nil {
		t.Fatal(err)
	}

	same := newTestFlow(kv, testState, "browser-1", "code-1")
	if first, _ := same.claim(ctx); first {
		t.Fatal("the duplicate claimed the state")
	}
	var wg sync.WaitGroup
	var got duplicate
	var gotErr error
	wg.Add(1)
	go func() { defer wg.Done(); got, gotErr = same.await(ctx) }()
	exp := time.Unix(2000000000, 0)
	if err := f.succeed(ctx, "wxgs_token", exp, rec); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if gotErr != nil || got.Token != "wxgs_token" || !got.Expires.Equal(exp) || got.ReturnTo != "/home" || got.Flow != flowQR {
		t.Errorf("duplicate got %+v, %v", got, gotErr)
	}

	for name, other := range map[string]*callbackFlow{
		"another browser": newTestFlow(kv, testState, "browser-2", "code-1"),
		"another code":    newTestFlow(kv, testState, "browser-1", "code-2"),
	} {
		if _, err := other.await(ctx); !errors.Is(err, errReplayed) {
			t.Errorf("%s: %v, want errReplayed", name, err)
		}
	}
}

// A duplicate whose first callback never finishes gives up with
// callback_pending when its context ends; one whose claim is gone gets
// state_expired.
func TestCallbackFlowPendingAndGone(t *testing.T) {
	kv := memory.NewKV()
	startTestLogin(t, kv, testState, "b")
	f := newTestFlow(kv, testState, "b", "c")
	f.claim(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := newTestFlow(kv, testState, "b", "c").await(ctx); kindOf(err) != errCallbackPending {
		t.Errorf("await with the first still running: %v, want callback_pending", err)
	}
	kv.Delete(context.Background(), callbackKey(testState))
	if _, err := newTestFlow(kv, testState, "b", "c").await(context.Background()); kindOf(err) != errStateExpired {
		t.Errorf("await without a claim: %v, want state_expired", err)
	}
}
