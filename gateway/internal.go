package gateway

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/wxgate/wxgate/wechat"
)

// handleInternalToken is GET /internal/wechat/access_token?app=NAME: the
// app access token from central control, for the company's other backends,
// so that no other service ever needs the AppSecret. It requires the
// internal API key (internal.api_key_env or api_key_file) as a Bearer
// token; without a configured key the endpoint does not exist.
func (s *Server) handleInternalToken(w http.ResponseWriter, r *http.Request) {
	if err := s.internalAuth(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	name := r.URL.Query().Get("app")
	a, err := s.apps.lookup(name, wechat.AppTypeOfficialAccount, wechat.AppTypeMiniProgram)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	tok, left, err := s.tokens.Token(r.Context(), a.AppID())
	if err != nil {
		s.writeError(w, r, s.wechatFailure(a, "", err))
		return
	}
	writeJSON(w, http.StatusOK, appTokenAnswer{AccessToken: tok.Reveal(), ExpiresIn: int64(left.Seconds())})
}

// appTokenAnswer is the JSON of GET /internal/wechat/access_token.
type appTokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// internalAuth checks the internal API key of a request to /internal/.
func (s *Server) internalAuth(r *http.Request) error {
	want, configured, err := s.cfg.InternalAPIKey(s.lookupEnv)
	if !configured {
		return errNotFound.Msg("the internal API is off: set internal.api_key_env or internal.api_key_file")
	}
	if err != nil {
		return errInternalKey.Because(err)
	}
	got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	// Compare hashes: constant time, whatever the lengths.
	gh, wh := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	if got == "" || subtle.ConstantTimeCompare(gh[:], wh[:]) != 1 {
		s.log.Warn("refused a request to the internal API: wrong or missing key", "ip", s.clientIP(r))
		return errUnauthorized.New()
	}
	return nil
}

// handleInternalTokenRefresh is POST /internal/wechat/access_token/refresh
// {"app","refused_token"}: a backend whose call WeChat refused with 40001,
// 40014 or 42001 reports the token it used. Compare-and-refresh: if the
// shared cache already holds another token (someone refreshed), that one
// is answered; otherwise one instance fetches a new token for everyone, so
// a burst of reports from many backends on many instances costs one fetch.
func (s *Server) handleInternalTokenRefresh(w http.ResponseWriter, r *http.Request) {
	if err := s.internalAuth(r); err != nil {
		s.writeError(w, r, err)
		return
	}
	var req struct {
		App          string `json:"app"`
		RefusedToken string `json:"refused_token"`
	}
	if err := decodeJSON(r, &req, smallBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.RefusedToken == "" || len(req.RefusedToken) > 2048 {
		s.writeError(w, r, errMissingField.Msg("set \"refused_token\" to the access token WeChat refused (at most 2048 characters)"))
		return
	}
	a, err := s.apps.lookup(req.App, wechat.AppTypeOfficialAccount, wechat.AppTypeMiniProgram)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if _, err := s.tokens.Invalidate(r.Context(), a.AppID(), wechat.NewToken(req.RefusedToken)); err != nil {
		s.writeError(w, r, s.wechatFailure(a, "", err))
		return
	}
	tok, left, err := s.tokens.Token(r.Context(), a.AppID())
	if err != nil {
		s.writeError(w, r, s.wechatFailure(a, "", err))
		return
	}
	writeJSON(w, http.StatusOK, appTokenAnswer{AccessToken: tok.Reveal(), ExpiresIn: int64(left.Seconds())})
}
