package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// StoreOpener opens a durable backend from its URL.
type StoreOpener func(ctx context.Context, url string) (Store, error)

// KVOpener opens an ephemeral backend from its URL.
type KVOpener func(ctx context.Context, url string) (KV, error)

var (
	regMu      sync.RWMutex
	storeTypes = map[string]StoreOpener{}
	kvTypes    = map[string]KVOpener{}
)

// RegisterStore makes a durable backend available under a URL scheme. It is
// meant to be called from a backend package's init and panics on a
// duplicate scheme.
func RegisterStore(scheme string, open StoreOpener) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := storeTypes[scheme]; dup {
		panic("storage: RegisterStore called twice for " + scheme)
	}
	storeTypes[scheme] = open
}

// RegisterKV makes an ephemeral backend available under a URL scheme.
func RegisterKV(scheme string, open KVOpener) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := kvTypes[scheme]; dup {
		panic("storage: RegisterKV called twice for " + scheme)
	}
	kvTypes[scheme] = open
}

// Scheme returns the part of a backend URL before the first ':' ("sqlite"
// for "sqlite:./wxgate.db", "memory" for "memory").
func Scheme(url string) string {
	s, _, _ := strings.Cut(url, ":")
	return s
}

// Open opens the durable backend named by url's scheme.
func Open(ctx context.Context, url string) (Store, error) {
	regMu.RLock()
	open, ok := storeTypes[Scheme(url)]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("storage: unknown database %q: use one of %s", Scheme(url), schemes(storeTypes))
	}
	return open(ctx, url)
}

// OpenKV opens the ephemeral backend named by url's scheme.
func OpenKV(ctx context.Context, url string) (KV, error) {
	regMu.RLock()
	open, ok := kvTypes[Scheme(url)]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("storage: unknown cache %q: use one of %s", Scheme(url), schemes(kvTypes))
	}
	return open(ctx, url)
}

func schemes[T any](m map[string]T) string {
	regMu.RLock()
	defer regMu.RUnlock()
	var s []string
	for k := range m {
		s = append(s, k+":")
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
