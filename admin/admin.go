// Package admin is wxgate's administration API, served under /admin/api/
// by the gateway: list and search users, show one with their identities
// and sessions, block and unblock, merge, unlink an identity, revoke
// sessions, read a user's audit events, export everything held about a
// user and delete them. docs/admin.md is its contract.
//
// Every request carries the admin key as "Authorization: Bearer KEY"
// (compared in constant time). Answers are JSON; errors are
// {"error":"code","message":"what to do"}. The API never shows a sealed
// field's plaintext (openid, unionid, phone) unless Options.RevealIDs, and
// never a session token, session_key or WeChat token.
package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wxgate/wxgate/storage"
)

// Options configure a Handler.
type Options struct {
	Store storage.Store
	// Key returns the admin key now (it may be rotated while serving);
	// err when it cannot be read.
	Key func() (string, error)
	// RevealIDs lets answers carry openids, unionids and phone numbers,
	// opened with Open.
	RevealIDs bool
	// Open opens a sealed field ("openid", "unionid", "phone") of the row
	// with the key (an identity's openid index, a user's id).
	Open func(field string, rowKey, sealed []byte) (string, error)
	// App names the configured app of a WeChat AppID, and its type; ok is
	// false for an app no longer configured.
	App func(appID string) (name, typ string, ok bool)
	// ResealPhone moves a sealed phone with a merge.
	ResealPhone storage.PhoneResealer
	// OnMerge, if set, is told of every merge the API makes (the
	// gateway's webhook).
	OnMerge func(from, into string)
	Now     func() time.Time
	Log     *slog.Logger
}

// Handler serves /admin/api/.
type Handler struct {
	o   Options
	mux *http.ServeMux
}

// New returns the API's handler.
func New(o Options) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.App == nil {
		o.App = func(string) (string, string, bool) { return "", "", false }
	}
	h := &Handler{o: o, mux: http.NewServeMux()}
	m := h.mux
	m.HandleFunc("GET /admin/api/users", h.listUsers)
	m.HandleFunc("GET /admin/api/users/{id}", h.showUser)
	m.HandleFunc("DELETE /admin/api/users/{id}", h.deleteUser)
	m.HandleFunc("POST /admin/api/users/{id}/block", h.block(true))
	m.HandleFunc("POST /admin/api/users/{id}/unblock", h.block(false))
	m.HandleFunc("POST /admin/api/users/{id}/merge", h.merge)
	m.HandleFunc("GET /admin/api/users/{id}/sessions", h.listSessions)
	m.HandleFunc("DELETE /admin/api/users/{id}/sessions", h.revokeAll)
	m.HandleFunc("DELETE /admin/api/users/{id}/sessions/{sid}", h.revokeOne)
	m.HandleFunc("GET /admin/api/users/{id}/events", h.userEvents)
	m.HandleFunc("GET /admin/api/users/{id}/export", h.export)
	m.HandleFunc("DELETE /admin/api/identities/{id}", h.unlink)
	m.HandleFunc("GET /admin/api/events", h.events)
	m.HandleFunc("/admin/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, apiErr(http.StatusNotFound, "not_found", "no such admin endpoint; see docs/admin.md"))
	})
	return h
}

// ServeHTTP checks the admin key, then serves the API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !h.authorized(w, r) {
		return
	}
	h.mux.ServeHTTP(w, r)
}

// authorized checks the Bearer key in constant time, answering the
// refusal itself.
func (h *Handler) authorized(w http.ResponseWriter, r *http.Request) bool {
	if h.o.Key == nil {
		writeError(w, apiErr(http.StatusNotFound, "admin_off", "the admin API is off: set admin.api_key_env or admin.api_key_file"))
		return false
	}
	want, err := h.o.Key()
	if err != nil || want == "" {
		h.o.Log.Error("the admin key cannot be read", "err", err)
		writeError(w, apiErr(http.StatusServiceUnavailable, "admin_key_unavailable", "the gateway cannot read its admin key; the operator must fix it"))
		return false
	}
	got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	gh, wh := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	if got == "" || subtle.ConstantTimeCompare(gh[:], wh[:]) != 1 {
		h.o.Log.Warn("refused an admin API request: wrong or missing key", "path", r.URL.Path)
		writeError(w, apiErr(http.StatusUnauthorized, "unauthorized", "send the admin key as \"Authorization: Bearer <key>\""))
		return false
	}
	return true
}

// apiError is an answer to a caller's mistake or a failure.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func apiErr(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, map[string]string{"error": e.code, "message": e.message})
}

// fail answers a store error: the caller's mistakes as 4xx, the rest as
// 503 or 500 (logged, never shown).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		writeError(w, ae)
	case errors.Is(err, storage.ErrNotFound):
		writeError(w, apiErr(http.StatusNotFound, "unknown_id", "no user, identity or session has this id (it may have been deleted)"))
	case errors.Is(err, storage.ErrInvalid):
		msg := "the request cannot be done"
		if i := strings.LastIndex(err.Error(), "storage: "); i >= 0 {
			msg = strings.TrimSuffix(strings.TrimPrefix(err.Error()[i:], "storage: "), ": storage: invalid request")
		}
		writeError(w, apiErr(http.StatusBadRequest, "invalid_request", msg))
	case errors.Is(err, storage.ErrUnavailable):
		h.o.Log.Error("admin API: storage unavailable", "path", r.URL.Path, "err", err)
		writeError(w, apiErr(http.StatusServiceUnavailable, "storage_unavailable", "wxgate's storage is unreachable; retry shortly"))
	default:
		h.o.Log.Error("admin API: failed", "path", r.URL.Path, "err", err)
		writeError(w, apiErr(http.StatusInternalServerError, "internal", "the request failed; the gateway's log says why"))
	}
}

// maxID bounds ids in paths and bodies: wxgate's ids are far shorter.
const maxID = 128

// validID reports whether s can be one of wxgate's ids: 1 to maxID
// characters of [A-Za-z0-9_-].
func validID(s string) bool {
	if s == "" || len(s) > maxID {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// pathID returns the path value name if it is a valid id, or answers 400.
func pathID(w http.ResponseWriter, r *http.Request, name string) (string, bool) {
	id := r.PathValue(name)
	if !validID(id) {
		writeError(w, apiErr(http.StatusBadRequest, "invalid_id", "ids are 1 to 128 letters, digits, _ and -, as wxgate gives them (usr-..., idn-..., ses-...)"))
		return "", false
	}
	return id, true
}

// maxBody bounds request bodies.
const maxBody = 4 << 10

// readJSON decodes the request's JSON object into v: unknown fields,
// trailing data, a wrong content type and oversized bodies are refused.
func readJSON(r *http.Request, v any) *apiError {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return apiErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as JSON with Content-Type: application/json")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return apiErr(http.StatusBadRequest, "malformed_body", "the request body could not be read")
	}
	if len(body) > maxBody {
		return apiErr(http.StatusRequestEntityTooLarge, "body_too_large", "the request body is too large (4 KiB at most)")
	}
	if !utf8.Valid(body) {
		return apiErr(http.StatusBadRequest, "malformed_json", "the body is not UTF-8")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		return apiErr(http.StatusBadRequest, "malformed_json", "the body must be one JSON object with the documented fields")
	}
	return nil
}
