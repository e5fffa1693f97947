package gateway

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// docsErrorTable reads the "Error codes" table of docs/gateway.md: code to
// status.
func docsErrorTable(t *testing.T) map[string]int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "gateway.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Error codes\n")
	if !ok {
		t.Fatal(`docs/gateway.md has no "## Error codes" section`)
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| (\\d{3}) \\|")
	out := map[string]int{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		n, _ := strconv.Atoi(m[2])
		out[m[1]] = n
	}
	if len(out) == 0 {
		t.Fatal("the Error codes table of docs/gateway.md has no rows like \"| `code` | 400 | ...\"")
	}
	return out
}

// Every code a client can get is documented, with its status, and the
// docs list no code the gateway does not answer.
func TestErrorCatalogueDocumented(t *testing.T) {
	docs := docsErrorTable(t)
	for _, code := range errorCodes() {
		k := catalogue[code]
		got, ok := docs[code]
		switch {
		case !ok:
			t.Errorf("docs/gateway.md (## Error codes) does not list %q (%d)", code, k.Status)
		case got != k.Status:
			t.Errorf("docs/gateway.md lists %q with status %d; the gateway answers %d", code, got, k.Status)
		}
	}
	for code := range docs {
		if _, ok := catalogue[code]; !ok {
			t.Errorf("docs/gateway.md lists %q, which is not in the catalogue (gateway/errors.go)", code)
		}
	}
}

func TestErrorCatalogueEntries(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)
	for _, code := range errorCodes() {
		k := catalogue[code]
		if !snake.MatchString(k.Code) {
			t.Errorf("%q is not a snake_case code", k.Code)
		}
		if k.Status < 400 || k.Status > 599 {
			t.Errorf("%q has status %d, not an error", k.Code, k.Status)
		}
		if strings.TrimSpace(k.Message) == "" {
			t.Errorf("%q has no default message", k.Code)
		}
		if k.RetryAfter && k.Status != http.StatusTooManyRequests && k.Status != http.StatusServiceUnavailable {
			t.Errorf("%q carries Retry-After but its status %d is neither 429 nor 503", k.Code, k.Status)
		}
	}
	if got := outcomeLabel(nil); got != "ok" {
		t.Errorf("outcomeLabel(nil) = %q", got)
	}
	if got := outcomeLabel(errRateLimited.New()); got != "rate_limited" {
		t.Errorf("outcomeLabel(rate_limited) = %q", got)
	}
	if got := outcomeLabel(&apiError{Code: "made_up"}); got != "internal_error" {
		t.Errorf("a code outside the catalogue labels metrics as %q, want internal_error", got)
	}
}

// Client-facing errors come from the catalogue only: no handler builds an
// apiError or an error body of its own.
func TestErrorsOnlyFromCatalogue(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	inline := regexp.MustCompile(`&apiError\{|apiError\{Status|"error":\s*"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "errors.go" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			if inline.MatchString(line) {
				t.Errorf("%s:%d builds a client error outside the catalogue (use an entry of errors.go): %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}
