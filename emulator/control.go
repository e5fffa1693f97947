package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// maxControlBody bounds a control-API request body.
const maxControlBody = 64 << 10

// MobileCode is what the WeChat SDK hands a mobile app after the user
// authorizes it.
type MobileCode struct {
	Code  string `json:"code"`
	State string `json:"state"`
}

// maxMobileState bounds the state a mobile app passes through the SDK.
const maxMobileState = 1024

// MobileAuthorize is a mobile app's SDK authorization: it returns a code
// for sns/oauth2/access_token (scope snsapi_userinfo) and echoes state.
func (e *Emulator) MobileAuthorize(appid, userID, state string) (MobileCode, error) {
	a, err := e.appAndUser(appid, userID)
	if err != nil {
		return MobileCode{}, err
	}
	if a.typ != wechat.AppTypeMobile {
		return MobileCode{}, wrongAppType(appid, "mobile")
	}
	if len(state) > maxMobileState {
		return MobileCode{}, invalid("state: at most 1024 bytes")
	}
	now := e.clock.now()
	c := e.codes.issue(now, &code{kind: codeOAuth, b: e.bind(a, userID), scope: wechat.ScopeUserInfo, expires: now.Add(codeTTL * time.Second)})
	return MobileCode{Code: c, State: state}, nil
}

// Control-API request bodies.
type (
	userRef struct {
		UserID string `json:"user_id"`
	}
	appUserRequest struct {
		AppID  string `json:"appid"`
		UserID string `json:"user_id"`
	}
	mobileRequest struct {
		AppID  string `json:"appid"`
		UserID string `json:"user_id"`
		State  string `json:"state"`
	}
	clockRequest struct {
		AdvanceSeconds *int64 `json:"advance_seconds"`
	}
)

// ClockState is the virtual clock as the control API reports it.
type ClockState struct {
	Now           int64 `json:"now"`
	OffsetSeconds int64 `json:"offset_seconds"`
}

func (e *Emulator) clockState() ClockState {
	return ClockState{Now: e.clock.now().Unix(), OffsetSeconds: e.clock.offset.Load() / int64(time.Second)}
}

// maxAdvance bounds one clock advance: ten years.
const maxAdvance = 10 * 366 * 86400

