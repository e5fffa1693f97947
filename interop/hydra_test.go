package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// hydraVersion is the Ory Hydra release the benchmarks compare with; the
// Makefile builds it into .bin/hydra-<version> (`make bench` does).
const hydraVersion = "v2.3.0"

// hydraStack is a running Hydra (public and admin listeners) on a
// PostgreSQL database of its own, with one confidential client.
type hydraStack struct {
	public, admin string
	client        rpClient
	stop          func()
}

// hydraBinary finds the Hydra binary: $WXGATE_HYDRA, else
// .bin/hydra-<hydraVersion> at the repository's root.
func hydraBinary(tb testing.TB) string {
	if p := os.Getenv("WXGATE_HYDRA"); p != "" {
		return p
	}
	p := filepath.Join(repoRoot(tb), ".bin", "hydra-"+hydraVersion)
	out, err := exec.Command(p, "version").Output()
	if err != nil {
		tb.Fatalf("Ory Hydra %s is not built (%v): run `make deps-hydra` (make bench does), which builds it once into .bin", hydraVersion, err)
	}
	if !strings.Contains(string(out), hydraVersion) {
		tb.Fatalf("%s is not Hydra %s:\n%s\nDelete it and run `make deps-hydra`.", p, hydraVersion, out)
	}
	return p
}

// startHydra creates a database for Hydra on the test PostgreSQL server,
// migrates it, starts `hydra serve all` on free ports and registers a
// client. stop ends Hydra and drops the database.
func startHydra(tb testing.TB) (*hydraStack, error) {
	bin := hydraBinary(tb)
	pgURL := postgresURL(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	db := "wxgate_hydra_" + randHex(6)
	adm, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	defer adm.Close(ctx)
	if _, err := adm.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		return nil, fmt.Errorf("creating Hydra's database: %w", err)
	}
	dropDB := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, pgURL); err == nil {
			_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)")
			c.Close(ctx)
		}
	}
	u, _ := url.Parse(pgURL)
	u.Path = "/" + db
	// Hydra's default pool (2 x CPUs connections) deadlocks under 64
	// concurrent logins here: give it the pool wxgate gets.
	dsn := withParam(withParam(withParam(u.String(), "max_conns", strconv.Itoa(benchPool)),
		"max_idle_conns", strconv.Itoa(benchPool)), "max_conn_idle_time", benchIdle)

	publicPort, adminPort := freePort(tb), freePort(tb)
	public := "http://127.0.0.1:" + strconv.Itoa(publicPort)
	admin := "http://127.0.0.1:" + strconv.Itoa(adminPort)
	env := append(os.Environ(),
		"DSN="+dsn,
		"SECRETS_SYSTEM="+randHex(24),
		"URLS_SELF_ISSUER="+public,
		// Never visited: the benchmark reads the challenges from the
		// redirects and accepts them through the admin API.
		"URLS_LOGIN=http://127.0.0.1:9/login",
		"URLS_CONSENT=http://127.0.0.1:9/consent",
		"SERVE_PUBLIC_HOST=127.0.0.1", "SERVE_PUBLIC_PORT="+strconv.Itoa(publicPort),
		"SERVE_ADMIN_HOST=127.0.0.1", "SERVE_ADMIN_PORT="+strconv.Itoa(adminPort),
		"LOG_LEVEL=error",
		"SQA_OPT_OUT=true", // no telemetry
	)
	var migrateOut bytes.Buffer
	mig := exec.CommandContext(ctx, bin, "migrate", "sql", "up", "-e", "--yes")
	mig.Env, mig.Stdout, mig.Stderr = env, &migrateOut, &migrateOut
	if err := mig.Run(); err != nil {
		dropDB()
		return nil, fmt.Errorf("hydra migrate: %w\n%s", err, migrateOut.String())
	}
	logs := &syncBuffer{}
	srv := exec.Command(bin, "serve", "all", "--dev")
	srv.Env, srv.Stdout, srv.Stderr = env, logs, logs
	if err := srv.Start(); err != nil {
		dropDB()
		return nil, fmt.Errorf("starting hydra: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = srv.Wait(); close(done) }()
	h := &hydraStack{public: public, admin: admin}
	h.stop = func() {
		_ = srv.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
		dropDB()
	}
	if err := waitHTTP(ctx, admin+"/health/ready", done); err != nil {
		h.stop()
		return nil, fmt.Errorf("hydra did not become ready: %w\n%s", err, logs.String())
	}

	// One confidential client, as wxgate's benchmark client: code flow with
	// PKCE, refresh tokens, client_secret_basic.
	h.client = rpClient{secret: randHex(16), redirect: "http://127.0.0.1:9/callback"}
	var created struct {
		ClientID string `json:"client_id"`
	}
	err = doJSON(ctx, http.DefaultClient, http.MethodPost, admin+"/admin/clients", map[string]any{
		"client_secret":              h.client.secret,
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"redirect_uris":              []string{h.client.redirect},
		"scope":                      "openid offline_access profile",
		"token_endpoint_auth_method": "client_secret_basic",
	}, &created)
	if err != nil {
		h.stop()
		return nil, fmt.Errorf("registering Hydra's client: %w", err)
	}
	h.client.id = created.ClientID
	h.client.issuer = public
	// Hydra makes its signing key on the first request that needs one,
	// which can fail while it is still being made: ask until it is there.
	for {
		err = h.client.discover(ctx)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			h.stop()
			return nil, fmt.Errorf("hydra's discovery document: %w\n%s", err, logs.String())
		case <-time.After(time.Second):
		}
	}
	return h, nil
}

