package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/wxgate/wxgate/audit"
	"github.com/wxgate/wxgate/audit/probe"
	"github.com/wxgate/wxgate/emulator"
	"github.com/wxgate/wxgate/wechat"
)

var auditCommand = command{
	summary: "probe a running backend's WeChat logins for leaks and OAuth attacks",
	run:     runAudit,
}

// auditOptions are the audit subcommand's flags.
type auditOptions struct {
	target         string
	appid          string
	secretEnv      string
	secretFile     string
	appType        string
	callbackDomain string
	fixture        string
	emulatorAddr   string
	mpLogin        string
	codeField      string
	loginBody      string
	webLogin       string
	returnParam    string
	webCheck       string
	format         string
	timeout        time.Duration
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit", "--target URL [flags]", `Runs the WeChat emulator on --emulator-addr and drives a backend that has
been pointed at it (its WeChat API and open-platform bases set to the
emulator's URL) through its logins: the mini-program login (--miniprogram-login)
and the website login (--web-login), playing the mini-program, the browser and
the phone. Every byte the backend answers is searched, under any field name and
in any encoding, for the session_keys, tokens and AppSecrets the emulator
issued or holds; then the website login is attacked: a callback without state,
another browser's state (login CSRF), a replayed code, an open redirect through
the return parameter.

The emulator must know the backend's app: give --appid with --secret-env or
--secret-file (never the secret itself on the command line), or a --fixture
with the apps. Exit status: 0 nothing found, 1 findings, 2 error. See
docs/audit.md for the workflow.`, stderr)
	var o auditOptions
	fs.StringVar(&o.target, "target", "", "base `URL` of the backend under audit (required)")
	fs.StringVar(&o.appid, "appid", "", "the backend's `appid`, registered in the emulator with the secret below")
	fs.StringVar(&o.secretEnv, "secret-env", "", "environment variable `NAME` holding the app's secret")
	fs.StringVar(&o.secretFile, "secret-file", "", "`file` holding the app's secret")
	fs.StringVar(&o.appType, "app-type", "", "the app's `type`: miniprogram, website or official_account (default: website for --web-login alone, else miniprogram)")
	fs.StringVar(&o.callbackDomain, "callback-domain", "", "callback `domain` of a website or official-account app (default: the target's host)")
	fs.StringVar(&o.fixture, "fixture", "", "emulator fixture `file` (JSON or YAML) with the backend's apps")
	fs.StringVar(&o.emulatorAddr, "emulator-addr", "127.0.0.1:9000", "`address` the emulator listens on: the backend's WeChat bases must point here")
	fs.StringVar(&o.mpLogin, "miniprogram-login", "", "mini-program login `path` (POST JSON; a path with {code} is a GET with the code in its place)")
	fs.StringVar(&o.codeField, "code-field", "code", "JSON `field` that carries wx.login's code")
	fs.StringVar(&o.loginBody, "login-body", "", "further JSON `object` fields of the mini-program login body, e.g. '{\"app\":\"mp\"}'")
	fs.StringVar(&o.webLogin, "web-login", "", "`path` that starts a website login (a redirect to qrconnect or oauth2/authorize)")
	fs.StringVar(&o.returnParam, "return-param", "", "the web login's return `parameter` (default: try return_to, next, redirect, ...)")
	fs.StringVar(&o.webCheck, "web-check", "", "`path` answering 2xx only when logged in, e.g. /auth/me (default: a cookie set below 400 counts)")
	fs.StringVar(&o.format, "format", "text", "report `format`: text, json or sarif")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "bound on the whole audit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitError{2}
	}
	opts, err := o.auditOptions(fs.Args(), stderr)
	if err != nil {
		fmt.Fprintf(stderr, "wxgate audit: %v\n", err)
		return exitError{2}
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	rep, err := probe.Run(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "wxgate audit: %v\n", err)
		return exitError{2}
	}
	if o.format == audit.FormatText {
		for _, c := range rep.Checks {
			fmt.Fprintf(stderr, "wxgate audit: checked %s\n", c)
		}
	}
	if err := audit.WriteReport(stdout, o.format, rep.Findings, version); err != nil {
		fmt.Fprintf(stderr, "wxgate audit: %v\n", err)
		return exitError{2}
	}
	if len(rep.Findings) > 0 {
		return exitError{1}
	}
	return nil
}

// auditOptions checks the flags and builds the audit's options.
func (o auditOptions) auditOptions(extra []string, stderr io.Writer) (probe.Options, error) {
	var opts probe.Options
	var problems []string
	if len(extra) > 0 {
		problems = append(problems, "unexpected arguments: "+strings.Join(extra, " "))
	}
	target, err := url.Parse(o.target)
	if o.target == "" || err != nil || target.Host == "" || (target.Scheme != "http" && target.Scheme != "https") {
		problems = append(problems, "--target must be the backend's http(s) base URL")
	}
	if o.mpLogin == "" && o.webLogin == "" {
		problems = append(problems, "give --miniprogram-login, --web-login or both")
	}
	switch o.format {
	case audit.FormatText, audit.FormatJSON, audit.FormatSARIF:
	default:
		problems = append(problems, "--format must be text, json or sarif")
	}
	if o.appid == "" && o.fixture == "" {
		problems = append(problems, "give the backend's --appid (with --secret-env or --secret-file) or a --fixture with its apps")
	}
	if o.appid != "" {
		secret, err := readSecret(o.secretEnv, o.secretFile)
		if err != nil {
			problems = append(problems, err.Error())
		}
		typ := o.appType
		if typ == "" {
			typ = string(wechat.AppTypeMiniProgram)
			if o.mpLogin == "" {
				typ = string(wechat.AppTypeWebsite)
			}
		}
		spec := emulator.AppSpec{AppID: o.appid, Secret: secret, Type: wechat.AppType(typ), Name: "audited"}
		if typ == string(wechat.AppTypeWebsite) || typ == string(wechat.AppTypeOfficialAccount) {
			spec.CallbackDomain = o.callbackDomain
			if spec.CallbackDomain == "" && target != nil {
				spec.CallbackDomain = target.Host
			}
		}
		opts.Apps = []emulator.AppSpec{spec}
	}
	if o.fixture != "" {
		fx, err := emulator.LoadFixture(o.fixture)
		if err != nil {
			problems = append(problems, err.Error())
		}
		opts.Fixture = fx
	}
	if o.mpLogin != "" {
		mp := &probe.MiniProgramLogin{Path: o.mpLogin, CodeField: o.codeField}
		if o.appid != "" && (o.appType == "" || o.appType == string(wechat.AppTypeMiniProgram)) {
			mp.AppID = o.appid
		}
		if o.loginBody != "" {
			if err := json.Unmarshal([]byte(o.loginBody), &mp.Body); err != nil {
				problems = append(problems, "--login-body must be a JSON object: "+err.Error())
			}
		}
		opts.MiniProgram = mp
	}
	if o.webLogin != "" {
		opts.Web = &probe.WebLogin{Start: o.webLogin, ReturnParam: o.returnParam, Check: o.webCheck}
	}
	if len(problems) > 0 {
		return opts, errors.New(strings.Join(problems, "; "))
	}
	opts.Target = o.target
	opts.EmulatorAddr = o.emulatorAddr
	opts.EmulatorReady = func(base string) {
		fmt.Fprintf(stderr, "wxgate audit: emulator listening on %s (the backend's WeChat API and open-platform bases must point here)\n", base)
	}
	if o.format == audit.FormatText {
		opts.Progress = func(s string) { fmt.Fprintf(stderr, "wxgate audit: %s\n", s) }
	}
	return opts, nil
}

// readSecret reads the app's secret from an environment variable or a
// file: never from the command line, where ps and shell history see it.
func readSecret(env, file string) (string, error) {
	switch {
	case env != "" && file != "":
		return "", errors.New("give --secret-env or --secret-file, not both")
	case env != "":
		v := strings.TrimSpace(os.Getenv(env))
		if v == "" {
			return "", fmt.Errorf("--secret-env %s: the variable is not set or empty", env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--secret-file: %w", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("--secret-file %s is empty", file)
		}
		return v, nil
	}
	return "", errors.New("--appid needs its secret: --secret-env NAME or --secret-file FILE")
}
