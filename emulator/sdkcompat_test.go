package emulator_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/wxgate/wxgate/emulator"
)

// TestThirdPartySDKs runs widely used WeChat SDKs for Node (wechat-oauth and
// co-wechat-api, unmodified) against the emulator: website QR login,
// official-account web auth, mini-program login and decryption, app access
// tokens. If their request building or response parsing disagreed with the
// emulator's wire format, a check in testdata/sdkcompat/compat.js fails.
//
// `make test` installs the SDKs (npm ci in testdata/sdkcompat); the test
// fails, not skips, when they or Node are missing.
func TestThirdPartySDKs(t *testing.T) {
	dir := filepath.Join("testdata", "sdkcompat")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the SDK compatibility test needs Node.js 18 or later")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "wechat-oauth")); err != nil {
		t.Fatalf("the SDKs are not installed: run `make test` (or `npm ci --prefix %s`)", dir)
	}
	e, err := emulator.New(emulator.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, filepath.Join(dir, "compat.js"), srv.URL).CombinedOutput()
	if err != nil {
		t.Fatalf("SDK compatibility failed: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`ok (\d+) checks`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("unexpected output:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 15 {
		t.Fatalf("only %d checks ran:\n%s", n, out)
	}
	t.Logf("%s", out)
}
