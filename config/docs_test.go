package config_test

import (
	"os"
	"strings"
	"testing"

	"github.com/wxgate/wxgate/config"
)

// TestDocsComplete keeps docs/configuration.md in step with the code: it
// shows the example file verbatim and documents every key's variable.
func TestDocsComplete(t *testing.T) {
	docs, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("testdata/wxgate.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docs), "```yaml\n"+string(example)+"```") {
		t.Error("docs/configuration.md does not show testdata/wxgate.example.yaml verbatim")
	}
	for _, name := range config.EnvNames() {
		if !strings.Contains(string(docs), "`"+name+"`") {
			t.Errorf("docs/configuration.md does not document %s", name)
		}
	}
}
