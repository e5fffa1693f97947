package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Duration is a time.Duration written as Go writes durations ("90s",
// "1h30m", "720h") or as whole seconds ("90"), in YAML and in environment
// variables alike.
type Duration time.Duration

// Duration returns d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// String formats d the short way: "24h", "5m", "1h30m", "1.5s".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText writes d as String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads "90s", "24h" or whole seconds.
func (d *Duration) UnmarshalText(b []byte) error {
	v, msg := parseDuration(string(b))
	if msg != "" {
		return errors.New("config: " + msg)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML reads a scalar as UnmarshalText does.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("config: want a duration such as 90s or 24h")
	}
	return d.UnmarshalText([]byte(n.Value))
}

// parseDuration reads a duration or whole seconds. msg says what is wrong
// and what to write instead.
func parseDuration(s string) (d time.Duration, msg string) {
	s = strings.TrimSpace(s)
	const how = "write a duration such as 90s, 5m or 24h, or whole seconds"
	if s == "" {
		return 0, "empty; " + how
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return 0, shown(s) + " seconds is too long; " + how
		}
		return time.Duration(n) * time.Second, ""
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if strings.HasSuffix(s, "d") || strings.HasSuffix(s, "w") {
			return 0, shown(s) + " is not a duration: there is no day or week unit; write hours, e.g. 720h for 30 days"
		}
		return 0, shown(s) + " is not a duration; " + how
	}
	return d, ""
}
