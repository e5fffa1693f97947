package emulator

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"

	"github.com/wxgate/wxgate/wechat"
)

// UserSpec describes a WeChat user to create. Every field is optional.
// UserID defaults to "u1", "u2", ...; HeadImgURL defaults to an avatar the
// emulator serves itself; Phone defaults to a stable mainland number and
// CountryCode to "86".
type UserSpec struct {
	UserID      string `json:"user_id,omitempty" yaml:"user_id,omitempty"`
	Nickname    string `json:"nickname,omitempty" yaml:"nickname,omitempty"`
	Sex         int    `json:"sex,omitempty" yaml:"sex,omitempty"`
	Province    string `json:"province,omitempty" yaml:"province,omitempty"`
	City        string `json:"city,omitempty" yaml:"city,omitempty"`
	Country     string `json:"country,omitempty" yaml:"country,omitempty"`
	HeadImgURL  string `json:"headimgurl,omitempty" yaml:"headimgurl,omitempty"`
	Phone       string `json:"phone,omitempty" yaml:"phone,omitempty"`
	CountryCode string `json:"country_code,omitempty" yaml:"country_code,omitempty"`
}

// UserPatch changes a user's profile: nil fields stay as they are. Setting
// HeadImgURL (to a URL, or to "" for no avatar) or RegenerateAvatar replaces
// the avatar, and the old avatar URL then answers 404, as WeChat's do.
type UserPatch struct {
	Nickname         *string `json:"nickname,omitempty"`
	Sex              *int    `json:"sex,omitempty"`
	Province         *string `json:"province,omitempty"`
	City             *string `json:"city,omitempty"`
	Country          *string `json:"country,omitempty"`
	HeadImgURL       *string `json:"headimgurl,omitempty"`
	RegenerateAvatar bool    `json:"regenerate_avatar,omitempty"`
	Phone            *string `json:"phone,omitempty"`
	CountryCode      *string `json:"country_code,omitempty"`
}

// User is a user's profile as the control API shows it. HeadImgURL of an
// emulator-served avatar is built on the base URL of the request that asks.
type User struct {
	UserID      string `json:"user_id"`
	Nickname    string `json:"nickname"`
	Sex         int    `json:"sex"`
	Province    string `json:"province"`
	City        string `json:"city"`
	Country     string `json:"country"`
	HeadImgURL  string `json:"headimgurl"`
	Phone       string `json:"phone"`
	CountryCode string `json:"country_code"`
}

// Identity is who a user is to one app: the openid (different for every
// app), the unionid (shared by the apps of one open account; empty when
// the app has none) and, for a mini-program, the current session_key
// (empty before the first login).
type Identity struct {
	OpenID     string `json:"openid"`
	UnionID    string `json:"unionid"`
	SessionKey string `json:"session_key"`
}

// user is a user's live profile, guarded by Emulator.usersMu.
type user struct {
	User
	avatar string // id of the emulator-served avatar; "" when HeadImgURL is custom or empty
}

// headImgURL is the avatar URL as seen from base.
func (u *user) headImgURL(base string) string {
	if u.avatar != "" {
		return base + "/mmopen/" + u.avatar + "/132"
	}
	return u.HeadImgURL
}

var (
	phonePattern       = regexp.MustCompile(`^[0-9]{5,15}$`)
	countryCodePattern = regexp.MustCompile(`^[1-9][0-9]{0,3}$`)
)

func validateProfile(errs []string, nickname, province, city, country, headimg string, sex int, phone, cc string) []string {
	for _, f := range []struct{ name, v string }{{"nickname", nickname}, {"province", province}, {"city", city}, {"country", country}} {
		if msg := checkText(f.name, f.v, 64); msg != "" {
			errs = append(errs, msg)
		}
	}
	if sex < 0 || sex > 2 {
		errs = append(errs, "sex: must be 0 (unknown), 1 (male) or 2 (female)")
	}
	if headimg != "" {
		u, err := url.Parse(headimg)
		if err != nil || len(headimg) > 1024 || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, "headimgurl: must be an absolute http(s) URL of at most 1024 characters")
		}
	}
	if phone != "" && !phonePattern.MatchString(phone) {
		errs = append(errs, "phone: 5 to 15 digits, without the country code")
	}
	if cc != "" && !countryCodePattern.MatchString(cc) {
		errs = append(errs, `country_code: 1 to 4 digits, such as "86"`)
	}
	return errs
}

