// Package config loads the gateway's YAML configuration, applies WXGATE_*
// environment overrides and defaults, and validates it, reporting every
// problem at once with its key path and what to do about it.
//
// AppSecrets never sit in the file: each app names an environment variable
// (secret_env) or a file (secret_file) that holds its secret, and the
// resolved secret is only ever held as a redacting wechat.Secret. A literal
// secret is accepted in dev mode only. docs/configuration.md documents
// every key.
package config
