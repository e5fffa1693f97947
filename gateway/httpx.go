package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/wxgate/wxgate/web"
)

// apiError is an error answered to the client as JSON
// {"error":"snake_case_code","message":"human text"}, made from an entry of
// the catalogue (errors.go). Message is written for the person integrating
// with the API: what went wrong and what to do. It never holds a secret,
// token, code or openid.
type apiError struct {
	Status  int
	Code    string
	Message string
	// RetryAfter, when positive, is sent as the Retry-After header
	// (seconds).
	RetryAfter int
	// cause is logged, never sent.
	cause error
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }
func (e *apiError) Unwrap() error { return e.cause }

// asAPIError finds the *apiError in err's chain.
func asAPIError(err error) (*apiError, bool) {
	var ae *apiError
	ok := errors.As(err, &ae)
	return ae, ok
}

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// writeJSON answers v with the status. Every API answer is uncacheable:
// several carry session tokens.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// writeError answers err as JSON. Anything that is not an *apiError is an
// internal failure: the client learns only that, the log learns the rest.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	ae, ok := asAPIError(err)
	if !ok {
		ae = errInternal.Msg("wxgate failed to handle the request; the gateway's log has the details (request id %s)", requestID(r)).Because(err)
	}
	if ae.Status >= 500 || ae.cause != nil {
		lvl := s.log.Warn
		if ae.Status >= 500 {
			lvl = s.log.Error
		}
		lvl("request failed", "request_id", requestID(r), "path", r.URL.Path, "status", ae.Status, "error", ae.Code, "cause", errString(ae.cause))
	}
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", itoa(ae.RetryAfter))
	}
	if ae.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="wxgate"`)
	}
	writeJSON(w, ae.Status, errorBody{Error: ae.Code, Message: ae.Message})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// decodeJSON reads a JSON object body into v strictly: the media type must
// be JSON, the body at most limit bytes, exactly one object, no unknown
// fields.
func decodeJSON(r *http.Request, v any, limit int64) error {
	body, err := readBody(r, limit)
	if err != nil {
		return err
	}
	return parseJSON(r, body, v)
}

// readBody reads at most limit bytes of the request body.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, errMalformedBody.New()
	}
	if int64(len(body)) > limit {
		return nil, errBodyTooLarge.Msg("the request body is larger than %d bytes", limit)
	}
	return body, nil
}

// parseJSON decodes a body read by readBody (see decodeJSON).
func parseJSON(r *http.Request, body []byte, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errUnsupportedMediaType.New()
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errMalformedJSON.Msg("the body must be one JSON object with the documented fields: %s", jsonProblem(err))
	}
	if dec.More() {
		return errMalformedJSON.Msg("the body must hold exactly one JSON object")
	}
	return nil
}

// jsonProblem describes a decoding error without echoing the input (which
// may be a code or encrypted data).
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("field %q must not be a JSON %s", te.Field, te.Value)
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	default:
		return "invalid JSON"
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// staticHandler serves the pages' CSS and scripts, cacheable for an hour.
func staticHandler() http.Handler {
	fs := http.FileServerFS(web.Static())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fs.ServeHTTP(w, r)
	})
}