// CreateUser creates a user and returns its user_id.
func (e *Emulator) CreateUser(s UserSpec) (string, error) {
	var errs []string
	if s.UserID != "" && !idPattern.MatchString(s.UserID) {
		errs = append(errs, "user_id: 1 to 64 characters of [A-Za-z0-9_-]")
	}
	errs = validateProfile(errs, s.Nickname, s.Province, s.City, s.Country, s.HeadImgURL, s.Sex, s.Phone, s.CountryCode)
	if len(errs) > 0 {
		return "", invalid(errs...)
	}
	u := &user{User: User(s)}
	if u.CountryCode == "" {
		u.CountryCode = "86"
	}
	if u.Country == "" {
		u.Country = "CN"
	}
	if u.HeadImgURL == "" {
		u.avatar = newAvatarID()
	}
	e.usersMu.Lock()
	defer e.usersMu.Unlock()
	if u.UserID == "" {
		for u.UserID == "" || e.users[u.UserID] != nil {
			e.userSeq++
			u.UserID = "u" + strconv.Itoa(e.userSeq)
		}
	} else if e.users[u.UserID] != nil {
		return "", &Error{Status: http.StatusConflict, Code: "user_id_taken", Message: "user " + u.UserID + " already exists"}
	}
	if u.Nickname == "" {
		u.Nickname = "User " + u.UserID
	}
	if u.Phone == "" {
		u.Phone = derivePhone(e.salt, u.UserID)
	}
	e.users[u.UserID] = u
	if u.avatar != "" {
		e.avatars[u.avatar] = u.UserID
	}
	e.log.Info("user created", "user_id", u.UserID)
	return u.UserID, nil
}

// UpdateUser changes a user's profile and returns it. In-process there is
// no request to take a host from, so an emulator-served avatar's URL is
// returned as a path (/mmopen/...); the control API returns full URLs.
func (e *Emulator) UpdateUser(userID string, p UserPatch) (User, error) {
	return e.updateUser(userID, p, "")
}

func (e *Emulator) updateUser(userID string, p UserPatch, base string) (User, error) {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	sex := 0
	if p.Sex != nil {
		sex = *p.Sex
	}
	if errs := validateProfile(nil, str(p.Nickname), str(p.Province), str(p.City), str(p.Country), str(p.HeadImgURL), sex, str(p.Phone), str(p.CountryCode)); len(errs) > 0 {
		return User{}, invalid(errs...)
	}
	if p.RegenerateAvatar && p.HeadImgURL != nil {
		return User{}, invalid("headimgurl and regenerate_avatar: set one, not both")
	}
	e.usersMu.Lock()
	defer e.usersMu.Unlock()
	u := e.users[userID]
	if u == nil {
		return User{}, errUserNotFound(userID)
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&u.Nickname, p.Nickname)
	set(&u.Province, p.Province)
	set(&u.City, p.City)
	set(&u.Country, p.Country)
	set(&u.Phone, p.Phone)
	set(&u.CountryCode, p.CountryCode)
	if p.Sex != nil {
		u.Sex = *p.Sex
	}
	if p.HeadImgURL != nil || p.RegenerateAvatar {
		delete(e.avatars, u.avatar)
		u.avatar, u.HeadImgURL = "", ""
		if p.RegenerateAvatar {
			u.avatar = newAvatarID()
			e.avatars[u.avatar] = u.UserID
		} else {
			u.HeadImgURL = *p.HeadImgURL
		}
	}
	if u.Phone == "" {
		u.Phone = derivePhone(e.salt, u.UserID)
	}
	if u.CountryCode == "" {
		u.CountryCode = "86"
	}
	return u.view(base), nil
}

