// Package probe is the live probe behind `wxgate audit`: Run drives a
// running backend through its logins against an emulator that knows
// every secret it issued (a Witness), searches every byte the backend
// returns for those secrets, and tries the OAuth attacks of login CSRF,
// code replay and open redirect.
//
// Findings use the audit package's kinds and report formats; they never
// carry a full secret. docs/audit.md describes the workflow.
package probe