// login runs Hydra's side of a person's login in browser b, which has
// been sent to the login URL with a login_challenge: the login and then
// the consent are accepted through the admin API, as a login app would.
// It returns where Hydra finally redirects (the client's redirect_uri with
// the code).
func (h *hydraStack) login(ctx context.Context, b *browser, loginURL *url.URL, subject string) (*url.URL, error) {
	challenge := loginURL.Query().Get("login_challenge")
	if challenge == "" {
		return nil, fmt.Errorf("hydra sent the browser to %s, without a login_challenge", loginURL.Redacted())
	}
	var accepted struct {
		RedirectTo string `json:"redirect_to"`
	}
	if err := doJSON(ctx, b.hc, http.MethodPut, h.admin+"/admin/oauth2/auth/requests/login/accept?login_challenge="+url.QueryEscape(challenge),
		map[string]any{"subject": subject}, &accepted); err != nil {
		return nil, fmt.Errorf("accepting the login: %w", err)
	}
	consent, err := b.follow(ctx, accepted.RedirectTo, "consent_challenge")
	if err != nil {
		return nil, err
	}
	challenge = consent.Query().Get("consent_challenge")
	if challenge == "" {
		return nil, fmt.Errorf("hydra sent the browser to %s, without a consent_challenge", consent.Redacted())
	}
	if err := doJSON(ctx, b.hc, http.MethodPut, h.admin+"/admin/oauth2/auth/requests/consent/accept?consent_challenge="+url.QueryEscape(challenge),
		map[string]any{
			"grant_scope": []string{"openid", "offline_access", "profile"},
			"session":     map[string]any{"id_token": map[string]any{"name": "Bench " + subject}},
		}, &accepted); err != nil {
		return nil, fmt.Errorf("accepting the consent: %w", err)
	}
	return b.follow(ctx, accepted.RedirectTo, "code")
}

// doJSON sends in as JSON and decodes a 2xx answer into out.
func doJSON(ctx context.Context, hc *http.Client, method, u string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, u, resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// waitHTTP polls u until it answers 200, ctx ends or exited closes.
func waitHTTP(ctx context.Context, u string, exited <-chan struct{}) error {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errors.New("the process exited")
		case <-tick.C:
		}
	}
}

func freePort(tb testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// postgresURL is the test PostgreSQL server's URL.
func postgresURL(tb testing.TB) string {
	u := os.Getenv("WXGATE_TEST_POSTGRES_URL")
	if u == "" {
		tb.Fatal("WXGATE_TEST_POSTGRES_URL is not set: the benchmarks run wxgate and Hydra on PostgreSQL " +
			"(for example postgres://postgres@127.0.0.1:5432/test?sslmode=disable)")
	}
	return u
}

// repoRoot is the folder holding go.mod above the working directory.
func repoRoot(tb testing.TB) string {
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for root := wd; ; {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return root
		}
		parent := filepath.Dir(root)
		if parent == root {
			tb.Fatalf("no go.mod above %s", wd)
		}
		root = parent
	}
}

func (h *hydraStack) rp() *rpClient { return &h.client }

// signIn: Hydra sends the browser to the login app with a challenge; the
// benchmark's "login app" accepts it for subject person-i.
func (h *hydraStack) signIn(ctx context.Context, b *browser, authURL string, i int) (*url.URL, error) {
	loginURL, err := b.follow(ctx, authURL, "login_challenge")
	if err != nil {
		return nil, err
	}
	return h.login(ctx, b, loginURL, fmt.Sprintf("person-%d", i%256))
}
