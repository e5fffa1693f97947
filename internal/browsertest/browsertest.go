// Package browsertest starts the headless Chromium that wxgate's real-browser
// tests drive (through chromedp), and finds where they save screenshots.
package browsertest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// FindChromium returns the path of the Chromium on PATH, or an error saying
// how to install it.
func FindChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("chromium is missing: the browser tests need it. Install Debian's chromium package " +
		"(apt-get install chromium; `make deps` does this), or put chromium on PATH")
}

// Start launches a headless Chromium of its own (fresh profile, no network of
// its own: no background networking, QUIC, sync or component updates) with
// a window of width×height, and returns a browser context for chromedp. The
// browser ends with ctx or at the end of the test.
func Start(t testing.TB, ctx context.Context, width, height int) context.Context {
	t.Helper()
	chromium, err := FindChromium()
	if err != nil {
		t.Fatal(err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	t.Cleanup(cancelAlloc)
	browser, closeBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(closeBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("starting Chromium (%s): %v", chromium, err)
	}
	return browser
}

// ArtifactsDir is where screenshots go: $WXGATE_ARTIFACTS, or .bin/artifacts
// at the repository's root.
func ArtifactsDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("WXGATE_ARTIFACTS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		root := wd
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				t.Fatalf("no go.mod above %s", wd)
			}
			root = parent
		}
		dir = filepath.Join(root, ".bin", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("creating the artifacts folder: %v", err)
	}
	return dir
}
