package interop

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestOpenIDClient runs openid-client 6 (npm, an OpenID-certified relying
// party, unmodified) against wxgate's provider: discovery, a person's
// login through WeChat's QR with PKCE, id_token validation, userinfo,
// single sign-on, refresh token rotation and reuse, introspection,
// revocation, RP-initiated logout, prompt=none, a public client; and no
// answer carrying the person's openid or unionid or a secret. The checks
// are node:test tests in testdata/openidclient/rp.test.mjs.
//
// `make test` installs openid-client (npm ci in testdata/openidclient);
// the test fails, not skips, when it or Node is missing.
func TestOpenIDClient(t *testing.T) {
	dir := filepath.Join("testdata", "openidclient")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the openid-client test needs Node.js 20 or later")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "openid-client")); err != nil {
		t.Fatalf("openid-client is not installed: run `make interop` (or `npm ci --prefix %s`)", dir)
	}
	const person = "meimei"
	s := startTestStack(t, stackOptions{
		People: []string{person},
		Clients: func(gw string) []oidcClient {
			return []oidcClient{
				{ID: "node-rp", Name: "openid-client", Secret: randHex(20),
					RedirectURIs:           []string{"http://127.0.0.1:9/rp/callback"},
					PostLogoutRedirectURIs: []string{"http://127.0.0.1:9/rp/"},
					Scopes:                 []string{"openid", "profile", "offline_access"}},
				{ID: "node-spa", Name: "openid-client (public)", Public: true,
					RedirectURIs: []string{"http://127.0.0.1:9/rp/callback"},
					Scopes:       []string{"openid", "profile", "offline_access"}},
			}
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	id, err := s.emu.Identity(ctx, person, s.web.AppID)
	if err != nil {
		t.Fatal(err)
	}
	rp := s.client("node-rp")
	secrets := map[string]string{"openid": id.OpenID, "unionid": id.UnionID, "AppSecret": s.web.Secret, "client secret": rp.Secret}
	forbidden, _ := json.Marshal([]string{id.OpenID, id.UnionID, s.web.Secret, rp.Secret})

	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "rp.test.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"WXGATE_ISSUER="+s.gwURL,
		"WXGATE_EMULATOR="+s.emuURL,
		"WXGATE_CLIENT_ID="+rp.ID,
		"WXGATE_CLIENT_SECRET="+rp.Secret,
		"WXGATE_PUBLIC_CLIENT_ID=node-spa",
		"WXGATE_REDIRECT_URI="+rp.RedirectURIs[0],
		"WXGATE_POST_LOGOUT_URI="+rp.PostLogoutRedirectURIs[0],
		"WXGATE_PERSON="+person,
		"WXGATE_FORBIDDEN="+string(forbidden),
	)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test rp.test.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("openid-client's checks failed: %v", err)
	}
	// node:test's summary: every test passed, and enough of them ran.
	pass := regexp.MustCompile(`(?m)^ℹ pass (\d+)$`).FindSubmatch(out)
	fail := regexp.MustCompile(`(?m)^ℹ fail (\d+)$`).FindSubmatch(out)
	if pass == nil || fail == nil {
		t.Fatalf("no node:test summary in the output")
	}
	if n, _ := strconv.Atoi(string(pass[1])); n < 12 {
		t.Errorf("only %d checks passed", n)
	}
	if string(fail[1]) != "0" {
		t.Errorf("%s checks failed", fail[1])
	}
	assertNoLeak(t, "the gateway's logs", s.logs.String(), secrets)
	assertNoLeak(t, "the libraries' logs", libLogs.String(), secrets)
}
