package signing

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage/memory"
)

// benchBody is a typical signed API body (a phone-number request).
var benchBody = []byte(`{"app":"shop","code":"` + strings.Repeat("c", 32) + `","encrypted_data":"` + strings.Repeat("A", 160) + `"}`)

func benchRequest(b *testing.B) *http.Request {
	r, err := http.NewRequest("POST", "https://login.example.com/auth/miniprogram/phone?app=shop", nil)
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// BenchmarkSign is a client's cost of signing one request.
func BenchmarkSign(b *testing.B) {
	r, key, now := benchRequest(b), NewKey(), time.Unix(1_700_000_000, 0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := Sign(r, benchBody, key, now, "bench-nonce-"+strconv.Itoa(100000+i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the gateway's cost of request signing per request:
// header checks, canonical string, HMAC and recording the nonce in the
// memory KV. The requests are signed in batches outside the timer.
func BenchmarkVerify(b *testing.B) {
	kv := memory.NewKV()
	defer kv.Close()
	key, now := NewKey(), time.Unix(1_700_000_000, 0)
	v := &Verifier{Nonces: kv, Now: func() time.Time { return now }}
	ctx := context.Background()
	const batch = 1024
	reqs := make([]*http.Request, batch)
	for i := range reqs {
		reqs[i] = benchRequest(b)
	}
	sign := func(base int) {
		for j, r := range reqs {
			if err := Sign(r, benchBody, key, now, "bench-nonce-"+strconv.Itoa(1_000_000+base+j)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%batch == 0 {
			b.StopTimer()
			sign(i)
			b.StartTimer()
		}
		if err := v.Verify(ctx, reqs[i%batch], benchBody, key); err != nil {
			b.Fatal(err)
		}
	}
}
