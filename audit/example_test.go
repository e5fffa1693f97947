package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/wxgate/wxgate/audit"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// A scan of one file's content: the AppSecret is reported redacted, with
// what to do.
func ExampleScanner() {
	s, err := audit.NewScanner(audit.Options{})
	if err != nil {
		panic(err)
	}
	src := "// utils/config.js\nmodule.exports = {\n  appid: 'wx0a1b2c3d4e5f6071',\n  secret: '8e1f4c2b9a7d3e5f0c6b8a2d4f1e3c5a',\n};\n"
	for _, f := range s.ScanBytes("miniprogram/utils/config.js", []byte(src), true) {
		fmt.Printf("%s:%d %s: %s\n  %s\n", f.File, f.Line, f.Kind, f.Message, f.Excerpt)
	}
	// Output:
	// miniprogram/utils/config.js:4 appsecret: AppSecret under "secret" in client-side code
	//   secret: '8e1f…(32)',
}

// An audit of a backend wired to an in-process emulator: the backend
// relays jscode2session's answer with the session_key renamed, which the
// audit finds because it knows every session_key the emulator issued.
func ExampleRun() {
	e, err := emulator.New(emulator.Options{})
	if err != nil {
		panic(err)
	}
	w := audit.NewWitness(e) // the emulator, remembering what it issues
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

	rep, err := audit.Run(context.Background(), audit.AuditOptions{
		Target:      backend.URL,
		Witness:     w,
		MiniProgram: &audit.MiniProgramLogin{Path: "/api/login"},
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
