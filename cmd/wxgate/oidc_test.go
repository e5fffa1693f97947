package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestServeMountsTheProvider runs `wxgate serve` with an OpenID client
// configured: the discovery document is served at the issuer.
func TestServeMountsTheProvider(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "wxgate.yaml")
	y := fmt.Sprintf(`listen: %s
public_url: http://%s
dev: true
database: sqlite:%s/db
keys_file: %s/keys
apps:
  - name: web
    type: website
    appid: wx0123456789abcdef
    secret: 0123456789abcdef0123456789abcdef
oidc:
  clients:
    - id: app
      secret: a-dev-secret
      redirect_uris: [http://127.0.0.1:9/cb]
`, addr, addr, dir, dir)
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out, errOut syncWriter
	out.w, errOut.w = &bytes.Buffer{}, &bytes.Buffer{}
	go func() { done <- serveCommand.run(ctx, []string{"--config", cfg}, &out, &errOut) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("serve: %v\n%s", err, errOut.String())
		}
	}()
	var doc struct {
		Issuer string `json:"issuer"`
		Token  string `json:"token_endpoint"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/.well-known/openid-configuration")
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped: %v\n%s", err, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no discovery document within 30 s: %v\n%s", err, errOut.String())
		}
		time.Sleep(50 * time.Millisecond) // polling for the server to come up
	}
	if doc.Issuer != "http://"+addr || doc.Token != "http://"+addr+"/oauth2/token" {
		t.Errorf("discovery: %+v", doc)
	}
	if strings.Contains(out.String()+errOut.String(), "a-dev-secret") {
		t.Error("serve printed the client secret")
	}
}
