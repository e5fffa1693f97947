package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
)

// Formats that WriteReport knows.
const (
	FormatText  = "text"
	FormatJSON  = "json"
	FormatSARIF = "sarif"
)

// WriteReport writes findings in format (text, json or sarif). version
// names the tool's version in SARIF.
func WriteReport(w io.Writer, format string, fs []Finding, version string) error {
	switch format {
	case FormatText, "":
		return WriteText(w, fs)
	case FormatJSON:
		return WriteJSON(w, fs)
	case FormatSARIF:
		return WriteSARIF(w, fs, version)
	}
	return fmt.Errorf("audit: unknown format %q (text, json or sarif)", format)
}

// WriteText writes findings for people: file:line, kind and message, the
// redacted excerpt, then what to do for each kind found.
func WriteText(w io.Writer, fs []Finding) error {
	ew := &errWriter{w: w}
	if len(fs) == 0 {
		ew.printf("No WeChat secrets or leaky patterns found.\n")
		return ew.err
	}
	counts := map[Kind]int{}
	for _, f := range fs {
		counts[f.Kind]++
		loc := f.File
		if f.Line > 0 {
			loc = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		ew.printf("%s: %s: %s\n", loc, f.Kind, f.Message)
		if f.Excerpt != "" {
			ew.printf("    %s\n", f.Excerpt)
		}
		if f.Verified != "" {
			ew.printf("    verified: %s\n", f.Verified)
		}
	}
	kinds := make([]Kind, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, counts[k]))
	}
	ew.printf("\n%d finding(s): %s\n\nWhat to do:\n", len(fs), strings.Join(parts, ", "))
	for _, k := range kinds {
		ew.printf("  %s: %s\n", k, k.Fix())
	}
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// jsonFinding is a finding as JSON reports show it.
type jsonFinding struct {
	Kind        Kind   `json:"kind"`
	File        string `json:"file"`
	Line        int    `json:"line"`
	Message     string `json:"message"`
	Excerpt     string `json:"excerpt"`
	Fix         string `json:"fix"`
	Fingerprint string `json:"fingerprint"`
	Verified    string `json:"verified,omitempty"`
}

// WriteJSON writes {"findings":[{"kind","file","line","message","excerpt",
// "fix","fingerprint","verified"?}]}.
func WriteJSON(w io.Writer, fs []Finding) error {
	out := struct {
		Findings []jsonFinding `json:"findings"`
	}{Findings: []jsonFinding{}}
	for _, f := range fs {
		out.Findings = append(out.Findings, jsonFinding{
			Kind: f.Kind, File: f.File, Line: f.Line, Message: f.Message, Excerpt: f.Excerpt,
			Fix: f.Kind.Fix(), Fingerprint: f.Fingerprint, Verified: f.Verified,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// SARIF 2.1.0, the subset code-scanning tools read.
type (
	sarifLog struct {
		Version string     `json:"version"`
		Schema  string     `json:"$schema"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool    sarifTool     `json:"tool"`
		Results []sarifResult `json:"results"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		InformationURI string      `json:"informationUri"`
		Version        string      `json:"version,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID               string         `json:"id"`
		Name             string         `json:"name"`
		ShortDescription sarifText      `json:"shortDescription"`
		FullDescription  sarifText      `json:"fullDescription"`
		Help             sarifText      `json:"help"`
		Default          sarifRuleLevel `json:"defaultConfiguration"`
	}
	sarifRuleLevel struct {
		Level string `json:"level"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID              string            `json:"ruleId"`
		RuleIndex           int               `json:"ruleIndex"`
		Level               string            `json:"level"`
		Message             sarifText         `json:"message"`
		Locations           []sarifLocation   `json:"locations"`
		PartialFingerprints map[string]string `json:"partialFingerprints"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           sarifRegion   `json:"region"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine int        `json:"startLine"`
		Snippet   *sarifText `json:"snippet,omitempty"`
	}
)

// SARIFSchema is the schema URI written into SARIF reports.
const SARIFSchema = "https://json.schemastore.org/sarif-2.1.0.json"

var kindTitles = map[Kind]string{
	KindAppSecret:               "AppSecret leaked",
	KindSessionKey:              "session_key leaked",
	KindAccessToken:             "WeChat access token leaked",
	KindClientWeChatAPI:         "Client calls a WeChat server API",
	KindClientDecrypt:           "Client-side decryption of encryptedData",
	KindCode2SessionPassthrough: "jscode2session answer returned to the client",
	KindSecretLogged:            "AppSecret written to a log",
	KindCallbackWithoutState:    "Login callback accepted without state",
	KindForeignState:            "Login callback accepted another browser's state (login CSRF)",
	KindCodeReplay:              "Login code accepted twice",
	KindOpenRedirect:            "Open redirect after login",
}

// WriteSARIF writes a SARIF 2.1.0 log with one rule per kind.
func WriteSARIF(w io.Writer, fs []Finding, version string) error {
	kinds := append(append([]Kind(nil), ScanKinds...), AuditKinds...)
	index := map[Kind]int{}
	var rules []sarifRule
	for i, k := range kinds {
		index[k] = i
		rules = append(rules, sarifRule{
			ID: string(k), Name: sarifName(k),
			ShortDescription: sarifText{kindTitles[k]},
			FullDescription:  sarifText{kindTitles[k] + "."},
			Help:             sarifText{k.Fix()},
			Default:          sarifRuleLevel{"error"},
		})
	}
	results := []sarifResult{}
	for _, f := range fs {
		line := max(f.Line, 1)
		r := sarifResult{
			RuleID: string(f.Kind), RuleIndex: index[f.Kind], Level: "error",
			Message: sarifText{f.Message},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: sarifURI(f.File)},
				Region:           sarifRegion{StartLine: line},
			}}},
			PartialFingerprints: map[string]string{"wxgateFingerprint/v1": f.Fingerprint},
		}
		if f.Excerpt != "" {
			r.Locations[0].PhysicalLocation.Region.Snippet = &sarifText{f.Excerpt}
		}
		results = append(results, r)
	}
	log := sarifLog{
		Version: "2.1.0", Schema: SARIFSchema,
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "wxgate", InformationURI: "https://github.com/wxgate/wxgate/blob/main/docs/audit.md", Version: version, Rules: rules}},
			Results: results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

// sarifName turns app_secret into AppSecret-style rule names.
func sarifName(k Kind) string {
	var b strings.Builder
	for _, p := range strings.Split(string(k), "_") {
		if p == "" {
			continue
		}
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	return b.String()
}

// sarifURI is a file path as a URI reference (relative paths stay
// relative, as code-scanning tools expect); URLs stay as they are.
func sarifURI(file string) string {
	if strings.Contains(file, "://") {
		if i := strings.IndexByte(file, ' '); i >= 0 {
			file = file[i+1:] // "GET http://..." from the audit
		}
		return file
	}
	p := filepath.ToSlash(file)
	if filepath.IsAbs(file) {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: p}).String()
}
