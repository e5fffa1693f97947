package emulator

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"rsc.io/qr"
)

// handleQRCode serves the QR image of a grant: a PNG encoding the phone
// simulator's URL for it, on the base URL the browser used.
func (e *Emulator) handleQRCode(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	if _, _, _, _, ok := e.pollGrant(uuid, e.clock.now()); !ok {
		http.NotFound(w, r)
		return
	}
	png, err := qrPNG(phoneURL(r, uuid))
	if err != nil {
		http.Error(w, "emulator: cannot encode QR code", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(png)
}

// phoneURL is the phone simulator's page for a grant, what the QR encodes.
func phoneURL(r *http.Request, uuid string) string {
	return baseURL(r) + "/_emulator/phone?uuid=" + url.QueryEscape(uuid)
}

// qrPNG encodes text as a QR code PNG, 6 pixels per module.
func qrPNG(text string) ([]byte, error) {
	c, err := qr.Encode(text, qr.M)
	if err != nil {
		return nil, err
	}
	c.Scale = 6
	return c.PNG(), nil
}

// handleLongPoll is the QR page's long-poll. It answers
// window.wx_errcode=N;window.wx_code='...'; with the grant's state (408
// waiting, 404 scanned, 405 confirmed with its code, 403 cancelled, 402
// expired). While the state equals last (default 408) it holds the request
// up to the long-poll timeout, then answers the current state. An unknown
// uuid answers 402.
func (e *Emulator) handleLongPoll(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	uuid := q.Get("uuid")
	last := StatusWaiting
	if s := q.Get("last"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			last = n
		}
	}
	writePoll := writePoll
	if q.Get("f") == "json" { // the OpenSDK's form (sdkqr.go)
		writePoll = writePollJSON
	}
	deadline := time.NewTimer(e.longPoll)
	defer deadline.Stop()
	for {
		tick := e.clock.wait() // before reading the state: no advance is missed
		now := e.clock.now()
		st, code, expires, changed, ok := e.pollGrant(uuid, now)
		if !ok {
			writePoll(w, StatusExpired, "")
			return
		}
		if st != last {
			writePoll(w, st, code)
			return
		}
		var expiry *time.Timer
		var expired <-chan time.Time
		if st == StatusWaiting || st == StatusScanned {
			expiry = time.NewTimer(expires.Sub(now))
			expired = expiry.C
		}
		done := false
		select {
		case <-changed:
		case <-tick:
		case <-expired:
		case <-deadline.C:
			st, code, _, _, _ = e.pollGrant(uuid, e.clock.now())
			writePoll(w, st, code)
			done = true
		case <-r.Context().Done():
			done = true
		}
		if expiry != nil {
			expiry.Stop()
		}
		if done {
			return
		}
	}
}

func writePoll(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// code is [A-Za-z0-9]: nothing to escape inside the quotes.
	_, _ = w.Write([]byte("window.wx_errcode=" + strconv.Itoa(status) + ";window.wx_code='" + code + "';"))
}
