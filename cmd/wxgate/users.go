package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/wxgate/wxgate/admin"
	"github.com/wxgate/wxgate/gateway"
)

var usersCommand = command{
	summary: "see and manage users: list, show, block, unblock, merge, unlink, sessions, revoke, export, delete",
	run:     runUsers,
}

// usersCommands maps each `wxgate users` command to its arguments and
// what it asks of the admin API (docs/admin.md), which the command runs
// in-process against the configured database.
var usersCommands = []struct {
	name, args, summary string
	nargs               [2]int // min, max positional arguments
	request             func(a []string, f usersFlags) (method, path, body string)
}{
	{"list", "[--q TEXT] [--limit N] [--after ID]", "list users in id order, or search by the start of a nickname or an id", [2]int{0, 0},
		func(_ []string, f usersFlags) (string, string, string) {
			v := url.Values{}
			if f.q != "" {
				v.Set("q", f.q)
			}
			if f.after != "" {
				v.Set("after", f.after)
			}
			v.Set("limit", strconv.Itoa(f.limit))
			return "GET", "/admin/api/users?" + v.Encode(), ""
		}},
	{"show", "USER", "a user, their identities (by app) and sessions", [2]int{1, 1},
		func(a []string, _ usersFlags) (string, string, string) { return "GET", "/admin/api/users/" + a[0], "" }},
	{"block", "USER", "block a user: they cannot log in, and every session ends now", [2]int{1, 1},
		func(a []string, _ usersFlags) (string, string, string) {
			return "POST", "/admin/api/users/" + a[0] + "/block", ""
		}},
	{"unblock", "USER", "let a blocked user log in again", [2]int{1, 1},
		func(a []string, _ usersFlags) (string, string, string) {
			return "POST", "/admin/api/users/" + a[0] + "/unblock", ""
		}},
	{"merge", "FROM INTO", "merge user FROM into user INTO (one person, one account)", [2]int{2, 2},
		func(a []string, _ usersFlags) (string, string, string) {
			b, _ := json.Marshal(map[string]string{"into": a[1]})
			return "POST", "/admin/api/users/" + a[0] + "/merge", string(b)
		}},
	{"unlink", "IDENTITY", "delete one identity (an app's login) of a user, and its sessions", [2]int{1, 1},
		func(a []string, _ usersFlags) (string, string, string) {
			return "DELETE", "/admin/api/identities/" + a[0], ""
		}},
	{"sessions", "USER", "a user's sessions", [2]int{1, 1},
		func(a []string, _ usersFlags) (string, string, string) {
			return "GET", "/admin/api/users/" + a[0] + "/sessions", ""
		}},
	{"revoke", "USER [SESSION]", "end one session of a user, or all of them (log out everywhere)", [2]int{1, 2},
		func(a []string, _ usersFlags) (string, string, string) {
			if len(a) == 2 {
				return "DELETE", "/admin/api/users/" + a[0] + "/sessions/" + a[1], ""
			}
			return "DELETE", "/admin/api/users/" + a[0] + "/sessions", ""
		}},
	{"export", "USER", "everything held about a user, as JSON (a person's access request)", [2]int{1, 1},
		func(a []string, _ usersFlags) (string, string, string) {
			return "GET", "/admin/api/users/" + a[0] + "/export", ""
		}},
	{"delete", "USER --yes", "delete a user and everything held about them (the audit trail keeps its events, without IP)", [2]int{1, 1},
		func(a []string, _ usersFlags) (string, string, string) {
			return "DELETE", "/admin/api/users/" + a[0], ""
		}},
}

type usersFlags struct {
	config, q, after string
	limit            int
	yes              bool
}

