package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wxgate/wxgate/config"
	"github.com/wxgate/wxgate/storage"
)

var eventsCommand = command{
	summary: "query the security audit trail (logins, logouts, refused states, rate limits, key rotation)",
	run:     runEvents,
}

func runEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("events", "--config FILE [flags]",
		"Lists security events from the gateway's database, oldest first: logins and failed logins,\n"+
			"logouts, refused login states (possible login CSRF), rate limits, refused request signatures,\n"+
			"stale session keys and key rotations. Events hold no secret, code, token or openid.", stderr)
	cfgPath := fs.String("config", os.Getenv("WXGATE_CONFIG"), "the gateway's YAML configuration `file` (for database:)")
	since := fs.String("since", "24h", "events after this: a duration back from now (90m, 7d) or an RFC 3339 time")
	until := fs.String("until", "", "events before this RFC 3339 time")
	typ := fs.String("type", "", "only events of this `type` (login, login_failed, logout, state_failed, rate_limited, signature_rejected, session_key_stale, key_rotation)")
	user := fs.String("user", "", "only events of this wxgate user `id`")
	limit := fs.Int("limit", 100, "at most this many events (up to 10000)")
	asJSON := fs.Bool("json", false, "print JSON lines instead of a table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *cfgPath == "" {
		fs.Usage()
		return fmt.Errorf("--config is required (or set WXGATE_CONFIG)")
	}
	if *limit < 1 || *limit > 10000 {
		return fmt.Errorf("--limit must be between 1 and 10000")
	}
	f := storage.EventFilter{Type: *typ, UserID: *user, Limit: *limit}
	var err error
	if f.Since, err = parseSince(*since, time.Now()); err != nil {
		return err
	}
	if *until != "" {
		if f.Until, err = time.Parse(time.RFC3339, *until); err != nil {
			return fmt.Errorf("--until: want an RFC 3339 time such as 2026-11-21T08:00:00Z")
		}
	}
	cfg, err := config.Load(*cfgPath, os.LookupEnv)
	if err != nil {
		return err
	}
	store, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return fmt.Errorf("opening the database: %w", err)
	}
	defer store.Close()
	evs, err := store.ListEvents(ctx, f)
	if err != nil {
		return fmt.Errorf("reading events: %w", err)
	}
	return printEvents(stdout, evs, *asJSON)
}

// parseSince reads a duration back from now ("90m", "7d") or a time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(d, "%d", &n); err == nil && n > 0 && fmt.Sprint(n) == d {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("--since: want a duration such as 90m, 24h or 7d, or an RFC 3339 time")
	}
	return now.Add(-d), nil
}

func printEvents(w io.Writer, evs []storage.Event, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, e := range evs {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
		return nil
	}
	if len(evs) == 0 {
		fmt.Fprintln(w, "no events")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tTYPE\tUSER\tAPP\tIP\tDETAIL")
	for _, e := range evs {
		keys := make([]string, 0, len(e.Detail))
		for k := range e.Detail {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var d []string
		for _, k := range keys {
			d = append(d, escapeText(k)+"="+escapeText(e.Detail[k]))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), escapeText(e.Type), dash(escapeText(e.UserID)), dash(escapeText(e.App)), dash(escapeText(e.IP)), strings.Join(d, " "))
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// escapeText makes outside text (user agents, reasons, anything a client
// sent) safe for a terminal: control characters (the escape that starts
// terminal control sequences, tabs and line breaks that would forge table
// rows), Unicode format and separator characters that reorder or break
// text (U+202E, U+2028) and backslashes are written as Go escapes (\x1b,
// \n, \u202e, \\); invalid UTF-8 as \xNN. Printable text, Chinese
// included, stays as it is.
func escapeText(s string) string {
	if !strings.ContainsFunc(s, unsafeRune) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case unsafeRune(r):
			e := strconv.QuoteRuneToASCII(r)
			b.WriteString(e[1 : len(e)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func unsafeRune(r rune) bool {
	return r == utf8.RuneError || r == '\\' || unicode.IsControl(r) ||
		unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}
