package gateway

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/wxgate/wxgate/ratelimit"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/wechat"
)

// Body limits. Login bodies are tiny; encrypted data is a few KiB.
const (
	smallBody   = 4 << 10
	decryptBody = 64 << 10
	maxCodeLen  = 512
)

type codeLogin struct {
	App  string `json:"app"`
	Code string `json:"code"`
	// Invitation is an invitation code, for accounts.signup: allowlist.
	Invitation string `json:"invitation,omitempty"`
}

// checkCode validates a code from a client before it goes to WeChat.
func checkCode(code, what string) error {
	if code == "" {
		return errMissingCode.Msg("set \"code\" to the %s", what)
	}
	if len(code) > maxCodeLen || strings.IndexFunc(code, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
		return errInvalidCode.Msg("the %s is malformed; send it exactly as WeChat gave it", what)
	}
	return nil
}

// handleMiniProgramLogin is POST /auth/miniprogram/login {"app","code"}:
// the code from wx.login is exchanged at jscode2session, the session_key
// sealed beside the user's identity, and an opaque session token returned.
// The session_key and openid never leave the server.
func (s *Server) handleMiniProgramLogin(w http.ResponseWriter, r *http.Request) {
	var req codeLogin
	if err := decodeJSON(r, &req, smallBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	a, err := s.apps.lookup(req.App, wechat.AppTypeMiniProgram)
	if err == nil {
		err = checkCode(req.Code, "code from wx.login")
	}
	if err == nil {
		err = s.limitIP(r, ratelimit.LoginIP, a.Name())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ans, err := s.miniProgramLogin(withInvitation(r, req.Invitation), a, req.Code)
	s.countLogin(r, a, ans.User.ID, err)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) miniProgramLogin(r *http.Request, a *app, code string) (loginAnswer, error) {
	// Never retried: the code is single-use.
	ws, err := a.Client().Code2Session(r.Context(), code)
	if err != nil {
		return loginAnswer{}, s.wechatFailure(a, "login code", err)
	}
	if err := s.limitUser(r, a, ws.OpenID); err != nil {
		return loginAnswer{}, err
	}
	ans, _, err := s.login(r, wechatLogin{app: a, openID: ws.OpenID, unionID: ws.UnionID, sessionKey: ws.SessionKey})
	return ans, err
}

// limitUser applies the per-user login rule, keyed by the openid's blind
// index (the user may not exist yet).
func (s *Server) limitUser(r *http.Request, a *app, openID string) error {
	return s.limit(r, ratelimit.LoginUser, hex.EncodeToString(s.keyring().Index(indexOpenID, a.AppID(), openID)), a.Name())
}

// sessionIdentity returns the caller's session, identity and app, requiring
// an app of one of the given types.
func (s *Server) sessionIdentity(r *http.Request, body []byte, types ...wechat.AppType) (storage.Session, storage.Identity, *app, error) {
	sess, err := s.authenticateSigned(r, body)
	if err != nil {
		return sess, storage.Identity{}, nil, err
	}
	ident, err := s.store.GetIdentity(r.Context(), sess.IdentityID)
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return sess, ident, nil, errSessionExpired.New()
		}
		return sess, ident, nil, storageFailure(err)
	}
	a, ok := s.apps.byAppID[ident.AppID]
	if !ok {
		return sess, ident, nil, errAppNotConfigured.Msg("the app this session logged in with is no longer configured; log in again")
	}
	for _, t := range types {
		if a.Type() == t {
			return sess, ident, a, nil
		}
	}
	return sess, ident, nil, errSessionWrongApp.Msg("this session belongs to %s app %q; this endpoint needs a session of a %s app", a.Type(), a.Name(), joinTypes(types))
}

type decryptRequest struct {
	EncryptedData string `json:"encrypted_data"`
	IV            string `json:"iv"`
}

