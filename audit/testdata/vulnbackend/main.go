// Command vulnbackend runs the deliberately vulnerable WeChat login backend
// of audit/internal/vulnapp, for trying `wxgate audit` by hand (see
// docs/audit.md). It reads its apps from the same fixture the audit's
// emulator loads. Never expose it.
//
//	go run ./audit/testdata/vulnbackend --faults all
//	wxgate audit --target http://127.0.0.1:8081 --fixture audit/testdata/vulnbackend/fixture.yaml \
//	    --miniprogram-login /api/login --web-login /auth/login --web-check /me
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/wxgate/wxgate/audit/internal/vulnapp"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on (the fixture's callback domain)")
	wechatBase := flag.String("wechat", "http://127.0.0.1:9000", "WeChat's base URL: the emulator `wxgate audit` runs")
	fixture := flag.String("fixture", "audit/testdata/vulnbackend/fixture.yaml", "the apps")
	faults := flag.String("faults", "all", "comma-separated faults: relay, secret-url, skip-state, open-redirect, code-replay, all, none")
	flag.Parse()
	fx, err := emulator.LoadFixture(*fixture)
	if err != nil {
		log.Fatal(err)
	}
	cfg := vulnapp.Config{APIBase: *wechatBase, OpenBase: *wechatBase, PublicURL: "http://" + *addr}
	for _, a := range fx.Apps {
		switch a.Type {
		case wechat.AppTypeMiniProgram:
			cfg.MiniAppID, cfg.MiniSecret = a.AppID, a.Secret
		case wechat.AppTypeWebsite:
			cfg.WebAppID, cfg.WebSecret = a.AppID, a.Secret
		}
	}
	names := map[string]vulnapp.Fault{"relay": vulnapp.RelaySession, "secret-url": vulnapp.SecretInURL, "skip-state": vulnapp.SkipState,
		"open-redirect": vulnapp.OpenRedirect, "code-replay": vulnapp.CodeReplay, "all": vulnapp.All, "none": vulnapp.None}
	for _, f := range strings.Split(*faults, ",") {
		v, ok := names[strings.TrimSpace(f)]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown fault %q\n", f)
			os.Exit(2)
		}
		cfg.Faults |= v
	}
	log.Printf("vulnerable sample backend on http://%s (faults %s), WeChat at %s", *addr, *faults, *wechatBase)
	srv := &http.Server{Addr: *addr, Handler: vulnapp.New(cfg), ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
