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
	want, configured, err := s.cfg.InternalAPIKey(s.lookupEnv)
	if !configured {
		s.writeError(w, r, errNotFound.Msg("the internal API is off: set internal.api_key_env or internal.api_key_file"))
		return
	}
	if err != nil {
		s.writeError(w, r, errInternalKey.Because(err))
		return
	}
	got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	// Compare hashes: constant time, whatever the lengths.
	gh, wh := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	if got == "" || subtle.ConstantTimeCompare(gh[:], wh[:]) != 1 {
		s.log.Warn("refused a request to the internal API: wrong or missing key", "ip", s.clientIP(r))
		s.writeError(w, r, errUnauthorized.New())
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