func usersUsage(w io.Writer) {
	fmt.Fprint(w, "Usage: wxgate users <command> [arguments] --config FILE\n\n"+
		"Sees and manages the users in the configured database, as the admin API does\n"+
		"(docs/admin.md). Answers are JSON on stdout; ids, openids and phone numbers show\n"+
		"only as admin.reveal_ids allows.\n\nCommands:\n")
	for _, c := range usersCommands {
		fmt.Fprintf(w, "  %-8s %-38s %s\n", c.name, c.args, c.summary)
	}
}

// parseInterleaved parses flags wherever they stand among the positional
// arguments, and returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func runUsers(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usersUsage(stderr)
		return exitError{2}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usersUsage(stderr)
		return flag.ErrHelp
	}
	i := -1
	for k, c := range usersCommands {
		if c.name == args[0] {
			i = k
		}
	}
	if i < 0 {
		fmt.Fprintf(stderr, "wxgate users: unknown command %q\n\n", args[0])
		usersUsage(stderr)
		return exitError{2}
	}
	c := usersCommands[i]
	fs := newFlagSet("users "+c.name, c.args+" --config FILE", c.summary+".", stderr)
	var f usersFlags
	fs.StringVar(&f.config, "config", os.Getenv("WXGATE_CONFIG"), "the gateway's YAML configuration `file`")
	if c.name == "list" {
		fs.StringVar(&f.q, "q", "", "search `text`: the start of a nickname, or a user id")
		fs.StringVar(&f.after, "after", "", "list users after this `id` (the previous page's last)")
		fs.IntVar(&f.limit, "limit", 50, "users per page, 1 to 500")
	}
	if c.name == "delete" {
		fs.BoolVar(&f.yes, "yes", false, "really delete (there is no undo)")
	}
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) < c.nargs[0] || len(pos) > c.nargs[1] {
		fmt.Fprintf(stderr, "wxgate users %s: takes %s\n", c.name, c.args)
		return exitError{2}
	}
	if c.name == "delete" && !f.yes {
		fmt.Fprintf(stderr, "wxgate users delete: deleting %s cannot be undone; run `wxgate users export %s` first if the person asked for their data, then add --yes\n", pos[0], pos[0])
		return exitError{2}
	}
	for _, p := range pos {
		if strings.ContainsAny(p, "/?#%") {
			fmt.Fprintf(stderr, "wxgate users %s: %q is not a wxgate id (usr-..., idn-..., ses-...)\n", c.name, p)
			return exitError{2}
		}
	}
	cfg, store, kr, err := openForKeys(ctx, f.config)
	if err != nil {
		return err
	}
	defer store.Close()

	var k [16]byte
	_, _ = rand.Read(k[:])
	key := hex.EncodeToString(k[:])
	apps := map[string][2]string{}
	for _, a := range cfg.Apps {
		apps[a.AppID] = [2]string{a.Name, string(a.Type)}
	}
	h := admin.New(admin.Options{
		Store: store, Key: func() (string, error) { return key, nil },
		RevealIDs: cfg.Admin.RevealIDs, Open: gateway.OpenSealedField(kr), ResealPhone: gateway.PhoneResealer(kr),
		App: func(appID string) (string, string, bool) { a, ok := apps[appID]; return a[0], a[1], ok },
		Log: newLogger(cfg.Log, stderr, nil),
	})
	method, path, body := c.request(pos, f)
	req, err := http.NewRequestWithContext(ctx, method, path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	h.ServeHTTP(rec, req)
	if rec.status >= 400 {
		var e struct{ Error, Message string }
		_ = json.Unmarshal(rec.body.Bytes(), &e)
		fmt.Fprintf(stderr, "wxgate users %s: %s (%s)\n", c.name, e.Message, e.Error)
		return exitError{1}
	}
	if rec.status == http.StatusNoContent {
		fmt.Fprintf(stdout, "{\"ok\":true}\n")
		return nil
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, rec.body.Bytes(), "", "  ") != nil {
		pretty = rec.body
	}
	_, err = stdout.Write(pretty.Bytes())
	return err
}

// recorder is the http.ResponseWriter the in-process API call writes to.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
