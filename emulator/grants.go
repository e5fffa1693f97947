package emulator

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// Grant states, numbered as the QR long-poll reports them (wx_errcode).
const (
	StatusWaiting   = 408
	StatusScanned   = 404
	StatusConfirmed = 405
	StatusCancelled = 403
	StatusExpired   = 402
)

// Grant kinds.
const (
	GrantQRConnect = "qrconnect" // website QR login (full page or embedded)
	GrantAuthorize = "authorize" // official-account web authorization
)

func statusName(s int) string {
	switch s {
	case StatusWaiting:
		return "waiting"
	case StatusScanned:
		return "scanned"
	case StatusConfirmed:
		return "confirmed"
	case StatusCancelled:
		return "cancelled"
	case StatusExpired:
		return "expired"
	}
	return "unknown"
}

// grant is one authorization page waiting for a user: a QR login or an
// official-account authorization. Its fields are guarded by
// Emulator.grantsMu.
type grant struct {
	uuid         string
	kind         string
	app          *app
	redirectURI  string
	state        string
	scope        wechat.Scope
	embedded     bool   // login_type=jssdk
	selfRedirect string // "true", "false" or "default"
	created      time.Time
	expires      time.Time

	status  int
	userID  string
	code    string        // set on confirmation
	changed chan struct{} // closed and replaced on every state change
}

// statusAt is the grant's state at now: a waiting or scanned grant past its
// five minutes has expired.
func (g *grant) statusAt(now time.Time) int {
	if (g.status == StatusWaiting || g.status == StatusScanned) && !now.Before(g.expires) {
		return StatusExpired
	}
	return g.status
}

func (g *grant) set(status int) {
	g.status = status
	close(g.changed)
	g.changed = make(chan struct{})
}

// Grant is a grant as the control API shows it.
type Grant struct {
	UUID      string       `json:"uuid"`
	Kind      string       `json:"kind"`
	AppID     string       `json:"appid"`
	AppName   string       `json:"app_name"`
	Scope     wechat.Scope `json:"scope"`
	Status    string       `json:"status"`
	UserID    string       `json:"user_id,omitempty"`
	CreatedAt int64        `json:"created_at"`
	ExpiresAt int64        `json:"expires_at"`
}

func (g *grant) view(now time.Time) Grant {
	return Grant{
		UUID: g.uuid, Kind: g.kind, AppID: g.app.appid, AppName: g.app.name, Scope: g.scope,
		Status: statusName(g.statusAt(now)), UserID: g.userID, CreatedAt: g.created.Unix(), ExpiresAt: g.expires.Unix(),
	}
}

// newGrant registers a grant for a page and returns it.
func (e *Emulator) newGrant(g *grant) *grant {
	now := e.clock.now()
	g.created, g.expires = now, now.Add(grantTTL*time.Second)
	g.status, g.changed = StatusWaiting, make(chan struct{})
	e.grantsMu.Lock()
	defer e.grantsMu.Unlock()
	if now.Sub(e.grantsSwept) >= sweepEvery*time.Second {
		e.grantsSwept = now
		for id, old := range e.grants {
			if now.Sub(old.created) > retainExpired*time.Second {
				delete(e.grants, id)
			}
		}
	}
	for g.uuid == "" || e.grants[g.uuid] != nil {
		g.uuid = randomAlnum(16)
	}
	e.grants[g.uuid] = g
	return g
}

// Grants returns the grants, newest first; status filters by state name
// ("waiting", "scanned", "pending" for both, "confirmed", "cancelled",
// "expired") unless empty.
func (e *Emulator) Grants(status string) ([]Grant, error) {
	switch status {
	case "", "pending", "waiting", "scanned", "confirmed", "cancelled", "expired":
	default:
		return nil, invalid("status: must be pending, waiting, scanned, confirmed, cancelled or expired")
	}
	now := e.clock.now()
	e.grantsMu.Lock()
	out := make([]Grant, 0, len(e.grants))
	for _, g := range e.grants {
		v := g.view(now)
		if status == "" || v.Status == status || status == "pending" && (v.Status == "waiting" || v.Status == "scanned") {
			out = append(out, v)
		}
	}
	e.grantsMu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].CreatedAt != out[j].CreatedAt {
			return out[i].CreatedAt > out[j].CreatedAt
		}
		return out[i].UUID < out[j].UUID
	})
	return out, nil
}

