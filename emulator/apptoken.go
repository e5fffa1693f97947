package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// appToken is an app access token from cgi-bin/token or stable_token. Its
// mutable fields are guarded by the owning app's mu.
type appToken struct {
	value   string
	app     *app
	stable  bool
	expires time.Time
	// graceUntil, when set, is when a superseded token stops working
	// (40001 after it).
	graceUntil time.Time
	revoked    bool // replaced by a stable_token force_refresh: 40001
}

// appTokenBody is the success answer of both token endpoints: no errcode.
type appTokenBody struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

// checkClient validates grant_type, appid and secret of a token request.
func (e *Emulator) checkClient(grantType, appid, secret string) (*app, int) {
	switch {
	case grantType != "client_credential":
		return nil, 40002
	case appid == "":
		return nil, 41002
	case secret == "":
		return nil, 41004
	}
	a := e.app(appid)
	// Only official accounts and mini-programs have app tokens (an
	// assumption, see docs/emulator.md).
	if a == nil || !a.hasAppTokens() {
		return nil, 40013
	}
	if !a.checkSecret(secret) {
		return nil, 40125
	}
	return a, 0
}

// handleToken is cgi-bin/token: every call issues a new token; the previous
// one keeps working for five minutes. 2000 calls per app and virtual day
// (UTC+8), then 45009.
func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) int {
	q := r.URL.Query()
	a, errcode := e.checkClient(q.Get("grant_type"), q.Get("appid"), q.Get("secret"))
	if errcode != 0 {
		return errcode
	}
	now := e.clock.now()
	a.mu.Lock()
	if day := chinaDay(now); a.quotaDay != day {
		a.quotaDay, a.quotaCount = day, 0
	}
	if e.rules.tokenQuota >= 0 && a.quotaCount >= e.rules.tokenQuota {
		a.mu.Unlock()
		return 45009
	}
	a.quotaCount++
	t := &appToken{value: newToken(), app: a, expires: now.Add(tokenTTL * time.Second)}
	supersede(a.classic, now)
	a.classic = t
	a.mu.Unlock()
	e.storeAppToken(t, now)
	writeJSON(w, appTokenBody{AccessToken: t.value, ExpiresIn: tokenTTL})
	return 0
}

// supersede starts the five-minute grace of a replaced token. Called with
// the app's mu held.
func supersede(old *appToken, now time.Time) {
	if old == nil || !old.graceUntil.IsZero() {
		return
	}
	old.graceUntil = now.Add(tokenGrace * time.Second)
	if old.expires.Before(old.graceUntil) {
		old.graceUntil = old.expires
	}
}

func (e *Emulator) storeAppToken(t *appToken, now time.Time) {
	e.appTokMu.Lock()
	defer e.appTokMu.Unlock()
	if now.Sub(e.appTokSwept) >= sweepEvery*time.Second {
		e.appTokSwept = now
		cutoff := now.Add(-retainExpired * time.Second)
		for v, old := range e.appTokens {
			if old.expires.Before(cutoff) {
				delete(e.appTokens, v)
			}
		}
	}
	e.appTokens[t.value] = t
}

// stableRequest is stable_token's JSON body.
type stableRequest struct {
	GrantType    string          `json:"grant_type"`
	AppID        string          `json:"appid"`
	Secret       string          `json:"secret"`
	ForceRefresh json.RawMessage `json:"force_refresh"`
}

// handleStableToken is cgi-bin/stable_token (JSON body only). Normal mode
// returns the current token while more than five minutes of it remain,
// then rotates (the old one works until its own expiry); force_refresh
// invalidates the current token at once, at most 20 times a day and 30 s
// apart. Independent of cgi-bin/token.
func (e *Emulator) handleStableToken(w http.ResponseWriter, r *http.Request) int {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWeChatBody))
	var req stableRequest
	if err != nil || json.Unmarshal(body, &req) != nil {
		// What a community capture shows for parameters not sent as JSON.
		return 41002
	}
	force := false
	if f := bytes.TrimSpace(req.ForceRefresh); len(f) > 0 && !bytes.Equal(f, []byte("null")) {
		if json.Unmarshal(f, &force) != nil {
			return 47001
		}
	}
	a, errcode := e.checkClient(req.GrantType, req.AppID, req.Secret)
	if errcode != 0 {
		return errcode
	}
	now := e.clock.now()
	a.mu.Lock()
	cur := a.stable
	valid := cur != nil && !cur.revoked && now.Before(cur.expires) && (cur.graceUntil.IsZero() || now.Before(cur.graceUntil))
	var issued *appToken
	switch {
	case force:
		if day := chinaDay(now); a.forceDay != day {
			a.forceDay, a.forceCount = day, 0
		}
		if !a.lastForce.IsZero() && now.Sub(a.lastForce) < forceInterval*time.Second {
			if !e.rules.tooSoonCurrent || !valid {
				a.mu.Unlock()
				return 45011
			}
			break // TooSoonCurrent: the current token, unchanged
		}
		if a.forceCount >= forceDaily {
			a.mu.Unlock()
			return 45009
		}
		a.forceCount++
		a.lastForce = now
		if cur != nil {
			cur.revoked = true
		}
		issued = e.newStable(a, now)
	case valid && a.stableGen == a.secretGen && now.Before(cur.expires.Add(-stableRotation*time.Second)):
		// the current token, unchanged
	case valid:
		// Last five minutes, or the first fetch after a secret reset: a new
		// token; the old one keeps working for up to five minutes.
		supersede(cur, now)
		issued = e.newStable(a, now)
	default:
		issued = e.newStable(a, now)
	}
	t := a.stable
	expiresIn := int(t.expires.Sub(now) / time.Second)
	a.mu.Unlock()
	if issued != nil {
		e.storeAppToken(issued, now)
	}
	writeJSON(w, appTokenBody{AccessToken: t.value, ExpiresIn: expiresIn})
	return 0
}

// newStable makes a new current stable token. Called with a.mu held.
func (e *Emulator) newStable(a *app, now time.Time) *appToken {
	t := &appToken{value: newToken(), app: a, stable: true, expires: now.Add(tokenTTL * time.Second)}
	a.stable, a.stableGen = t, a.secretGen
	return t
}

// appTokenApp validates an app access token (§14's mapping): 41001
// missing, 40014 never issued, malformed or a user token, 42001 expired,
// 40001 superseded past its grace or force-refreshed away.
func (e *Emulator) appTokenApp(v string) (*app, int) {
	if v == "" {
		return nil, 41001
	}
	e.appTokMu.Lock()
	t := e.appTokens[v]
	e.appTokMu.Unlock()
	if t == nil {
		return nil, 40014
	}
	now := e.clock.now()
	t.app.mu.Lock()
	defer t.app.mu.Unlock()
	switch {
	case t.revoked, !t.graceUntil.IsZero() && t.graceUntil.Before(t.expires) && !now.Before(t.graceUntil):
		return nil, 40001 // superseded: its grace ended before its natural expiry
	case !now.Before(t.expires):
		return nil, 42001
	}
	return t.app, 0
}

// isAppToken reports whether v was ever issued as an app access token.
func (e *Emulator) isAppToken(v string) bool {
	e.appTokMu.Lock()
	defer e.appTokMu.Unlock()
	return e.appTokens[v] != nil
}
