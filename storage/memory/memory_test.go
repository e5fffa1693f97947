package memory_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/memory"
	"github.com/wxgate/wxgate/storage/storagetest"
)

func newStore(tb testing.TB) storage.Store {
	s := memory.New()
	tb.Cleanup(func() { s.Close() })
	return s
}

func newKV(tb testing.TB) storage.KV {
	kv := memory.NewKV()
	tb.Cleanup(func() { kv.Close() })
	return kv
}

func TestStore(t *testing.T) {
	storagetest.RunStoreTests(t, func(t *testing.T) storage.Store { return newStore(t) })
}

func TestKV(t *testing.T) {
	storagetest.RunKVTests(t, func(t *testing.T) storage.KV { return newKV(t) })
}

func BenchmarkStore(b *testing.B) {
	storagetest.BenchStore(b, func(b *testing.B) storage.Store { return newStore(b) })
}

func BenchmarkKV(b *testing.B) {
	storagetest.BenchKV(b, func(b *testing.B) storage.KV { return newKV(b) })
}

func TestURLs(t *testing.T) {
	ctx := t.Context()
	for _, url := range []string{"memory", "memory:"} {
		s1, err := storage.Open(ctx, url)
		if err != nil {
			t.Fatalf("Open(%s): %v", url, err)
		}
		defer s1.Close()
		kv1, err := storage.OpenKV(ctx, url)
		if err != nil {
			t.Fatalf("OpenKV(%s): %v", url, err)
		}
		defer kv1.Close()

		// Every Open is a new instance: nothing is shared.
		s2, _ := storage.Open(ctx, url)
		defer s2.Close()
		kv2, _ := storage.OpenKV(ctx, url)
		defer kv2.Close()
		if _, err := s1.AppendEvent(ctx, storage.Event{Type: "login"}); err != nil {
			t.Fatal(err)
		}
		if got, err := s2.ListEvents(ctx, storage.EventFilter{}); err != nil || len(got) != 0 {
			t.Errorf("%s: a second store sees %d events of the first (%v)", url, len(got), err)
		}
		if err := kv1.Set(ctx, "k", []byte("v"), time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, err := kv2.Get(ctx, "k"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("%s: a second KV sees the first's key (%v)", url, err)
		}
	}
	for _, url := range []string{"memory:./wxgate.db", "memory://x", "memory:?size=1"} {
		if _, err := storage.Open(ctx, url); err == nil || !strings.HasPrefix(err.Error(), "memory: ") {
			t.Errorf("Open(%s) = %v, want a memory: error", url, err)
		}
		if _, err := storage.OpenKV(ctx, url); err == nil || !strings.HasPrefix(err.Error(), "memory: ") {
			t.Errorf("OpenKV(%s) = %v, want a memory: error", url, err)
		}
	}
}

func TestKVRefusesNonPositiveTTL(t *testing.T) {
	ctx, kv := t.Context(), newKV(t)
	for _, ttl := range []time.Duration{0, -time.Second} {
		if err := kv.Set(ctx, "k", []byte("v"), ttl); err == nil {
			t.Errorf("Set with TTL %v succeeded", ttl)
		}
		if _, err := kv.Incr(ctx, "n", ttl); err == nil {
			t.Errorf("Incr with TTL %v succeeded", ttl)
		}
	}
	if _, err := kv.Get(ctx, "k"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a refused Set stored the key (%v)", err)
	}
}

func TestKVIncrNotAnInteger(t *testing.T) {
	ctx, kv := t.Context(), newKV(t)
	if err := kv.Set(ctx, "k", []byte("forty-one"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Incr(ctx, "k", time.Hour); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Incr of a non-integer = %v, want an error", err)
	}
	if err := kv.Set(ctx, "k", []byte("41"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if n, err := kv.Incr(ctx, "k", time.Hour); err != nil || n != 42 {
		t.Errorf("Incr of 41 = %d, %v; want 42", n, err)
	}
}
