package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/wxgate/wxgate/ratelimit"
	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/wechat"
)

// Scan logins: a browser shows a code, a person scans it with WeChat on
// their phone, and the browser logs in with that person's identity. Two
// kinds share the machinery here: the mini-program code (the person's
// mini-program confirms, scan_miniprogram.go) and the official account's
// parametric QR code (scanning it, or following the account, is the
// confirmation, scan_follow.go).
//
// A pending scan is a record in the shared cache (storage.KV), so any
// gateway instance can serve any step. It is bound to the browser that
// started it (the same binding cookie as the other browser logins), lives
// at most scanTTL, and is spent once: the first waiting request of the
// right browser that sees it confirmed takes it and gets the session.

const (
	scanTTL = 5 * time.Minute
	// scanLongPoll is how long a waiting request is held while nothing
	// changes; browsers ask again at once.
	scanLongPoll = 25 * time.Second
	// scanRecheck is how often a waiting request re-reads the cache, for
	// changes made by another instance (this instance's changes wake it at
	// once).
	scanRecheck = 50 * time.Millisecond
	// scanIDLen is the length of a scan id: 32 characters of [A-Za-z0-9]
	// (190 bits), which is also WeChat's limit for a mini-program code's
	// scene.
	scanIDLen = 32
)

// Scan methods (the method parameter).
const (
	scanMethodMiniProgram = "miniprogram"
	scanMethodFollow      = "follow"
)

// Scan statuses, as the waiting page sees them.
const (
	scanWaiting   = "waiting"
	scanScanned   = "scanned"
	scanConfirmed = "confirmed"
	scanCancelled = "cancelled"
	scanExpired   = "expired"
)

// scanRecord is a pending scan login in the cache.
type scanRecord struct {
	Method   string `json:"m"`
	App      string `json:"a"` // the app the person logs in with
	Binding  []byte `json:"b"` // SHA-256 of the starting browser's binding
	ReturnTo string `json:"r"`
	Status   string `json:"s"`
	Created  int64  `json:"c"`
	Expires  int64  `json:"e"`
	Browser  string `json:"u"` // "Chrome on Windows": shown to the person who scans
	Place    string `json:"p"` // the starting browser's address, shortened
	// Scanner is the blind index of the openid that scanned: a second
	// person cannot take the scan over.
	Scanner []byte `json:"o,omitempty"`
	// ConfirmHash is the SHA-256 of the token the scanning mini-program
	// must present to confirm or cancel.
	ConfirmHash []byte `json:"k,omitempty"`
	// Identity is the sealed scanIdentity of the person who scanned.
	Identity []byte `json:"i,omitempty"`
	Seq      int    `json:"n"` // bumped on every change
}

// scanIdentity is what WeChat revealed about the person who scanned.
type scanIdentity struct {
	OpenID     string `json:"o"`
	UnionID    string `json:"u,omitempty"`
	SessionKey string `json:"k,omitempty"`
}

func scanKey(id string) string { return "wxgate:scan:" + id }

// validScanID reports whether s has the shape of a scan id.
func validScanID(s string) bool {
	if len(s) != scanIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(alnum, rune(s[i])) {
			return false
		}
	}
	return true
}

// scanHub wakes this instance's waiting requests when a scan changes.
type scanHub struct {
	mu sync.Mutex
	w  map[string]*scanWatch
}

type scanWatch struct {
	ch   chan struct{}
	refs int
}

// watch returns a channel closed at the next change of id, and a function
// to call when no longer waiting.
func (h *scanHub) watch(id string) (<-chan struct{}, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.w == nil {
		h.w = make(map[string]*scanWatch)
	}
	sw, ok := h.w[id]
	if !ok {
		sw = &scanWatch{ch: make(chan struct{})}
		h.w[id] = sw
	}
	sw.refs++
	return sw.ch, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		sw.refs--
		if sw.refs == 0 && h.w[id] == sw {
			delete(h.w, id)
		}
	}
}

func (h *scanHub) notify(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if sw, ok := h.w[id]; ok {
		close(sw.ch)
		delete(h.w, id)
	}
}

// waiting is how many scans have waiting requests (for tests).
func (h *scanHub) waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.w)
}

func (s *Server) scanHub() *scanHub { return &s.scans }

// createScan starts a pending scan login bound to this browser.
func (s *Server) createScan(w http.ResponseWriter, r *http.Request, a *app, method string) (string, scanRecord, error) {
	if err := s.limitIP(r, ratelimit.LoginIP, a.Name()); err != nil {
		return "", scanRecord{}, err
	}
	binding := s.browserBinding(w, r)
	now := s.now()
	rec := scanRecord{
		Method: method, App: a.Name(), Binding: hashBinding(binding), ReturnTo: s.returnTo(r),
		Status: scanWaiting, Created: now.Unix(), Expires: now.Add(scanTTL).Unix(),
		Browser: browserSummary(r.UserAgent()), Place: shortAddr(s.clientAddr(r)),
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return "", rec, err
	}
	id := newState()
	if ok, err := s.kv.SetNX(r.Context(), scanKey(id), raw, scanTTL); err != nil {
		return "", rec, storageFailure(err)
	} else if !ok {
		return "", rec, errors.New("gateway: scan id collision")
	}
	return id, rec, nil
}