// handleMiniProgramDecrypt is POST /auth/miniprogram/decrypt
// {"encrypted_data","iv"} with a mini-program session: the payload is
// decrypted with the stored session_key, its watermark checked (app and
// age), and returned without the watermark.
func (s *Server) handleMiniProgramDecrypt(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, decryptBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, ident, a, err := s.sessionIdentity(r, body, wechat.AppTypeMiniProgram)
	if err == nil {
		err = s.limitIP(r, ratelimit.DecryptIP, a.Name())
	}
	if err == nil {
		err = s.limit(r, ratelimit.DecryptUser, ident.UserID, a.Name())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req decryptRequest
	if err := parseJSON(r, body, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.EncryptedData == "" || req.IV == "" {
		s.writeError(w, r, errMissingField.Msg("send both \"encrypted_data\" and \"iv\" exactly as WeChat gave them to the mini-program"))
		return
	}
	ctx := r.Context()
	keyText, err := s.open(fieldSessionKey, ident.OpenIDIndex, ident.SessionKey)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if keyText == "" {
		s.metrics.decryptFails.WithLabelValues(a.Name(), errSessionKeyStale.Code).Inc()
		s.writeError(w, r, errSessionKeyStale.New())
		return
	}
	key := wechat.NewSessionKey(keyText)
	d, err := wechat.DecryptData(key, a.AppID(), req.EncryptedData, req.IV)
	if err != nil {
		err = s.decryptFailure(ctx, a, ident, key)
		var ae *apiError
		if errors.As(err, &ae) {
			s.metrics.decryptFails.WithLabelValues(a.Name(), ae.Code).Inc()
			if ae.Code == errSessionKeyStale.Code {
				s.event(ctx, r, EventSessionStale, ident.UserID, a.Name(), nil)
			}
		}
		s.writeError(w, r, err)
		return
	}
	maxAge := time.Duration(a.cfg.WatermarkMaxAge)
	if err := d.CheckAge(s.now(), maxAge); err != nil {
		s.metrics.decryptFails.WithLabelValues(a.Name(), "data_expired").Inc()
		s.writeError(w, r, errDataExpired.Msg(
			"the encrypted data is older than %s (or dated in the future); fetch it again in the mini-program and resend it at once", maxAge))
		return
	}
	fields, err := d.Fields()
	if err != nil {
		s.writeError(w, r, errDecryptFailed.New())
		return
	}
	if err := s.absorbDecrypted(ctx, ident, fields); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !a.cfg.ExposeOpenID {
		delete(fields, "openId")
		delete(fields, "unionId")
	}
	writeJSON(w, http.StatusOK, decryptAnswer{Data: fields})
}

// decryptFailure decides what a failed decryption means. The answer never
// depends on the ciphertext (that would be a padding oracle): only on
// whether WeChat still considers the stored key current. A stale key is
// forgotten, so later attempts fail fast without asking WeChat again.
func (s *Server) decryptFailure(ctx context.Context, a *app, ident storage.Identity, key wechat.SessionKey) error {
	openID, err := s.open(fieldOpenID, ident.OpenIDIndex, ident.OpenID)
	if err != nil {
		return err
	}
	err = wechat.Retry(ctx, 3, func() error {
		return s.tokens.Do(ctx, a.AppID(), func(tok wechat.Token) error {
			return a.Client().CheckSession(ctx, tok, openID, key)
		})
	})
	if !errors.Is(err, wechat.ErrInvalidSignature) {
		if err != nil {
			s.log.Warn("checking the session_key with WeChat failed", "app", a.Name(), "err", err)
		}
		return errDecryptFailed.New()
	}
	seenAt := ident.SessionKeyAt
	_, uerr := s.updateIdentity(ctx, ident.ID, func(i *storage.Identity) error {
		if i.SessionKeyAt.Equal(seenAt) { // unless a login replaced it meanwhile
			i.SessionKey = nil
		}
		return nil
	})
	if uerr != nil {
		s.log.Warn("forgetting a stale session_key failed", "identity", ident.ID, "err", uerr)
	}
	return errSessionKeyStale.New()
}

// absorbDecrypted keeps what decrypted data says about the user: a
// verified profile (wx.getUserInfo) or phone number (the legacy
// getPhoneNumber payload). It also refuses data about another user.
func (s *Server) absorbDecrypted(ctx context.Context, ident storage.Identity, f map[string]json.RawMessage) error {
	str := func(k string) string {
		var v string
		if raw, ok := f[k]; ok {
			_ = json.Unmarshal(raw, &v)
		}
		return v
	}
	if oid := str("openId"); oid != "" {
		mine, err := s.open(fieldOpenID, ident.OpenIDIndex, ident.OpenID)
		if err != nil {
			return err
		}
		if oid != mine {
			return errDecryptFailed.New()
		}
	}
	nick, phone, avatar := str("nickName"), str("purePhoneNumber"), str("avatarUrl")
	if nick == "" && phone == "" {
		return nil
	}
	var gender int
	if raw, ok := f["gender"]; ok {
		_ = json.Unmarshal(raw, &gender)
	}
	u, err := s.store.UpdateUser(ctx, ident.UserID, func(u storage.User) (storage.User, error) {
		if nick != "" {
			mergeProfile(&u, nick, gender, str("province"), str("city"), str("country"))
		}
		if phone != "" {
			sealed, err := s.seal(fieldPhone, []byte(u.ID), str("phoneNumber"))
			if err != nil {
				return u, err
			}
			u.Phone = sealed
		}
		u.UpdatedAt = s.now().UTC()
		return u, nil
	})
	if err != nil {
		return storageFailure(err)
	}
	s.copyAvatar(ctx, u, avatar)
	return nil
}

type phoneRequest struct {
	Code string `json:"code"`
}

// handleMiniProgramPhone is POST /auth/miniprogram/phone {"code"} with a
// mini-program session: the code from the getPhoneNumber button is
// exchanged at getuserphonenumber with the app access token from central
// control, and the number is kept (sealed) and returned.
func (s *Server) handleMiniProgramPhone(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, smallBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, ident, a, err := s.sessionIdentity(r, body, wechat.AppTypeMiniProgram)
	if err == nil {
		err = s.limitIP(r, ratelimit.PhoneIP, a.Name())
	}
	if err == nil {
		err = s.limit(r, ratelimit.PhoneUser, ident.UserID, a.Name())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req phoneRequest
	if err := parseJSON(r, body, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkCode(req.Code, "code from the getPhoneNumber button"); err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	openID, err := s.open(fieldOpenID, ident.OpenIDIndex, ident.OpenID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var info *wechat.PhoneInfo
	err = s.tokens.Do(ctx, a.AppID(), func(tok wechat.Token) error {
		var err error
		info, err = a.Client().GetUserPhoneNumber(ctx, tok, req.Code, openID)
		return err
	})
	if err != nil {
		s.writeError(w, r, s.wechatFailure(a, "phone code", err))
		return
	}
	_, err = s.store.UpdateUser(ctx, ident.UserID, func(u storage.User) (storage.User, error) {
		sealed, err := s.seal(fieldPhone, []byte(u.ID), info.PhoneNumber)
		if err != nil {
			return u, err
		}
		u.Phone, u.UpdatedAt = sealed, s.now().UTC()
		return u, nil
	})
	if err != nil {
		s.writeError(w, r, storageFailure(err))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"phone_number":      info.PhoneNumber,
		"pure_phone_number": info.PurePhoneNumber,
		"country_code":      info.CountryCode,
	})
}

// decryptAnswer is the JSON of POST /auth/miniprogram/decrypt: the
// decrypted fields, as WeChat wrote them.
type decryptAnswer struct {
	Data map[string]json.RawMessage `json:"data"`
}
