// Package audit is the static leak scanner behind `wxgate scan`: Scanner
// reads source trees, mini-program bundles, HAR captures and logs for
// leaked WeChat AppSecrets, session_keys and access tokens, and for the
// code patterns that leak them. Nothing runs.
//
// It also holds what the scanner and the live probe (audit/probe, behind
// `wxgate audit`) share: the finding kinds, the text, JSON and SARIF
// reports, baselines, and AnswerSearch, the exact-value search the probe
// runs over a backend's answers.
//
// Findings never carry a full secret: excerpts are redacted and
// fingerprints are hashes. docs/audit.md describes the rules, the formats
// and the workflow.
package audit