// loadScan reads a pending scan; a missing or expired one is errScanExpired.
func (s *Server) loadScan(ctx context.Context, id string) ([]byte, scanRecord, error) {
	var rec scanRecord
	if !validScanID(id) {
		return nil, rec, errScanExpired.New()
	}
	raw, err := s.kv.Get(ctx, scanKey(id))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, rec, errScanExpired.New()
	}
	if err != nil {
		return nil, rec, storageFailure(err)
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, rec, err
	}
	if s.now().Unix() >= rec.Expires {
		return nil, rec, errScanExpired.New()
	}
	return raw, rec, nil
}

// updateScan applies fn to a pending scan atomically (compare and swap,
// retried when another request changed it meanwhile) and wakes its
// waiters.
func (s *Server) updateScan(ctx context.Context, id string, fn func(*scanRecord) error) (scanRecord, error) {
	for range 8 {
		old, rec, err := s.loadScan(ctx, id)
		if err != nil {
			return rec, err
		}
		if err := fn(&rec); err != nil {
			return rec, err
		}
		rec.Seq++
		raw, err := json.Marshal(rec)
		if err != nil {
			return rec, err
		}
		ttl := time.Unix(rec.Expires, 0).Sub(s.now())
		if ttl <= 0 {
			return rec, errScanExpired.New()
		}
		ok, err := s.kv.CompareAndSwap(ctx, scanKey(id), old, raw, min(ttl, scanTTL))
		if err != nil {
			return rec, storageFailure(err)
		}
		if ok {
			s.scanHub().notify(id)
			return rec, nil
		}
	}
	return scanRecord{}, errScanBusy.New()
}

// newConfirmToken returns a random token and its SHA-256.
func newConfirmToken() (string, []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("gateway: crypto/rand failed: " + err.Error())
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(t))
	return t, h[:]
}

func checkConfirmToken(token string, want []byte) bool {
	h := sha256.Sum256([]byte(token))
	return len(want) == len(h) && subtle.ConstantTimeCompare(h[:], want) == 1
}

// sealScanIdentity seals who scanned, bound to the scan id.
func (s *Server) sealScanIdentity(id string, si scanIdentity) ([]byte, error) {
	b, err := json.Marshal(si)
	if err != nil {
		return nil, err
	}
	return s.keyring().Seal(b, []byte(scanKey(id)))
}

func (s *Server) openScanIdentity(id string, sealed []byte) (scanIdentity, error) {
	var si scanIdentity
	b, err := s.keyring().Open(sealed, []byte(scanKey(id)))
	if err != nil {
		return si, err
	}
	return si, json.Unmarshal(b, &si)
}

// scanView is what the waiting browser is told.
type scanView struct {
	Status    string `json:"status"`
	ExpiresIn int64  `json:"expires_in,omitempty"`
	ReturnTo  string `json:"return_to,omitempty"`
	// Seq changes with every change of the scan; the page sends it back as
	// last to wait for the next one.
	Seq int `json:"seq"`
}

// handleScanWait is GET /auth/wechat/scan/wait?id=&seq=: the waiting
// page's long-poll. It answers at once when the scan differs from seq (or
// no seq is given), otherwise when it changes or after scanLongPoll. When
// the scan is confirmed, the first such request from the starting browser
// takes it and gets the session cookie.
func (s *Server) handleScanWait(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id := q.Get("id")
	last := -1
	if v := q.Get("seq"); v != "" {
		n, err := parseSmallInt(v)
		if err != nil {
			s.writeError(w, r, errInvalidSeq.New())
			return
		}
		last = n
	}
	binding := ""
	if c, err := r.Cookie(s.bindingCookieName()); err == nil {
		binding = c.Value
	}
	ctx := r.Context()
	if !validScanID(id) {
		s.writeError(w, r, errInvalidScan.New())
		return
	}
	deadline := time.NewTimer(scanLongPoll)
	defer deadline.Stop()
	tick := time.NewTicker(scanRecheck)
	defer tick.Stop()
	for {
		woken, unwatch := s.scanHub().watch(id)
		ans, done := s.scanWaitStep(w, r, id, binding, last)
		if done {
			unwatch()
			return
		}
		select {
		case <-woken:
		case <-tick.C:
		case <-deadline.C:
			unwatch()
			writeJSON(w, http.StatusOK, ans)
			return
		case <-ctx.Done():
			unwatch()
			return
		}
		unwatch()
	}
}

