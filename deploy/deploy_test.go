// Package deploy holds the operations kit: the systemd unit, the Prometheus
// rules and the container recipe. Its tests check each with the real tool
// (systemd-analyze, promtool) and check that every command of
// docs/operations.md is run by a test or marked as not runnable here.
package deploy

import (
	"bytes"
	"context"
	"debug/elf"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/wxgate/wxgate/config"
)

// tool returns the path of a command the tests need, failing with what to
// do when it is missing (`make deps` installs them).
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run `make deps-ops` (Debian package %s)", name, pkg)
	}
	return p
}

func runTool(t *testing.T, dir string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestSystemdUnit: systemd-analyze verify accepts the unit without a
// warning, its exposure score is 2.0 or lower, and it keeps the settings
// issue 17 asks for.
func TestSystemdUnit(t *testing.T) {
	analyze := tool(t, "systemd-analyze", "systemd")
	unit, err := os.ReadFile("systemd/wxgate.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nUser=wxgate\n", "\nDynamicUser=yes\n", "\nProtectSystem=strict\n", "\nNoNewPrivileges=yes\n",
		"\nPrivateTmp=yes\n", "\nCapabilityBoundingSet=\n", "\nSystemCallFilter=@system-service\n",
		"\nLoadCredential=keys:", "\nExecReload=/bin/kill -HUP $MAINPID\n",
		"\nExecStart=/usr/local/bin/wxgate serve --config /etc/wxgate/wxgate.yaml\n",
	} {
		if !bytes.Contains(unit, []byte(want)) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	// verify checks that ExecStart names an executable: point it at one
	// that exists here (this test's binary) in a copy.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	unitPath := filepath.Join(dir, "wxgate.service")
	if err := os.WriteFile(unitPath, bytes.ReplaceAll(unit, []byte("/usr/local/bin/wxgate"), []byte(self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runTool(t, dir, analyze, "verify", unitPath)
	if err != nil || strings.TrimSpace(out) != "" {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = runTool(t, dir, analyze, "security", "--offline=true", "--no-pager", unitPath)
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Overall exposure level for wxgate\.service: ([0-9.]+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no exposure level in:\n%s", out)
	}
	score, _ := strconv.ParseFloat(m[1], 64)
	t.Logf("systemd-analyze security --offline=true: exposure %.1f", score)
	if score > 2.0 {
		t.Fatalf("exposure %.1f > 2.0:\n%s", score, out)
	}
}

// TestPrometheusRules: promtool checks the rules and runs their unit tests.
func TestPrometheusRules(t *testing.T) {
	promtool := tool(t, "promtool", "prometheus")
	if out, err := runTool(t, "prometheus", promtool, "check", "rules", "wxgate-rules.yml"); err != nil || !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	if out, err := runTool(t, "prometheus", promtool, "test", "rules", "wxgate-rules.test.yml"); err != nil || !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	// Every alert has a runbook section in docs/operations.md.
	rules, _ := os.ReadFile("prometheus/wxgate-rules.yml")
	ops, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s+- alert: (\w+)$`).FindAllStringSubmatch(string(rules), -1) {
		if !bytes.Contains(ops, []byte("### "+m[1]+"\n")) {
			t.Errorf("alert %s has no section \"### %s\" in docs/operations.md", m[1], m[1])
		}
	}
}

// TestContainerRecipe builds the binary with the Containerfile's own build
// command and checks it is static and passes the image's health check; the
// image itself cannot be built here (no container runtime).
func TestContainerRecipe(t *testing.T) {
	cf, err := os.ReadFile("container/Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nFROM scratch\n", "\nUSER 65532:65532\n", "HEALTHCHECK ", `"healthcheck", "--url", "http://127.0.0.1:8080/healthz"`} {
		if !bytes.Contains(cf, []byte(want)) {
			t.Errorf("the Containerfile lacks %q", strings.TrimSpace(want))
		}
	}
	m := regexp.MustCompile(`(?m)^RUN CGO_ENABLED=0 go build (.*) -o /out/wxgate (\./cmd/wxgate)$`).FindSubmatch(cf)
	if m == nil {
		t.Fatal("no `RUN CGO_ENABLED=0 go build ... -o /out/wxgate ./cmd/wxgate` line in the Containerfile")
	}
	flags := strings.ReplaceAll(string(m[1]), "${VERSION}", "test")
	bin := filepath.Join(t.TempDir(), "wxgate")
	args := append(splitFlags(flags), "-o", bin, string(m[2]))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"build"}, args...)...)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", args, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked: the scratch image has no libc")
		}
	}
	f.Close()
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
		}
	}))
	defer healthy.Close()
	if out, err := exec.Command(bin, "healthcheck", "--url", healthy.URL+"/healthz").CombinedOutput(); err != nil {
		t.Fatalf("healthcheck: %v %s", err, out)
	}
	if out, err := exec.Command(bin, "version").CombinedOutput(); err != nil || !strings.Contains(string(out), "wxgate test") {
		t.Fatalf("version: %v %s", err, out)
	}

	// The compose file and the configuration it mounts.
	var compose struct {
		Services map[string]struct {
			ReadOnly bool     `yaml:"read_only"`
			CapDrop  []string `yaml:"cap_drop"`
		}
	}
	data, err := os.ReadFile("container/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	gw, ok := compose.Services["wxgate"]
	if !ok || !gw.ReadOnly || len(gw.CapDrop) == 0 || len(compose.Services) != 3 {
		t.Fatalf("compose.yaml services: %+v", compose.Services)
	}
	if _, ok := compose.Services["postgres"]; !ok {
		t.Fatal("compose.yaml has no postgres")
	}
	y, err := os.ReadFile("container/wxgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The secrets compose mounts under /run/secrets/, here in a scratch directory.
	secrets := t.TempDir()
	if err := os.WriteFile(filepath.Join(secrets, "app-secret"), []byte("0123456789abcdef0123456789abcdef"), 0o600); err != nil {
		t.Fatal(err)
	}
	y = bytes.ReplaceAll(y, []byte("/run/secrets/"), []byte(secrets+"/"))
	if _, err := config.Parse(y, func(string) (string, bool) { return "", false }); err != nil {
		t.Fatalf("container/wxgate.yaml: %v", err)
	}
}

func splitFlags(s string) []string {
	// -ldflags "-s -w -X main.version=test" is one argument.
	var out []string
	for _, q := range regexp.MustCompile(`"[^"]*"|\S+`).FindAllString(s, -1) {
		out = append(out, strings.Trim(q, `"`))
	}
	return out
}

// TestOperationsRunbookCommands: every shell block of docs/operations.md
// is marked either with the test that runs its commands, which must
// exist, or as not runnable here, with the reason.
func TestOperationsRunbookCommands(t *testing.T) {
	doc, err := os.ReadFile("../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]bool{}
	_ = filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil || (d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git")) {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, "_test.go") {
			src, _ := os.ReadFile(p)
			for _, m := range regexp.MustCompile(`(?m)^func (Test\w+)\(`).FindAllSubmatch(src, -1) {
				tests[string(m[1])] = true
			}
		}
		return nil
	})
	lines := strings.Split(string(doc), "\n")
	blocks := 0
	for i, l := range lines {
		if l != "```sh" {
			continue
		}
		blocks++
		prev := ""
		if i > 0 {
			prev = lines[i-1]
		}
		switch m := regexp.MustCompile(`^<!-- (tested by|not runnable here): (.+) -->$`).FindStringSubmatch(prev); {
		case m == nil:
			t.Errorf("docs/operations.md:%d: a command block without <!-- tested by: TestX --> or <!-- not runnable here: why --> on the line before", i+1)
		case m[1] == "tested by":
			for _, name := range strings.Split(m[2], ", ") {
				if !tests[name] {
					t.Errorf("docs/operations.md:%d: %s is not a test of this repository", i+1, name)
				}
			}
		}
	}
	if blocks < 5 {
		t.Fatalf("docs/operations.md has only %d command blocks", blocks)
	}
}
