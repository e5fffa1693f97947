package interop

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wxgate/wxgate/emulator"
)

// wxgateBench is the gateway's provider under benchmark: emulator and
// gateway in this process, the gateway on PostgreSQL (a schema of its
// own), one confidential client, 256 WeChat users.
type wxgateBench struct {
	*stack
	client rpClient
	phone  *emulator.Client
	people []string
}

func benchWxgate(b *testing.B) provider {
	return sharedStack(b, &shared.wxgate, startWxgateBench)
}

func startWxgateBench(tb testing.TB) (*wxgateBench, func(), error) {
	pgURL := postgresURL(tb)
	schema := "wxgate_bench_" + randHex(6)
	people := make([]string, 256)
	for i := range people {
		people[i] = fmt.Sprintf("person%d", i)
	}
	secret := randHex(20)
	const redirect = "http://127.0.0.1:9/bench/callback"
	s, err := startStack(tb, stackOptions{
		Database: withParam(withParam(withParam(withParam(pgURL, "schema", schema), "pool_max_conns", strconv.Itoa(benchPool)),
			"pool_max_conn_idle_time", benchIdle), "pool_health_check_period", "1s"),
		People:       people,
		NoRateLimits: true, // 64 people on one loopback address
		Clients: func(string) []oidcClient {
			return []oidcClient{{ID: "bench", Secret: secret, RedirectURIs: []string{redirect},
				Scopes: []string{"openid", "profile", "offline_access"}}}
		},
	})
	if err != nil {
		return nil, nil, err
	}
	w := &wxgateBench{stack: s, people: people,
		phone:  emulator.NewClient(s.emuURL, &http.Client{Transport: benchTransport()}),
		client: rpClient{id: "bench", secret: secret, redirect: redirect, issuer: s.gwURL},
	}
	stop := func() {
		s.stop()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, pgURL); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE")
			c.Close(ctx)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.client.discover(ctx); err != nil {
		stop()
		return nil, nil, err
	}
	return w, stop, nil
}

func (w *wxgateBench) rp() *rpClient { return &w.client }

// signIn: wxgate sends the browser to WeChat's QR page; person i scans
// and confirms on the phone (the emulator's control API), and the browser
// goes where WeChat sends it: the gateway's callback, the resumed
// authorization, the client.
func (w *wxgateBench) signIn(ctx context.Context, b *browser, authURL string, i int) (*url.URL, error) {
	back := func(u *url.URL) bool { return strings.HasPrefix(u.String(), w.client.redirect+"?") }
	at, header, err := b.walk(ctx, authURL, back)
	if err != nil {
		return nil, err
	}
	if back(at) {
		return at, nil
	}
	uuid := header.Get("X-Wxemu-Uuid")
	if uuid == "" {
		return nil, fmt.Errorf("the authorization request ended on %s, not WeChat's QR page", at.Redacted())
	}
	person := w.people[i%len(w.people)]
	if err := w.phone.Scan(ctx, uuid, person); err != nil {
		return nil, err
	}
	redirect, err := w.phone.Confirm(ctx, uuid, person)
	if err != nil {
		return nil, err
	}
	at, _, err = b.walk(ctx, redirect, back)
	if err != nil {
		return nil, err
	}
	if !back(at) {
		return nil, fmt.Errorf("after WeChat's confirmation the browser ended on %s, not back at the client", at.Redacted())
	}
	return at, nil
}

// withParam adds a query parameter to a URL.
func withParam(raw, k, v string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}
