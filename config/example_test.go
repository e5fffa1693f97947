package config_test

import (
	"errors"
	"fmt"

	"github.com/wxgate/wxgate/config"
)

// The gateway loads its file with the process environment: config.Load(path,
// os.LookupEnv). Here a map stands in for the environment.
func ExampleParse() {
	env := map[string]string{
		"WEB_SECRET":    "0123456789abcdef0123456789abcdef",
		"WXGATE_LISTEN": "127.0.0.1:9000", // overrides listen:
	}
	lookupEnv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	cfg, err := config.Parse([]byte(`
public_url: https://login.example.com
apps:
  - name: web
    type: website
    appid: wx0123456789abcdef
    secret_env: WEB_SECRET
`), lookupEnv)
	if err != nil {
		fmt.Println(err)
		return
	}
	web, _ := cfg.App("web")
	fmt.Println(cfg.Listen, cfg.Database, cfg.Sessions.IdleTimeout)
	fmt.Println(web.AppID, web.AppSecret()) // the secret prints redacted
	// Output:
	// 127.0.0.1:9000 sqlite:./wxgate.db 24h
	// wx0123456789abcdef [redacted]
}

// Every problem comes back at once, each with its place and what to do.
func ExampleProblems() {
	_, err := config.Parse([]byte(`
apps:
  - name: web
    type: website
    appid: wx0123456789abcdef
    secret: 0123456789abcdef0123456789abcdef
    scope: snsapi_base
sessions:
  idle_timeout: 1d
`), func(string) (string, bool) { return "", false })

	var problems config.Problems
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Println(p)
		}
	}
	// Output:
	// line 9: sessions.idle_timeout: "1d" is not a duration: there is no day or week unit; write hours, e.g. 720h for 30 days
	// line 7: apps[0] (web).scope: applies to official_account apps only; remove it from this website app
	// line 6: apps[0] (web).secret: a literal secret is refused outside dev mode; put it in an environment variable and set secret_env, or in a file and set secret_file
}
