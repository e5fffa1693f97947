package config_test

import (
	"strings"
	"testing"

	"github.com/wxgate/wxgate/config"
)

func TestAccountsMerge(t *testing.T) {
	base := "apps:" + webApp
	cfg, err := config.Parse([]byte(base), lookup(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Accounts.Merge != config.MergeAuto {
		t.Errorf("default accounts.merge = %q, want auto", cfg.Accounts.Merge)
	}
	cfg, err = config.Parse([]byte(base), lookup(map[string]string{"WXGATE_ACCOUNTS_MERGE": "manual"}))
	if err != nil || cfg.Accounts.Merge != config.MergeManual {
		t.Errorf("WXGATE_ACCOUNTS_MERGE=manual: %q, %v", cfg.Accounts.Merge, err)
	}
	_, err = config.Parse([]byte(base+"accounts:\n  merge: sometimes\n"), lookup(nil))
	if err == nil || !strings.Contains(err.Error(), "accounts.merge") || !strings.Contains(err.Error(), "use auto") {
		t.Errorf("accounts.merge: sometimes: %v", err)
	}
}
