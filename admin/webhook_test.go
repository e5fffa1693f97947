package admin_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/wxgate/wxgate/admin"
)

// The receiver fails twice; the third delivery lands, signed so that the
// receiver's check passes, and the body names both ids.
func TestWebhookRetriesAndSigns(t *testing.T) {
	const secret = "webhook-secret-0123456789abcdef0123"
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var mu sync.Mutex
	calls := 0
	var got []byte
	var sig string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls < 3 {
			w.WriteHeader(503)
			return
		}
		got, _ = io.ReadAll(r.Body)
		sig = r.Header.Get("X-Wxgate-Signature")
	}))
	defer srv.Close()
	wh := &admin.Webhook{URL: srv.URL, Secret: func() (string, error) { return secret, nil },
		Backoff: time.Millisecond, Now: func() time.Time { return at }}
	wh.Send("user.merged", map[string]string{"from": "usr-a", "into": "usr-b"})
	wh.Wait()
	if calls != 3 {
		t.Fatalf("%d deliveries, want 3", calls)
	}
	if want := admin.Sign(secret, at, got); sig != want || sig == "" {
		t.Errorf("signature %q, want %q", sig, want)
	}
	if admin.Sign("other", at, got) == sig {
		t.Errorf("the signature does not depend on the secret")
	}
	var body struct {
		ID, Type string
		Data     map[string]string
	}
	if err := json.Unmarshal(got, &body); err != nil || body.Type != "user.merged" || body.Data["from"] != "usr-a" || body.Data["into"] != "usr-b" || body.ID == "" {
		t.Errorf("body %s: %v", got, err)
	}
}

// A receiver that never answers 2xx gets the configured attempts, then
// the webhook gives up.
func TestWebhookGivesUp(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		w.WriteHeader(500)
	}))
	defer srv.Close()
	wh := &admin.Webhook{URL: srv.URL, Secret: func() (string, error) { return "s", nil }, Attempts: 3, Backoff: time.Millisecond}
	wh.Send("user.merged", map[string]string{"from": "a", "into": "b"})
	wh.Wait()
	if calls != 3 {
		t.Errorf("%d deliveries, want 3", calls)
	}
}
