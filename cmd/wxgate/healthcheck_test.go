package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	defer ok.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer bad.Close()
	for _, tc := range []struct {
		url  string
		code int
		want string
	}{
		{ok.URL + "/healthz", 0, ": ok"},
		{bad.URL + "/healthz", 1, "503"},
		{"http://127.0.0.1:1/healthz", 1, "no answer"},
		{"::not a url", 2, "healthcheck"},
	} {
		var out bytes.Buffer
		code := run(context.Background(), []string{"healthcheck", "--url", tc.url}, &out, &out)
		if code != tc.code || !strings.Contains(out.String(), tc.want) {
			t.Errorf("%s: exit %d %q, want %d and %q", tc.url, code, out.String(), tc.code, tc.want)
		}
	}
}