func (e *Emulator) controlRoutes(m *http.ServeMux) {
	h := func(pattern string, status int, f func(*http.Request) (any, error)) {
		m.HandleFunc(pattern, e.control(status, f))
	}
	h("POST /_emulator/apps", http.StatusCreated, func(r *http.Request) (any, error) {
		var s AppSpec
		if err := decodeBody(r, &s, false); err != nil {
			return nil, err
		}
		return e.CreateApp(s)
	})
	h("GET /_emulator/apps", http.StatusOK, func(r *http.Request) (any, error) { return e.Apps(), nil })
	h("GET /_emulator/apps/{appid}", http.StatusOK, func(r *http.Request) (any, error) { return e.App(r.PathValue("appid")) })
	h("POST /_emulator/apps/{appid}/reset_secret", http.StatusOK, func(r *http.Request) (any, error) {
		if err := decodeBody(r, &struct{}{}, true); err != nil {
			return nil, err
		}
		s, err := e.ResetSecret(r.PathValue("appid"))
		return map[string]string{"secret": s}, err
	})
	h("POST /_emulator/users", http.StatusCreated, func(r *http.Request) (any, error) {
		var s UserSpec
		if err := decodeBody(r, &s, true); err != nil {
			return nil, err
		}
		id, err := e.CreateUser(s)
		return map[string]string{"user_id": id}, err
	})
	h("GET /_emulator/users", http.StatusOK, func(r *http.Request) (any, error) { return e.listUsers(baseURL(r)), nil })
	h("GET /_emulator/users/{id}", http.StatusOK, func(r *http.Request) (any, error) { return e.getUser(r.PathValue("id"), baseURL(r)) })
	h("PATCH /_emulator/users/{id}", http.StatusOK, func(r *http.Request) (any, error) {
		var p UserPatch
		if err := decodeBody(r, &p, false); err != nil {
			return nil, err
		}
		return e.updateUser(r.PathValue("id"), p, baseURL(r))
	})
	h("GET /_emulator/users/{id}/identity", http.StatusOK, func(r *http.Request) (any, error) {
		appid := r.URL.Query().Get("appid")
		if appid == "" {
			return nil, invalid("appid: required query parameter")
		}
		return e.Identity(r.PathValue("id"), appid)
	})
	h("GET /_emulator/grants", http.StatusOK, func(r *http.Request) (any, error) { return e.Grants(r.URL.Query().Get("status")) })
	h("GET /_emulator/grants/{uuid}", http.StatusOK, func(r *http.Request) (any, error) { return e.GetGrant(r.PathValue("uuid")) })
	grantAction := func(action string) func(*http.Request) (any, error) {
		return func(r *http.Request) (any, error) {
			var u userRef
			if err := decodeBody(r, &u, false); err != nil {
				return nil, err
			}
			if u.UserID == "" {
				return nil, invalid("user_id: required")
			}
			uuid := r.PathValue("uuid")
			switch action {
			case "scan":
				return map[string]string{"status": "scanned"}, e.Scan(uuid, u.UserID)
			case "confirm":
				to, err := e.Confirm(uuid, u.UserID)
				return map[string]string{"redirect": to}, err
			default:
				to, err := e.Cancel(uuid, u.UserID)
				out := map[string]string{"status": "cancelled"}
				if to != "" {
					out["redirect"] = to
				}
				return out, err
			}
		}
	}
	h("POST /_emulator/grants/{uuid}/scan", http.StatusOK, grantAction("scan"))
	h("POST /_emulator/grants/{uuid}/confirm", http.StatusOK, grantAction("confirm"))
	h("POST /_emulator/grants/{uuid}/cancel", http.StatusOK, grantAction("cancel"))
	appUser := func(f func(r *http.Request, req appUserRequest) (any, error)) func(*http.Request) (any, error) {
		return func(r *http.Request) (any, error) {
			var req appUserRequest
			if err := decodeBody(r, &req, false); err != nil {
				return nil, err
			}
			if req.AppID == "" || req.UserID == "" {
				return nil, invalid("appid and user_id: required")
			}
			return f(r, req)
		}
	}
	h("POST /_emulator/miniprogram/login", http.StatusOK, appUser(func(r *http.Request, req appUserRequest) (any, error) {
		c, err := e.MiniProgramLogin(req.AppID, req.UserID)
		return LoginCode{c}, err
	}))
	h("POST /_emulator/miniprogram/userinfo", http.StatusOK, appUser(func(r *http.Request, req appUserRequest) (any, error) {
		return e.miniProgramUserInfo(req.AppID, req.UserID, baseURL(r))
	}))
	h("POST /_emulator/miniprogram/phonenumber", http.StatusOK, appUser(func(r *http.Request, req appUserRequest) (any, error) {
		return e.MiniProgramPhoneNumber(req.AppID, req.UserID)
	}))
	h("POST /_emulator/mobile/authorize", http.StatusOK, func(r *http.Request) (any, error) {
		var req mobileRequest
		if err := decodeBody(r, &req, false); err != nil {
			return nil, err
		}
		if req.AppID == "" || req.UserID == "" {
			return nil, invalid("appid and user_id: required")
		}
		return e.MobileAuthorize(req.AppID, req.UserID, req.State)
	})
	e.wxaCodeRoutes(h)
	e.oaRoutes(h)
	h("GET /_emulator/clock", http.StatusOK, func(r *http.Request) (any, error) { return e.clockState(), nil })
	h("POST /_emulator/clock", http.StatusOK, func(r *http.Request) (any, error) {
		var req clockRequest
		if err := decodeBody(r, &req, false); err != nil {
			return nil, err
		}
		if req.AdvanceSeconds == nil || *req.AdvanceSeconds < 0 || *req.AdvanceSeconds > maxAdvance {
			return nil, invalid("advance_seconds: required, between 0 and 316224000 (the clock never goes back)")
		}
		e.Advance(time.Duration(*req.AdvanceSeconds) * time.Second)
		return e.clockState(), nil
	})
	h("GET /_emulator/faults", http.StatusOK, func(r *http.Request) (any, error) { return e.Faults(), nil })
	h("POST /_emulator/faults", http.StatusOK, func(r *http.Request) (any, error) {
		var f Fault
		if err := decodeBody(r, &f, false); err != nil {
			return nil, err
		}
		return map[string]string{"status": "ok"}, e.SetFault(f)
	})
	h("DELETE /_emulator/faults", http.StatusOK, func(r *http.Request) (any, error) {
		e.ClearFaults()
		return map[string]string{"status": "ok"}, nil
	})
	h("GET /_emulator/stats", http.StatusOK, func(r *http.Request) (any, error) { return e.Stats(), nil })
	h("DELETE /_emulator/stats", http.StatusOK, func(r *http.Request) (any, error) {
		e.ResetStats()
		return map[string]string{"status": "ok"}, nil
	})
	h("GET /_emulator/behaviour", http.StatusOK, func(r *http.Request) (any, error) { return e.Behaviour(), nil })
	h("GET /_emulator/healthz", http.StatusOK, func(r *http.Request) (any, error) { return map[string]bool{"ok": true}, nil })

	m.HandleFunc("GET /_emulator/phone", e.handlePhone)
	m.HandleFunc("GET /_emulator/assets/{name}", e.handleAsset)
	m.HandleFunc("POST /_emulator/consent/{uuid}", e.handleConsent)
	m.HandleFunc("/_emulator/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(m, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeControlError(w, &Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: r.Method + " is not allowed here; use " + strings.Join(allow, " or ")})
			return
		}
		writeControlError(w, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no control endpoint at " + r.URL.Path})
	})
}

