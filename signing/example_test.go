package signing_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wxgate/wxgate/signing"
	"github.com/wxgate/wxgate/storage/memory"
)

// A login hands the client a key; the client signs each request with it;
// the gateway verifies each request once.
func Example() {
	// At login: a fresh key per session, kept (sealed) with the session
	// and sent to the client once as a string.
	key := signing.NewKey()
	sent := signing.KeyString(key)

	// The client signs a request with the key string it received.
	clientKey, _ := signing.ParseKey(sent)
	body := []byte(`{"app":"shop","encrypted_data":"..."}`)
	req, _ := http.NewRequest("POST", "https://login.example.com/auth/miniprogram/decrypt", strings.NewReader(string(body)))
	if err := signing.Sign(req, body, clientKey, time.Now(), ""); err != nil {
		panic(err)
	}

	// The gateway verifies it with the session's key and its KV.
	v := &signing.Verifier{Nonces: memory.NewKV()}
	fmt.Println(v.Verify(context.Background(), req, body, key))
	fmt.Println(v.Verify(context.Background(), req, body, key)) // the same request again
	// Output:
	// <nil>
	// signing: nonce already used
}

// Canonical shows client authors the string they must sign.
func ExampleCanonical() {
	c, _ := signing.Canonical("GET", "/api/orders", "page=2&sort=new+first", "1700000000", "n0nce-0123456789ABCDEF", nil)
	fmt.Println(c)
	// Output:
	// GET
	// /api/orders
	// page=2&sort=new%20first
	// 1700000000
	// n0nce-0123456789ABCDEF
	// e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
}
