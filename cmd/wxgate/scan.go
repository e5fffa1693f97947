package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wxgate/wxgate/audit"
)

var scanCommand = command{
	summary: "find leaked AppSecrets, session_keys and tokens in code, bundles, HAR captures and logs",
	run:     runScan,
}

// scanStdin is what `wxgate scan -` reads (tests replace it).
var scanStdin io.Reader = os.Stdin

// scanSecretsEnv holds extra exact values to search for, separated by
// commas or newlines.
const scanSecretsEnv = "WXGATE_SCAN_SECRETS"

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// scanOptions are the scan subcommand's flags.
type scanOptions struct {
	format        string
	secrets       repeated
	secretEnvs    repeated
	baseline      string
	writeBaseline string
	all           bool
	verify        bool
	apiBase       string
	workers       int
	paths         []string
}

func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("scan", "[flags] PATH... (- for standard input)", `Scans source trees (any backend language), mini-program code (.js .ts .wxml
.wxs .json), built bundles, HAR captures and logs for WeChat secrets that
must not be there: AppSecrets, session_keys, access tokens, client code
calling api.weixin.qq.com or decrypting encryptedData, and backend code
relaying jscode2session's answer. Findings never show a full secret.

Exit status: 0 nothing found, 1 findings, 2 error (including files that
could not be read). See docs/audit.md.`, stderr)
	var o scanOptions
	fs.StringVar(&o.format, "format", "text", "report `format`: text, json or sarif")
	fs.Var(&o.secrets, "secret", "an exact `value` to find in any encoding (the real AppSecret, a known session_key); repeatable; prefer --secret-env")
	fs.Var(&o.secretEnvs, "secret-env", "read an exact value to find from the environment variable `NAME`; repeatable ($"+scanSecretsEnv+" may hold several, comma-separated)")
	fs.StringVar(&o.baseline, "baseline", "", "JSON `file` of accepted findings' fingerprints: they are not reported")
	fs.StringVar(&o.writeBaseline, "write-baseline", "", "write the fingerprints of every finding to `file` (accepting them) and exit 0")
	fs.BoolVar(&o.all, "all", false, "also scan binary files, .git and vendored folders (node_modules, vendor, miniprogram_npm)")
	fs.BoolVar(&o.verify, "verify", false, "check each AppSecret found next to an appid with WeChat (stable_token in normal mode: it rotates nothing)")
	fs.StringVar(&o.apiBase, "api-base", "", "WeChat API base `URL` for --verify (default https://api.weixin.qq.com; an emulator's in tests)")
	fs.IntVar(&o.workers, "workers", 0, "files scanned at once (default GOMAXPROCS)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitError{2}
	}
	o.paths = fs.Args()
	if len(o.paths) == 0 {
		fs.Usage()
		fmt.Fprintln(stderr, "\nwxgate scan: name at least one PATH, or - for standard input")
		return exitError{2}
	}
	switch o.format {
	case audit.FormatText, audit.FormatJSON, audit.FormatSARIF:
	default:
		fmt.Fprintf(stderr, "wxgate scan: --format must be text, json or sarif, not %q\n", o.format)
		return exitError{2}
	}
	code, err := scan(ctx, o, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "wxgate scan: %v\n", err)
		return exitError{2}
	}
	if code != 0 {
		return exitError{code}
	}
	return nil
}

// scan runs a scan and writes the report; it returns the exit status.
func scan(ctx context.Context, o scanOptions, stdout, stderr io.Writer) (int, error) {
	secrets := append([]string(nil), o.secrets...)
	for _, name := range o.secretEnvs {
		v := strings.TrimSpace(os.Getenv(name))
		if v == "" {
			return 0, fmt.Errorf("--secret-env %s: the variable is not set or empty", name)
		}
		secrets = append(secrets, v)
	}
	for _, v := range strings.FieldsFunc(os.Getenv(scanSecretsEnv), func(r rune) bool { return r == ',' || r == '\n' }) {
		if v = strings.TrimSpace(v); v != "" {
			secrets = append(secrets, v)
		}
	}
	var bl *audit.Baseline
	if o.baseline != "" {
		var err error
		if bl, err = audit.LoadBaseline(o.baseline); err != nil {
			return 0, err
		}
	}
	incomplete := 0
	warn := func(err error) {
		if errors.Is(err, audit.ErrScannedAsText) {
			fmt.Fprintf(stderr, "wxgate scan: note: %v\n", err)
			return
		}
		incomplete++
		fmt.Fprintf(stderr, "wxgate scan: %v\n", err)
	}
	sc, err := audit.NewScanner(audit.Options{Secrets: secrets, All: o.all, Workers: o.workers, Warn: warn})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	var findings []audit.Finding
	var stats audit.Stats
	var files []string
	for _, p := range o.paths {
		if p == "-" {
			res, err := sc.ScanReader("-", scanStdin)
			if err != nil {
				return 0, err
			}
			findings = append(findings, res.Findings...)
			stats.Files++
			stats.Bytes += res.Stats.Bytes
			continue
		}
		files = append(files, p)
	}
	if len(files) > 0 {
		res, err := sc.Scan(ctx, files)
		if err != nil {
			return 0, err
		}
		findings = append(findings, res.Findings...)
		stats.Files += res.Stats.Files
		stats.Bytes += res.Stats.Bytes
		stats.Skipped += res.Stats.Skipped
	}
	if o.writeBaseline != "" {
		if err := audit.WriteBaseline(o.writeBaseline, findings); err != nil {
			return 0, err
		}
		fmt.Fprintf(stderr, "wxgate scan: wrote %d accepted finding(s) to %s\n", len(findings), o.writeBaseline)
		return 0, nil
	}
	if bl != nil {
		var n int
		findings, n = bl.Filter(findings)
		if n > 0 {
			fmt.Fprintf(stderr, "wxgate scan: %d finding(s) accepted in %s not shown\n", n, o.baseline)
		}
	}
	if o.verify {
		if err := audit.Verify(ctx, findings, audit.VerifyOptions{APIBase: o.apiBase}); err != nil {
			return 0, err
		}
	}
	if err := audit.WriteReport(stdout, o.format, findings, version); err != nil {
		return 0, err
	}
	if o.format == audit.FormatText {
		el := time.Since(start)
		fmt.Fprintf(stderr, "wxgate scan: %d file(s), %.1f MB in %s (%.0f MB/s)\n", stats.Files, float64(stats.Bytes)/1e6,
			el.Round(time.Millisecond), float64(stats.Bytes)/1e6/max(el.Seconds(), 1e-9))
	}
	switch {
	case incomplete > 0:
		fmt.Fprintf(stderr, "wxgate scan: %d file(s) could not be read: the scan is incomplete\n", incomplete)
		return 2, nil
	case len(findings) > 0:
		return 1, nil
	}
	return 0, nil
}