// allowedMethods lists the methods m serves r's path with, other than the
// catch-all.
func allowedMethods(m *http.ServeMux, r *http.Request) []string {
	var out []string
	for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete} {
		r2 := r.Clone(r.Context())
		r2.Method = method
		if _, p := m.Handler(r2); p != "/_emulator/" && p != "" {
			out = append(out, method)
		}
	}
	return out
}

// control adapts a control handler: it refuses cross-origin browser writes
// and writes the result as JSON with status, or the error.
func (e *Emulator) control(status int, f func(*http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && !sameOrigin(r) {
			writeControlError(w, &Error{Status: http.StatusForbidden, Code: "cross_origin", Message: "control calls from another origin are refused"})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxControlBody)
		v, err := f(r)
		if err != nil {
			writeControlError(w, asError(err))
			return
		}
		b, err := json.Marshal(v)
		if err != nil {
			writeControlError(w, asError(err))
			return
		}
		writeRaw(w, status, b)
	}
}

func writeControlError(w http.ResponseWriter, ce *Error) {
	b, _ := json.Marshal(ce)
	writeRaw(w, ce.Status, b)
}

// decodeBody reads r's JSON body into v. allowEmpty accepts an empty body
// (v keeps its zero value).
func decodeBody(r *http.Request, v any, allowEmpty bool) error {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: "request body is larger than 64 KiB"}
		}
		return &Error{Status: http.StatusBadRequest, Code: "malformed_json", Message: "cannot read the request body"}
	}
	return decodeStrict(b, v, allowEmpty)
}

// decodeStrict decodes exactly one JSON object into v, refusing unknown
// fields, wrong types and trailing data.
func decodeStrict(b []byte, v any, allowEmpty bool) error {
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		if allowEmpty {
			return nil
		}
		return &Error{Status: http.StatusBadRequest, Code: "malformed_json", Message: "the request body must be a JSON object"}
	}
	if len(b) > maxControlBody {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "body_too_large", Message: "request body is larger than 64 KiB"}
	}
	if t[0] != '{' {
		return &Error{Status: http.StatusBadRequest, Code: "malformed_json", Message: "the request body must be a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return &Error{Status: http.StatusBadRequest, Code: "unknown_field", Message: strings.TrimPrefix(err.Error(), "json: ")}
		case errors.As(err, &te):
			return invalid(te.Field + ": wrong JSON type " + te.Value)
		}
		return &Error{Status: http.StatusBadRequest, Code: "malformed_json", Message: "malformed JSON"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &Error{Status: http.StatusBadRequest, Code: "malformed_json", Message: "trailing data after the JSON object"}
	}
	return nil
}
