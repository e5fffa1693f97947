// Package audit finds leaked WeChat secrets before the platform's review
// does: Scanner reads source trees, mini-program bundles, HAR captures and
// logs for AppSecrets, session_keys, access tokens and the code patterns
// that leak them (wxgate scan); Run drives a running backend through its
// logins against an emulator that knows every secret it issued, searches
// every byte the backend returns for them, and tries the OAuth attacks of
// login CSRF, code replay and open redirect (wxgate audit).
//
// Findings never carry a full secret: excerpts are redacted and
// fingerprints are hashes. docs/audit.md describes the rules, the formats
// and the workflow.
package audit
