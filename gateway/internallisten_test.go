package gateway

import (
	"net/http/httptest"
	"testing"
)

// With internal.listen, /internal/ and /metrics leave the public listener
// and are served by InternalHandler only.
func TestInternalListener(t *testing.T) {
	h := newHarness(t, withYAML("internal:\n  api_key_env: INTERNAL_KEY\n  listen: 127.0.0.1:0\n"))
	key := []string{"Authorization", "Bearer " + h.env["INTERNAL_KEY"]}
	for _, p := range []string{"/metrics", "/internal/wechat/access_token?app=mp", "/internal/../metrics", "//metrics"} {
		if a := h.do("GET", p, nil, key...); a.status != 404 && a.status != 301 {
			t.Errorf("public %s = %d, want 404", p, a.status)
		}
	}
	if a := h.do("POST", "/internal/wechat/access_token/refresh", `{"app":"mp","refused_token":"x"}`, key...); a.status != 404 {
		t.Errorf("public refresh = %d, want 404", a.status)
	}
	h.wantStatus(h.do("GET", "/healthz", nil), 200, "")
	in := h.gw.InternalHandler()
	get := func(p string, hdr ...string) int {
		r := httptest.NewRequest("GET", p, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		w := httptest.NewRecorder()
		in.ServeHTTP(w, r)
		return w.Code
	}
	for p, want := range map[string]int{
		"/metrics": 200, "/internal/wechat/access_token?app=mp": 200, "/healthz": 200, "/readyz": 200,
		"/auth/me": 404, "/auth/wechat/login?app=web": 404, "/": 404,
	} {
		if got := get(p, key...); got != want {
			t.Errorf("internal %s = %d, want %d", p, got, want)
		}
	}
	if got := get("/internal/wechat/access_token?app=mp"); got != 401 {
		t.Errorf("internal listener without the key = %d, want 401", got)
	}
}
