package gateway

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// The official account's event receiver: the URL of the account's server
// configuration (服务器配置) is {public_url}/wechat/events/{app}. WeChat
// checks it once with GET (signature, timestamp, nonce, echostr) and then
// POSTs events as XML, plaintext or (safe mode) encrypted. The receiver
// checks the signature in constant time, refuses timestamps outside the
// replay window, drops duplicates (WeChat retries; dedupe on FromUserName
// and CreateTime), and answers "success" at once: the only work it does is
// one cache update for a follow-the-account scan.

// eventDedupeTTL is how long a push is remembered against duplicates.
const eventDedupeTTL = 15 * time.Minute

// eventApp resolves the app of an event URL with its Token and, in safe
// mode, its message crypter.
func (s *Server) eventApp(r *http.Request) (*app, string, *wechat.MessageCrypter, error) {
	a, ok := s.apps.byName[r.PathValue("app")]
	if !ok || a.Type() != wechat.AppTypeOfficialAccount || a.cfg.EventTokenEnv == "" {
		return nil, "", nil, errEventAppUnknown.New()
	}
	token, aesKey, err := a.cfg.EventSecrets(s.lookupEnv)
	if err != nil || token == "" {
		return nil, "", nil, errInternal.Because(err)
	}
	var c *wechat.MessageCrypter
	if aesKey != "" {
		if c, err = wechat.NewMessageCrypter(aesKey, a.AppID()); err != nil {
			return nil, "", nil, errInternal.Because(err)
		}
	}
	return a, token, c, nil
}

// checkEventTime refuses a timestamp outside the replay window.
func (s *Server) checkEventTime(ts string) error {
	n, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) > 12 {
		return errEventBadSignature.Msg("timestamp must be the unix time WeChat signed")
	}
	window := time.Duration(s.cfg.Security.ReplayWindow)
	if d := s.now().Sub(time.Unix(n, 0)); d > window || d < -window {
		return errEventStale.New()
	}
	return nil
}

// handleEventCheck is GET /wechat/events/{app}: WeChat's check of the
// server URL. A correct signature gets echostr back.
func (s *Server) handleEventCheck(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a, token, _, err := s.eventApp(r)
	if err == nil {
		err = s.checkEventTime(q.Get("timestamp"))
	}
	if err == nil && !wechat.CheckPushSignature(q.Get("signature"), token, q.Get("timestamp"), q.Get("nonce")) {
		err = errEventBadSignature.New()
	}
	echo := q.Get("echostr")
	if err == nil && (echo == "" || len(echo) > 128 || strings.ContainsFunc(echo, func(c rune) bool {
		return !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_')
	})) {
		err = errMalformedPush.Msg("echostr must be the digits WeChat sends")
	}
	if err != nil {
		s.eventRefused(r, a, err)
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, echo)
}

func (s *Server) eventRefused(r *http.Request, a *app, err error) {
	name := ""
	if a != nil {
		name = a.Name()
	}
	s.log.Warn("refused an event push", "app", name, "ip", s.clientIP(r), "error", outcomeLabel(err))
}

// handleEvent is POST /wechat/events/{app}: an event push.
func (s *Server) handleEvent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a, token, crypter, err := s.eventApp(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if err := s.checkEventTime(ts); err != nil {
		s.eventRefused(r, a, err)
		s.writeError(w, r, err)
		return
	}
	body, err := readBody(r, wechat.MaxPushBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	push, err := wechat.ParsePush(body)
	if err != nil {
		s.eventRefused(r, a, errMalformedPush.New())
		s.writeError(w, r, errMalformedPush.New())
		return
	}
	if crypter != nil {
		// Safe mode: msg_signature covers the ciphertext; the message
		// inside must open with the account's key and AppID.
		if push.Encrypt == "" || !wechat.CheckPushSignature(q.Get("msg_signature"), token, ts, nonce, push.Encrypt) {
			s.eventRefused(r, a, errEventBadSignature.New())
			s.writeError(w, r, errEventBadSignature.New())
			return
		}
		inner, err := crypter.Decrypt(push.Encrypt)
		if err == nil {
			push, err = wechat.ParsePush(inner)
		}
		if err != nil {
			s.eventRefused(r, a, errMalformedPush.New())
			s.writeError(w, r, errMalformedPush.Msg("the encrypted message does not open with this account's EncodingAESKey, or is not well-formed"))
			return
		}
	} else if !wechat.CheckPushSignature(q.Get("signature"), token, ts, nonce) {
		s.eventRefused(r, a, errEventBadSignature.New())
		s.writeError(w, r, errEventBadSignature.New())
		return
	}
	ctx := r.Context()
	if push.FromUserName != "" && push.CreateTime > 0 {
		h := sha256.Sum256([]byte(push.FromUserName + "\x00" + strconv.FormatInt(push.CreateTime, 10) + "\x00" + push.Event + "\x00" + push.EventKey))
		first, err := s.kv.SetNX(ctx, "wxgate:wxevent:"+a.Name()+":"+hex.EncodeToString(h[:16]), []byte{1}, eventDedupeTTL)
		if err != nil {
			s.writeError(w, r, storageFailure(err))
			return
		}
		if !first {
			s.log.Debug("event push", "app", a.Name(), "kind", "duplicate")
			answerSuccess(w)
			return
		}
	}
	kind := s.applyEvent(r, a, push)
	s.log.Debug("event push", "app", a.Name(), "kind", kind)
	answerSuccess(w)
}

// answerSuccess is what WeChat wants from an event receiver: "success"
// (no passive reply).
func answerSuccess(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, "success")
}

// applyEvent acts on a verified push and names what it was, for metrics.
func (s *Server) applyEvent(r *http.Request, a *app, p *wechat.Push) string {
	if p.MsgType != "event" {
		return "other"
	}
	var scene string
	switch p.Event {
	case "subscribe":
		scene, _ = strings.CutPrefix(p.EventKey, "qrscene_")
	case "SCAN":
		scene = p.EventKey
	default:
		return "other"
	}
	if !validScanID(scene) || p.FromUserName == "" || len(p.FromUserName) > 128 {
		return "other" // a code of the account's own, not a login
	}
	sealed, err := s.sealScanIdentity(scene, scanIdentity{OpenID: p.FromUserName})
	if err != nil {
		s.log.Error("sealing a scanned identity failed", "err", err)
		return "error"
	}
	_, err = s.updateScan(r.Context(), scene, func(rec *scanRecord) error {
		if rec.Method != scanMethodFollow || rec.App != a.Name() {
			return errScanExpired.New()
		}
		if rec.Status != scanWaiting {
			return errScanState.New()
		}
		rec.Status, rec.Identity = scanConfirmed, sealed
		return nil
	})
	if err != nil {
		s.log.Info("an event named a scan that is not waiting", "app", a.Name(), "error", outcomeLabel(err))
		return "stale_scan"
	}
	return "login"
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
