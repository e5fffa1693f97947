package session_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/wxgate/wxgate/session"
	"github.com/wxgate/wxgate/storage/memory"
)

// A Go service behind wxgate verifies its users' sessions in-process,
// reading the gateway's database (here an in-memory store).
func Example() {
	store := memory.New() // in production: storage.Open(ctx, "postgres://...")
	v := session.NewVerifier(session.Options{
		Store:       store,
		IdleTimeout: 24 * time.Hour,
		CacheTTL:    2 * time.Second,
	})
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		userID, _ := session.UserID(r.Context())
		fmt.Fprintf(w, "orders of %s", userID)
	})
	mux := http.NewServeMux()
	mux.Handle("/orders", v.Require(orders))

	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/orders", nil))
	fmt.Println(w.Code)
	// Output: 401
}
