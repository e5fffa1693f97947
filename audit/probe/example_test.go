package probe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/wxgate/wxgate/audit/probe"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// An audit of a backend wired to an in-process emulator: the backend
// relays jscode2session's answer with the session_key renamed, which the
// audit finds because it knows every session_key the emulator issued.
func ExampleRun() {
	e, err := emulator.New(emulator.Options{})
	if err != nil {
		panic(err)
	}
	w := probe.NewWitness(e) // the emulator, remembering what it issues
	emu := httptest.NewServer(w)
	defer emu.Close()
	app, err := e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMiniProgram})
	if err != nil {
		panic(err)
	}
	// The backend under audit: POST /api/login {"code"} relays WeChat's
	// answer, session_key renamed to "sk".
	backend := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var req struct{ Code string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		q := url.Values{"appid": {app.AppID}, "secret": {app.Secret}, "js_code": {req.Code}, "grant_type": {"authorization_code"}}
		resp, err := http.Get(emu.URL + "/sns/jscode2session?" + q.Encode())
		if err != nil {
			http.Error(rw, "wechat unavailable", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var ans map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&ans)
		ans["sk"] = ans["session_key"]
		delete(ans, "session_key")
		_ = json.NewEncoder(rw).Encode(ans)
	}))
	defer backend.Close()

	rep, err := probe.Run(context.Background(), probe.Options{
		Target:      backend.URL,
		Witness:     w,
		MiniProgram: &probe.MiniProgramLogin{Path: "/api/login"},
	})
	if err != nil {
		panic(err)
	}
	for _, f := range rep.Findings {
		fmt.Println(f.Kind, "-", f.Message)
	}
	// Output:
	// session_key - the known session_key (issued by jscode2session) in the backend's answer
}