func (u *user) view(base string) User {
	v := u.User
	v.HeadImgURL = u.headImgURL(base)
	return v
}

// GetUser returns a user's profile.
func (e *Emulator) GetUser(userID string) (User, error) { return e.getUser(userID, "") }

func (e *Emulator) getUser(userID, base string) (User, error) {
	e.usersMu.RLock()
	defer e.usersMu.RUnlock()
	u := e.users[userID]
	if u == nil {
		return User{}, errUserNotFound(userID)
	}
	return u.view(base), nil
}

// Users returns every user, in no particular order.
func (e *Emulator) Users() []User { return e.listUsers("") }

func (e *Emulator) listUsers(base string) []User {
	e.usersMu.RLock()
	defer e.usersMu.RUnlock()
	out := make([]User, 0, len(e.users))
	for _, u := range e.users {
		out = append(out, u.view(base))
	}
	return out
}

func (e *Emulator) userExists(userID string) bool {
	e.usersMu.RLock()
	defer e.usersMu.RUnlock()
	return e.users[userID] != nil
}

func errUserNotFound(id string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "user_not_found", Message: "no user with user_id " + strconv.Quote(id)}
}

// binding is one user as seen by one app: their stable identifiers and,
// for a mini-program, the session state.
type binding struct {
	app     *app
	userID  string
	openid  string
	unionid string // "" when the app has no open account

	mu         sync.Mutex // guards the session and rate fields
	sessionKey string     // current session_key; "" before the first login
	sessionSig string     // wechat.SessionSignature(sessionKey, nil), precomputed
	rateMinute int64      // jscode2session 45011, user scope
	rateCount  int

	// refresh lists the user's refresh tokens for BaseRevokesRefresh (kept
	// only with that option). Guarded by Emulator.tokMu.
	refresh []*refreshToken
}

type bindingKey struct{ appid, userID string }

// bind returns the binding of userID to a, creating it on first use.
func (e *Emulator) bind(a *app, userID string) *binding {
	k := bindingKey{a.appid, userID}
	e.bindMu.RLock()
	b := e.bindings[k]
	e.bindMu.RUnlock()
	if b != nil {
		return b
	}
	b = &binding{app: a, userID: userID, openid: deriveID(e.salt, "openid", a.appid, userID)}
	if a.openAccount != "" {
		b.unionid = deriveID(e.salt, "unionid", a.openAccount, userID)
	}
	e.bindMu.Lock()
	defer e.bindMu.Unlock()
	if old := e.bindings[k]; old != nil {
		return old
	}
	e.bindings[k] = b
	e.byOpenID[b.openid] = b
	return b
}

// bindingByOpenID finds the binding an openid names, or nil.
func (e *Emulator) bindingByOpenID(openid string) *binding {
	e.bindMu.RLock()
	defer e.bindMu.RUnlock()
	return e.byOpenID[openid]
}

// appAndUser resolves an appid and user_id given to the control API.
func (e *Emulator) appAndUser(appid, userID string) (*app, error) {
	a := e.app(appid)
	if a == nil {
		return nil, errAppNotFound(appid)
	}
	if !e.userExists(userID) {
		return nil, errUserNotFound(userID)
	}
	return a, nil
}

// Identity returns who userID is to the app appid.
func (e *Emulator) Identity(userID, appid string) (Identity, error) {
	a, err := e.appAndUser(appid, userID)
	if err != nil {
		return Identity{}, err
	}
	b := e.bind(a, userID)
	id := Identity{OpenID: b.openid, UnionID: b.unionid}
	if a.typ == wechat.AppTypeMiniProgram {
		b.mu.Lock()
		id.SessionKey = b.sessionKey
		b.mu.Unlock()
	}
	return id, nil
}
