// Package storagetest is the one conformance suite every storage backend
// passes: RunStoreTests for a durable storage.Store, RunKVTests for an
// ephemeral storage.KV, and BenchStore and BenchKV for the figures that
// matter on the login path.
//
// The suite tests the contract written in package storage's doc comments,
// never an implementation, so a new backend's test file is a few lines:
//
//	func TestStore(t *testing.T) {
//		storagetest.RunStoreTests(t, func(t *testing.T) storage.Store {
//			s, err := mybackend.Open(t.Context(), url)
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Expiry is observed with short TTLs and bounded polling, never by sleeping
// for a guessed time, and concurrency checks start their goroutines
// together on a closed channel, so the suite is meant to run with -race.
package storagetest