// GetGrant returns one grant.
func (e *Emulator) GetGrant(uuid string) (Grant, error) {
	e.grantsMu.Lock()
	defer e.grantsMu.Unlock()
	g := e.grants[uuid]
	if g == nil {
		return Grant{}, errGrantNotFound(uuid)
	}
	return g.view(e.clock.now()), nil
}

func errGrantNotFound(uuid string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "grant_not_found", Message: "no grant with uuid " + strconv.Quote(uuid)}
}

func errGrantState(st int, action string) *Error {
	return &Error{Status: http.StatusConflict, Code: "grant_state", Message: "cannot " + action + " a grant that is " + statusName(st)}
}

// lockGrant finds a grant for an action by userID and returns it locked
// (grantsMu held) with its current state; the caller unlocks.
func (e *Emulator) lockGrant(uuid, userID, action string) (*grant, int, error) {
	if !e.userExists(userID) {
		return nil, 0, errUserNotFound(userID)
	}
	now := e.clock.now()
	e.grantsMu.Lock()
	g := e.grants[uuid]
	if g == nil {
		e.grantsMu.Unlock()
		return nil, 0, errGrantNotFound(uuid)
	}
	st := g.statusAt(now)
	if st != StatusWaiting && st != StatusScanned {
		e.grantsMu.Unlock()
		return nil, 0, errGrantState(st, action)
	}
	if st == StatusScanned && g.userID != userID {
		e.grantsMu.Unlock()
		return nil, 0, &Error{Status: http.StatusConflict, Code: "wrong_user", Message: "grant was scanned by another user"}
	}
	return g, st, nil
}

// Scan marks a waiting grant as scanned by userID (wx_errcode 404).
// Scanning again by the same user is a no-op.
func (e *Emulator) Scan(uuid, userID string) error {
	g, st, err := e.lockGrant(uuid, userID, "scan")
	if err != nil {
		return err
	}
	defer e.grantsMu.Unlock()
	if st == StatusWaiting {
		g.userID = userID
		g.set(StatusScanned)
	}
	return nil
}

// Confirm confirms a waiting or scanned grant as userID, issues its code
// and returns the redirect_uri with code and state.
func (e *Emulator) Confirm(uuid, userID string) (string, error) {
	g, _, err := e.lockGrant(uuid, userID, "confirm")
	if err != nil {
		return "", err
	}
	defer e.grantsMu.Unlock()
	b := e.bind(g.app, userID)
	g.code = e.codes.issue(e.clock.now(), &code{kind: codeOAuth, b: b, scope: g.scope, expires: e.clock.now().Add(codeTTL * time.Second)})
	g.userID = userID
	g.set(StatusConfirmed)
	e.log.Info("grant confirmed", "kind", g.kind, "appid", g.app.appid, "user_id", userID)
	return withCode(g.redirectURI, g.code, g.state), nil
}

// Cancel refuses a waiting or scanned grant as userID. It returns where the
// page then navigates: redirect_uri?state=STATE, or "" when the behaviour
// says refusal does not redirect.
func (e *Emulator) Cancel(uuid, userID string) (string, error) {
	g, _, err := e.lockGrant(uuid, userID, "cancel")
	if err != nil {
		return "", err
	}
	defer e.grantsMu.Unlock()
	g.userID = userID
	g.set(StatusCancelled)
	return e.denyURL(g), nil
}

// denyURL is where a refused grant's page goes, or "".
func (e *Emulator) denyURL(g *grant) string {
	if !e.rules.denyRedirect {
		return ""
	}
	return withState(g.redirectURI, g.state)
}

// pollGrant returns the grant's state and code as the long-poll reports
// them, and the channel that closes at its next change.
func (e *Emulator) pollGrant(uuid string, now time.Time) (status int, code string, expires time.Time, changed <-chan struct{}, ok bool) {
	e.grantsMu.Lock()
	defer e.grantsMu.Unlock()
	g := e.grants[uuid]
	if g == nil {
		return 0, "", time.Time{}, nil, false
	}
	return g.statusAt(now), g.code, g.expires, g.changed, true
}
