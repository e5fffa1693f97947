package audit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var fuzzNames = []string{"main.go", "pages/index/index.js", "app.min.js", "index.wxml", "capture.har", "server.log", "config.yaml", "login.php",
	"views.py", "TokenService.java", "TokenClient.cs", "pages/login/login.vue", "src/pages/index.tsx", "wechat.postman_collection.json", "wechat.http", "server.ts"}

// FuzzScan: no input makes the scanner panic, whatever the file type, and
// no finding shows the secret it found.
func FuzzScan(f *testing.F) {
	for _, dir := range []string{corpusDir, realWorldDir} {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.HasSuffix(p, "manifest.json") {
				if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
					f.Add(b, uint8(len(p)))
				}
			}
			return nil
		})
	}
	f.Add([]byte(`secret=%3D%3D==q8Zx+Fk2/Lm9Pn4Rs7Tu1w==wx0a1b2c3d4e5f6071 8e1f4c2b9a7d3e5f0c6b8a2d4f1e3c5a`), uint8(0))
	s, err := NewScanner(Options{Secrets: []string{"8e1f4c2b9a7d3e5f0c6b8a2d4f1e3c5a", "q8Zx+Fk2/Lm9Pn4Rs7Tu1w=="}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		name := fuzzNames[int(which)%len(fuzzNames)]
		for _, fd := range s.ScanBytes(name, data, which%2 == 0) {
			if !slices.Contains(ScanKinds, fd.Kind) {
				t.Fatalf("kind %q", fd.Kind)
			}
			if fd.Line < 1 {
				t.Fatalf("line %d", fd.Line)
			}
			if len(fd.value) >= MinSecretLen {
				for _, out := range []string{fd.Excerpt, fd.Message, fd.Fingerprint} {
					if strings.Contains(out, fd.value) {
						t.Fatalf("%s finding shows its value %q: %q", fd.Kind, fd.value, out)
					}
				}
			}
		}
	})
}
