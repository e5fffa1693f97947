package gateway

import (
	"regexp"
	"strconv"
	"testing"
	"time"
)

// TestKeyringAgeMetric: /metrics tells when the active key was created,
// which the KeyringOld alert of deploy/prometheus reads.
func TestKeyringAgeMetric(t *testing.T) {
	h := newHarness(t)
	a := h.do("GET", "/metrics", nil)
	m := regexp.MustCompile(`(?m)^wxgate_keyring_active_key_created_timestamp_seconds (\S+)$`).FindStringSubmatch(a.raw)
	if a.status != 200 || m == nil {
		t.Fatalf("/metrics: %d, no keyring gauge", a.status)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	if age := time.Since(time.Unix(int64(v), 0)); age < -time.Minute || age > time.Hour {
		t.Fatalf("the active key was created %s ago; the harness made it just now", age)
	}
}
