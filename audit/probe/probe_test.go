package probe

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/audit"
	"github.com/wxgate/wxgate/audit/internal/codec"
	"github.com/wxgate/wxgate/audit/internal/vulnapp"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

// auditEmulator is an emulator as `wxgate audit` runs it, wrapped in a
// witness and served over HTTP.
func auditEmulator(t *testing.T) (*Witness, string) {
	t.Helper()
	e, err := emulator.New(emulator.Options{Behaviour: emulator.Behaviour{
		RequireState: emulator.SwitchOff, StrictStateCharset: emulator.SwitchOff, JSCodeRateScope: emulator.RateScopeOff,
	}})
	if err != nil {
		t.Fatal(err)
	}
	w := NewWitness(e)
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return w, srv.URL
}

// vulnTarget runs the vulnerable sample backend with the given faults
// against a fresh audit emulator.
func vulnTarget(t *testing.T, faults vulnapp.Fault) (*Witness, string) {
	t.Helper()
	w, emuURL := auditEmulator(t)
	ts := httptest.NewUnstartedServer(nil)
	t.Cleanup(ts.Close)
	host := ts.Listener.Addr().String()
	e := w.Emulator()
	mini, err := e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeMiniProgram, Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	web, err := e.CreateApp(emulator.AppSpec{Type: wechat.AppTypeWebsite, Name: "site", CallbackDomain: host})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = vulnapp.New(vulnapp.Config{
		APIBase: emuURL, OpenBase: emuURL, PublicURL: "http://" + host,
		MiniAppID: mini.AppID, MiniSecret: mini.Secret, WebAppID: web.AppID, WebSecret: web.Secret,
		Faults: faults,
	})
	ts.Start()
	return w, ts.URL
}

func kindsOf(fs []audit.Finding) []audit.Kind {
	var out []audit.Kind
	for _, f := range fs {
		if !slices.Contains(out, f.Kind) {
			out = append(out, f.Kind)
		}
	}
	slices.Sort(out)
	return out
}

// TestAuditFlagsEachFault runs the audit against the sample backend with
// one fault at a time: each fault is flagged, alone, and the fixed
// backend gets nothing.
func TestAuditFlagsEachFault(t *testing.T) {
	tests := []struct {
		name   string
		faults vulnapp.Fault
		want   []audit.Kind
	}{
		{"fixed", vulnapp.None, nil},
		{"relays jscode2session with session_key renamed", vulnapp.RelaySession, []audit.Kind{audit.KindSessionKey}},
		{"secret in a returned URL", vulnapp.SecretInURL, []audit.Kind{audit.KindAppSecret}},
		{"skips the state check", vulnapp.SkipState, []audit.Kind{audit.KindCallbackWithoutState, audit.KindForeignState}},
		{"open redirect", vulnapp.OpenRedirect, []audit.Kind{audit.KindOpenRedirect}},
		{"replays codes", vulnapp.CodeReplay, []audit.Kind{audit.KindCodeReplay}},
		{"everything", vulnapp.All, []audit.Kind{audit.KindAppSecret, audit.KindCallbackWithoutState, audit.KindCodeReplay, audit.KindForeignState, audit.KindOpenRedirect, audit.KindSessionKey}},
	}
	for _, tc := range tests {
		for _, check := range []string{"", "/me"} {
			t.Run(fmt.Sprintf("%s/check=%q", tc.name, check), func(t *testing.T) {
				w, target := vulnTarget(t, tc.faults)
				rep, err := Run(context.Background(), Options{
					Target: target, Witness: w,
					MiniProgram: &MiniProgramLogin{Path: "/api/login"},
					Web:         &WebLogin{Start: "/auth/login", Check: check},
				})
				if err != nil {
					t.Fatal(err)
				}
				want := slices.Clone(tc.want)
				slices.Sort(want)
				if got := kindsOf(rep.Findings); !slices.Equal(got, want) {
					for _, f := range rep.Findings {
						t.Logf("%s %s: %s | %s", f.File, f.Kind, f.Message, f.Excerpt)
					}
					t.Fatalf("kinds = %v, want %v", got, want)
				}
				if len(rep.Checks) != 7 {
					t.Errorf("checks %q, want every step", rep.Checks)
				}
				assertNoSecretPrinted(t, w, rep.Findings)
			})
		}
	}
}

// assertNoSecretPrinted renders the findings in every format and searches
// the output for every secret the emulator issued or holds.
func assertNoSecretPrinted(t *testing.T, w *Witness, fs []audit.Finding) {
	t.Helper()
	var out bytes.Buffer
	for _, f := range []string{audit.FormatText, audit.FormatJSON, audit.FormatSARIF} {
		if err := audit.WriteReport(&out, f, fs, "test"); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range w.secrets() {
		for _, v := range codec.Variants(s.Value) {
			if strings.Contains(out.String(), v.Text) {
				t.Errorf("the report prints a %s (%s form, starts %q)", s.Kind, v.How, v.Text[:4])
			}
		}
	}
}

// TestAuditMiniProgramGET drives a login endpoint that takes the code in
// its query (seed 001's get_openid.php?code=).
func TestAuditMiniProgramGET(t *testing.T) {
	w, target := vulnTarget(t, vulnapp.RelaySession)
	_, err := Run(context.Background(), Options{Target: target, Witness: w, MiniProgram: &MiniProgramLogin{Path: "/nowhere?code={code}"}})
	if err == nil || !strings.Contains(err.Error(), "answered 40") {
		t.Fatalf("a login path that does not exist: err = %v, want the status reported", err)
	}
}

// TestAuditNeedsWorkingLogin: when the normal login does not work, the
// audit is an error, not a clean report.
func TestAuditNeedsWorkingLogin(t *testing.T) {
	w, target := vulnTarget(t, vulnapp.None)
	for _, web := range []*WebLogin{{Start: "/me"}, {Start: "/auth/login", Check: "/nowhere"}} {
		if _, err := Run(context.Background(), Options{Target: target, Witness: w, Web: web}); err == nil {
			t.Errorf("web login %+v: no error", *web)
		}
	}
	if _, err := Run(context.Background(), Options{Target: target, Witness: w}); err == nil {
		t.Error("nothing to audit: no error")
	}
}