// scanWaitStep reads the scan once: it answers (done) when there is news
// for the browser, else returns what to answer if nothing changes.
func (s *Server) scanWaitStep(w http.ResponseWriter, r *http.Request, id, binding string, last int) (scanView, bool) {
	ctx := r.Context()
	raw, rec, err := s.loadScan(ctx, id)
	if isAPICode(err, errScanExpired) {
		writeJSON(w, http.StatusOK, scanView{Status: scanExpired})
		return scanView{}, true
	}
	if err != nil {
		s.writeError(w, r, err)
		return scanView{}, true
	}
	if binding == "" || subtle.ConstantTimeCompare(rec.Binding, hashBinding(binding)) != 1 {
		s.log.Warn("a scan login was polled from another browser", "ip", s.clientIP(r))
		s.writeError(w, r, errScanWrongBrowser.New())
		return scanView{}, true
	}
	if rec.Status == scanConfirmed {
		s.finishScan(w, r, id, raw, rec)
		return scanView{}, true
	}
	v := scanView{Status: rec.Status, Seq: rec.Seq, ExpiresIn: rec.Expires - s.now().Unix()}
	if rec.Seq != last || rec.Status == scanCancelled {
		writeJSON(w, http.StatusOK, v)
		return v, true
	}
	return v, false
}

func parseSmallInt(v string) (int, error) {
	if len(v) == 0 || len(v) > 9 {
		return 0, errors.New("bad")
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, errors.New("bad")
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// finishScan spends a confirmed scan and logs the browser in.
func (s *Server) finishScan(w http.ResponseWriter, r *http.Request, id string, raw []byte, rec scanRecord) {
	ctx := r.Context()
	ok, err := s.kv.CompareAndDelete(ctx, scanKey(id), raw)
	if err != nil {
		s.writeError(w, r, storageFailure(err))
		return
	}
	if !ok { // another request of this browser took it first
		writeJSON(w, http.StatusOK, scanView{Status: scanExpired})
		return
	}
	s.scanHub().notify(id)
	a, found := s.apps.byName[rec.App]
	if !found {
		s.writeError(w, r, errAppNotConfigured.New())
		return
	}
	si, err := s.openScanIdentity(id, rec.Identity)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if rec.Method == scanMethodFollow && si.UnionID == "" {
		// The push gave the openid only; the unionid links the person.
		if si.UnionID, err = s.followerUnionID(ctx, a, si.OpenID); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	l := wechatLogin{app: a, openID: si.OpenID, unionID: si.UnionID}
	if si.SessionKey != "" {
		l.sessionKey = wechat.NewSessionKey(si.SessionKey)
	}
	ans, _, err := s.login(r, l)
	s.countLogin(r, a, ans.User.ID, err)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.endBrowserSession(r)
	s.setSessionCookie(w, ans.Token, s.now().Add(time.Duration(ans.ExpiresIn)*time.Second))
	writeJSON(w, http.StatusOK, scanView{Status: scanConfirmed, Seq: rec.Seq + 1, ReturnTo: rec.ReturnTo})
}

// browserSummary names a browser and its system from a User-Agent, for the
// person confirming a login ("Chrome on Windows"). Unknown parts say so.
func browserSummary(ua string) string {
	browser := "an unknown browser"
	switch {
	case strings.Contains(ua, "MicroMessenger"):
		browser = "WeChat's browser"
	case strings.Contains(ua, "Edg/"):
		browser = "Edge"
	case strings.Contains(ua, "OPR/"):
		browser = "Opera"
	case strings.Contains(ua, "Firefox/"):
		browser = "Firefox"
	case strings.Contains(ua, "Chrome/") || strings.Contains(ua, "Chromium/"):
		browser = "Chrome"
	case strings.Contains(ua, "Safari/"):
		browser = "Safari"
	case ua != "":
		browser = "a program (" + truncate(strings.Map(printable, ua), 40) + ")"
	}
	system := ""
	switch {
	case strings.Contains(ua, "Windows"):
		system = "Windows"
	case strings.Contains(ua, "Android"):
		system = "Android"
	case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"):
		system = "iOS"
	case strings.Contains(ua, "Mac OS X"), strings.Contains(ua, "Macintosh"):
		system = "macOS"
	case strings.Contains(ua, "CrOS"):
		system = "ChromeOS"
	case strings.Contains(ua, "Linux"):
		system = "Linux"
	}
	if system == "" {
		return browser
	}
	return browser + " on " + system
}

func printable(r rune) rune {
	if r < 0x20 || r == 0x7f {
		return -1
	}
	return r
}

// shortAddr is an address cut to its network (IPv4 /24, IPv6 /48): enough
// for a person to recognise "that is not where I am", not a precise place.
func shortAddr(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	a = a.Unmap()
	bits := 24
	if a.Is6() {
		bits = 48
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return "unknown"
	}
	return p.String()
}

// isAPICode reports whether err is an answer of kind k.
func isAPICode(err error, k *errorKind) bool {
	ae, ok := asAPIError(err)
	return ok && ae.Code == k.Code
}
