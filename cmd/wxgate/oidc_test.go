package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOIDCClients(t *testing.T) {
	dir := t.TempDir()
	secret := "c0ffee" + strings.Repeat("9", 40)
	if err := os.WriteFile(filepath.Join(dir, "grafana.secret"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "wxgate.yaml")
	y := `public_url: https://login.example.com
apps:
  - name: web
    type: website
    appid: wx0123456789abcdef
    secret_file: ` + filepath.Join(dir, "grafana.secret") + `
oidc:
  clients:
    - id: grafana
      name: Grafana
      secret_file: ` + filepath.Join(dir, "grafana.secret") + `
      redirect_uris: [https://grafana.example.com/login/generic_oauth]
      scopes: [openid, profile, offline_access]
    - id: kubectl
      public: true
      redirect_uris: [http://localhost:8000]
      subject_type: pairwise
`
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if err := oidcCommand.run(context.Background(), []string{"clients", "--config", cfg}, &out, &errOut); err != nil {
		t.Fatalf("oidc clients: %v\n%s", err, errOut.String())
	}
	got := out.String()
	for _, want := range []string{"issuer https://login.example.com, signing RS256, access tokens opaque",
		"grafana", "Grafana", "confidential", "file " + filepath.Join(dir, "grafana.secret"), "openid profile offline_access",
		"https://grafana.example.com/login/generic_oauth", "kubectl", "public (PKCE)", "pairwise", "1h/1h/720h"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got+errOut.String(), secret) {
		t.Error("the client secret is printed")
	}

	// A broken configuration: every problem at once, nothing listed.
	if err := os.WriteFile(cfg, []byte(strings.ReplaceAll(strings.ReplaceAll(y, "openid, profile", "email"), "id: kubectl", "id: Kube Ctl")), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err := oidcCommand.run(context.Background(), []string{"clients", "--config", cfg}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "must include openid") || !strings.Contains(err.Error(), "not a valid client id") || !strings.Contains(err.Error(), `"email" is not a scope`) {
		t.Errorf("broken configuration: %v", err)
	}
	if err := oidcCommand.run(context.Background(), []string{"nope"}, &out, &errOut); err == nil {
		t.Error("an unknown subcommand succeeded")
	}
}
