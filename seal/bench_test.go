package seal

import (
	"bytes"
	"testing"
)

// The benchmarks measure one value of 64 bytes, about the size of what
// wxgate seals per request (an openid is 28 bytes, a session_key 24, a
// WeChat access_token about 100), with an aad of the form callers use.

var (
	benchPlain = bytes.Repeat([]byte("p"), 64)
	benchAAD   = []byte("identity/1234567890/openid")
)

func BenchmarkSeal(b *testing.B) {
	k := testKeyring(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPlain)))
	for b.Loop() {
		if _, err := k.Seal(benchPlain, benchAAD); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	k := testKeyring(b)
	blob, err := k.Seal(benchPlain, benchAAD)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPlain)))
	for b.Loop() {
		if _, err := k.Open(blob, benchAAD); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIndex(b *testing.B) {
	k := testKeyring(b)
	value := string(benchPlain)
	b.ReportAllocs()
	b.SetBytes(int64(len(value)))
	for b.Loop() {
		k.Index("openid", value)
	}
}
