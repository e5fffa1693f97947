package oidc_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzTokenRequest sends arbitrary bodies and client credentials to the
// token endpoint: every answer is a 4xx JSON error (no valid code can be
// guessed), never a 5xx or a panic.
func FuzzTokenRequest(f *testing.F) {
	s := newStack(f)
	f.Add("grant_type=authorization_code&code=abc&redirect_uri=x", "site", siteSecret)
	f.Add("grant_type=refresh_token&refresh_token=wxrt_AAAA", "site", siteSecret)
	f.Add("grant_type=client_credentials&scope=openid", "other", otherSecret)
	f.Add("grant_type=authorization_code&code=%zz", "", "")
	f.Add("grant_type=password&username=a&password=b", "spa", "")
	f.Add(strings.Repeat("a=b&", 1000), "site", "x")
	f.Fuzz(func(t *testing.T, body, id, secret string) {
		req := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if id != "" {
			req.SetBasicAuth(id, secret)
		}
		w := httptest.NewRecorder()
		s.gw.ServeHTTP(w, req)
		if w.Code < 400 || w.Code >= 500 {
			t.Fatalf("token %q: status %d %s", body, w.Code, w.Body)
		}
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
			t.Fatalf("token %q: not an OAuth error: %s", body, w.Body)
		}
	})
}

// FuzzAuthorizeRedirect sends arbitrary queries to /oauth2/authorize: it
// never redirects anywhere but a registered redirect URI or its own login
// hand-off, and never fails with a 5xx.
func FuzzAuthorizeRedirect(f *testing.F) {
	s := newStack(f)
	f.Add("client_id=site&redirect_uri=" + siteCallback + "&response_type=code&scope=openid")
	f.Add("client_id=site&redirect_uri=https://evil.example/&response_type=code&scope=openid")
	f.Add("client_id=spa&redirect_uri=" + spaCallback + "&response_type=code&scope=openid&code_challenge_method=plain&code_challenge=x")
	f.Add("client_id=site&redirect_uri=" + siteCallback + "%2F..%2F..&response_type=token&scope=openid&prompt=none")
	f.Add("request=eyJhbGciOiJub25lIn0.e30.&client_id=site")
	f.Add("client_id=site&redirect_uri=" + siteCallback + "&response_type=code&scope=openid&response_mode=form_post")
	allowed := []string{siteCallback + "?", siteCallback + "#", spaCallback + "?", spaCallback + "#", otherCallback + "?", otherCallback + "#", s.url + "/oauth2/login?id="}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", "/oauth2/authorize", nil)
		req.URL.RawQuery = query
		w := httptest.NewRecorder()
		s.gw.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("authorize %q: %d %s", query, w.Code, w.Body)
		}
		if w.Code >= 300 && w.Code < 400 {
			loc := w.Header().Get("Location")
			ok := false
			for _, a := range allowed {
				ok = ok || strings.HasPrefix(loc, a)
			}
			if !ok {
				t.Fatalf("authorize %q redirected to %q", query, loc)
			}
		}
		if w.Code == http.StatusOK && strings.Contains(w.Body.String(), "<form") {
			// form_post answers post to the registered URI only
			if !strings.Contains(w.Body.String(), siteCallback) && !strings.Contains(w.Body.String(), spaCallback) && !strings.Contains(w.Body.String(), otherCallback) {
				t.Fatalf("authorize %q: a form to elsewhere: %s", query, w.Body)
			}
		}
	})
}
