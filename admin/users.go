package admin

import (
	"context"
	"net/http"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wxgate/wxgate/storage"
)

// Field names the gateway seals under (see gateway/users.go).
const (
	fieldOpenID  = "openid"
	fieldUnionID = "unionid"
	fieldPhone   = "phone"
)

type userView struct {
	ID        string     `json:"id"`
	Nickname  string     `json:"nickname"`
	AvatarURL string     `json:"avatar_url"`
	Sex       int        `json:"sex"`
	Province  string     `json:"province"`
	City      string     `json:"city"`
	Country   string     `json:"country"`
	HasPhone  bool       `json:"has_phone"`
	Phone     string     `json:"phone,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Blocked   bool       `json:"blocked"`
	BlockedAt *time.Time `json:"blocked_at,omitempty"`
}

type identityView struct {
	ID          string    `json:"id"`
	App         string    `json:"app"`
	AppType     string    `json:"app_type"`
	AppID       string    `json:"app_id"`
	Scope       string    `json:"scope,omitempty"`
	HasUnionID  bool      `json:"has_unionid"`
	OpenID      string    `json:"openid,omitempty"`
	UnionID     string    `json:"unionid,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	LastLoginAt time.Time `json:"last_login_at"`
}

type sessionView struct {
	ID         string    `json:"id"`
	App        string    `json:"app"`
	IdentityID string    `json:"identity_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

type eventView struct {
	ID     int64             `json:"id"`
	Time   time.Time         `json:"time"`
	Type   string            `json:"type"`
	UserID string            `json:"user_id,omitempty"`
	App    string            `json:"app,omitempty"`
	IP     string            `json:"ip,omitempty"`
	Detail map[string]string `json:"detail,omitempty"`
}

func (h *Handler) userView(u storage.User, reveal bool) (userView, error) {
	v := userView{ID: u.ID, Nickname: u.Nickname, AvatarURL: u.AvatarURL, Sex: u.Sex, Province: u.Province,
		City: u.City, Country: u.Country, HasPhone: len(u.Phone) > 0, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt,
		Blocked: !u.BlockedAt.IsZero()}
	if v.Blocked {
		t := u.BlockedAt
		v.BlockedAt = &t
	}
	if reveal && v.HasPhone && h.o.Open != nil {
		p, err := h.o.Open(fieldPhone, []byte(u.ID), u.Phone)
		if err != nil {
			return userView{}, err
		}
		v.Phone = p
	}
	return v, nil
}

func (h *Handler) identityView(i storage.Identity, reveal bool) (identityView, error) {
	v := identityView{ID: i.ID, AppID: i.AppID, Scope: i.Scope, HasUnionID: len(i.UnionIDIndex) > 0,
		CreatedAt: i.CreatedAt, LastLoginAt: i.LastLoginAt}
	if name, typ, ok := h.o.App(i.AppID); ok {
		v.App, v.AppType = name, typ
	}
	if reveal && h.o.Open != nil {
		var err error
		if v.OpenID, err = h.o.Open(fieldOpenID, i.OpenIDIndex, i.OpenID); err != nil {
			return identityView{}, err
		}
		if v.UnionID, err = h.o.Open(fieldUnionID, i.UnionIDIndex, i.UnionID); err != nil {
			return identityView{}, err
		}
	}
	return v, nil
}

func sessionViews(ps []storage.Session) []sessionView {
	out := make([]sessionView, len(ps))
	for i, p := range ps {
		out[i] = sessionView{ID: p.ID, App: p.App, IdentityID: p.IdentityID, CreatedAt: p.CreatedAt, LastSeenAt: p.LastSeenAt, ExpiresAt: p.ExpiresAt}
	}
	return out
}

func eventViews(es []storage.Event) []eventView {
	out := make([]eventView, len(es))
	for i, e := range es {
		out[i] = eventView{ID: e.ID, Time: e.Time, Type: e.Type, UserID: e.UserID, App: e.App, IP: e.IP, Detail: e.Detail}
	}
	return out
}

// limitParam reads ?limit=: 1 to storage.MaxUserPage, def when absent.
func limitParam(r *http.Request, def int) (int, *apiError) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > storage.MaxUserPage {
		return 0, apiErr(http.StatusBadRequest, "invalid_limit", "limit is a number from 1 to 500")
	}
	return n, nil
}

// maxQuery bounds the search text, in characters.
const maxQuery = 100

// GET /admin/api/users?q=&after=&limit=
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	q := storage.UserQuery{Text: qs.Get("q"), AfterID: qs.Get("after")}
	if !utf8.ValidString(q.Text) || utf8.RuneCountInString(q.Text) > maxQuery || hasControl(q.Text) {
		writeError(w, apiErr(http.StatusBadRequest, "invalid_query", "q is up to 100 characters of text (the start of a nickname, or a user id)"))
		return
	}
	if q.AfterID != "" && !validID(q.AfterID) {
		writeError(w, apiErr(http.StatusBadRequest, "invalid_id", "after is the id of the last user of the previous page"))
		return
	}
	var ae *apiError
	if q.Limit, ae = limitParam(r, 50); ae != nil {
		writeError(w, ae)
		return
	}
	us, err := h.o.Store.SearchUsers(r.Context(), q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]userView, len(us))
	for i, u := range us {
		if out[i], err = h.userView(u, false); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	next := ""
	if len(us) == q.Limit {
		next = us[len(us)-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out, "next": next})
}

func hasControl(s string) bool {
	for _, c := range s {
		if unicode.IsControl(c) {
			return true
		}
	}
	return false
}

// record is what the console and the API show of one user: the user (after
// following merges), its view, its identities and its sessions.
type record struct {
	user       storage.User
	view       userView
	identities []identityView
	sessions   []storage.Session
}

// userRecord reads a user's record; the ids show only with admin.reveal_ids.
func (h *Handler) userRecord(ctx context.Context, id string) (record, error) {
	var rec record
	u, err := h.o.Store.GetUser(ctx, id)
	if err != nil {
		return rec, err
	}
	rec.user = u
	if rec.view, err = h.userView(u, h.o.RevealIDs); err != nil {
		return rec, err
	}
	idns, err := h.o.Store.ListIdentities(ctx, u.ID)
	if err != nil {
		return rec, err
	}
	rec.identities = make([]identityView, len(idns))
	for i, idn := range idns {
		if rec.identities[i], err = h.identityView(idn, h.o.RevealIDs); err != nil {
			return rec, err
		}
	}
	rec.sessions, err = h.o.Store.ListUserSessions(ctx, u.ID)
	return rec, err
}

// GET /admin/api/users/{id}
func (h *Handler) showUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	ctx := r.Context()
	rec, err := h.userRecord(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, uv, ivs, ps := rec.user, rec.view, rec.identities, rec.sessions
	body := map[string]any{"user": uv, "identities": ivs, "sessions": sessionViews(ps)}
	if u.ID != id {
		body["merged_into"] = u.ID
	}
	writeJSON(w, http.StatusOK, body)
}

// POST /admin/api/users/{id}/block and /unblock
func (h *Handler) block(blocked bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r, "id")
		if !ok {
			return
		}
		u, n, err := h.o.Store.SetBlocked(r.Context(), id, blocked, h.o.Now())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		uv, err := h.userView(u, false)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.o.Log.Info("admin: user blocked or unblocked", "user", u.ID, "blocked", blocked, "sessions_ended", n)
		writeJSON(w, http.StatusOK, map[string]any{"user": uv, "sessions_ended": n})
	}
}

// POST /admin/api/users/{id}/merge {"into":"usr-..."}: the user {id} is
// merged into "into".
func (h *Handler) merge(w http.ResponseWriter, r *http.Request) {
	from, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	var body struct {
		Into string `json:"into"`
	}
	if ae := readJSON(r, &body); ae != nil {
		writeError(w, ae)
		return
	}
	if !validID(body.Into) {
		writeError(w, apiErr(http.StatusBadRequest, "invalid_id", "set \"into\" to the id of the user to merge this one into"))
		return
	}
	u, merged, err := h.o.Store.MergeUsers(r.Context(), from, body.Into, h.o.Now(), h.o.ResealPhone)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	uv, err := h.userView(u, false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if merged {
		h.o.Log.Info("admin: users merged", "from", from, "into", u.ID)
		if h.o.OnMerge != nil {
			h.o.OnMerge(from, u.ID)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": uv, "merged": merged})
}

// pathUser is the user the path's {id} names (after merges), or false once
// the error is written.
func (h *Handler) pathUser(w http.ResponseWriter, r *http.Request) (storage.User, bool) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return storage.User{}, false
	}
	u, err := h.o.Store.GetUser(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return storage.User{}, false
	}
	return u, true
}

// GET /admin/api/users/{id}/sessions
func (h *Handler) listSessions(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	ps, err := h.o.Store.ListUserSessions(r.Context(), u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": sessionViews(ps)})
}

// DELETE /admin/api/users/{id}/sessions: log out everywhere.
func (h *Handler) revokeAll(w http.ResponseWriter, r *http.Request) {
	u, ok := h.pathUser(w, r)
	if !ok {
		return
	}
	n, err := h.o.Store.DeleteUserSessions(r.Context(), u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.o.Log.Info("admin: sessions revoked", "user", u.ID, "sessions", n)
	writeJSON(w, http.StatusOK, map[string]any{"revoked": n})
}

// DELETE /admin/api/users/{id}/sessions/{sid}
func (h *Handler) revokeOne(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	sid, ok := pathID(w, r, "sid")
	if !ok {
		return
	}
	u, err := h.o.Store.GetUser(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ps, err := h.o.Store.ListUserSessions(r.Context(), u.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, p := range ps {
		if p.ID == sid {
			if err := h.o.Store.DeleteSession(r.Context(), sid); err != nil {
				h.fail(w, r, err)
				return
			}
			h.o.Log.Info("admin: session revoked", "user", u.ID, "session", sid)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeError(w, apiErr(http.StatusNotFound, "unknown_id", "this user has no session with this id (it may have ended)"))
}

// eventFilter reads the event filters of the query.
func eventFilter(r *http.Request) (storage.EventFilter, *apiError) {
	qs := r.URL.Query()
	var f storage.EventFilter
	if t := qs.Get("type"); t != "" {
		for _, c := range t {
			if !(c >= 'a' && c <= 'z' || c == '_' || c == '.') || len(t) > 64 {
				return f, apiErr(http.StatusBadRequest, "invalid_type", "type is an event type such as login or user_merged")
			}
		}
		f.Type = t
	}
	if u := qs.Get("user"); u != "" {
		if !validID(u) {
			return f, apiErr(http.StatusBadRequest, "invalid_id", "user is a wxgate user id")
		}
		f.UserID = u
	}
	if a := qs.Get("after"); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			return f, apiErr(http.StatusBadRequest, "invalid_after", "after is the id of the last event of the previous page")
		}
		f.AfterID = n
	}
	for _, p := range []struct {
		key string
		t   *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := qs.Get(p.key); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return f, apiErr(http.StatusBadRequest, "invalid_time", p.key+" is a time such as 2026-01-02T15:04:05Z")
			}
			*p.t = t
		}
	}
	var ae *apiError
	f.Limit, ae = limitParam(r, 100)
	return f, ae
}

func (h *Handler) writeEvents(w http.ResponseWriter, r *http.Request, f storage.EventFilter) {
	es, err := h.o.Store.ListEvents(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var next int64
	if len(es) == f.Limit {
		next = es[len(es)-1].ID
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": eventViews(es), "next": next})
}

// GET /admin/api/events?type=&user=&since=&until=&after=&limit=
func (h *Handler) events(w http.ResponseWriter, r *http.Request) {
	f, ae := eventFilter(r)
	if ae != nil {
		writeError(w, ae)
		return
	}
	h.writeEvents(w, r, f)
}

// GET /admin/api/users/{id}/events
func (h *Handler) userEvents(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	f, ae := eventFilter(r)
	if ae != nil {
		writeError(w, ae)
		return
	}
	f.UserID = id
	h.writeEvents(w, r, f)
}

// GET /admin/api/users/{id}/export: everything held about a user (a
// person's access request): profile, identities, sessions, avatar
// metadata and audit events.
func (h *Handler) export(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	ctx := r.Context()
	rec, err := h.userRecord(ctx, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u, uv, ivs, ps := rec.user, rec.view, rec.identities, rec.sessions
	var events []storage.Event
	for after := int64(0); ; {
		page, err := h.o.Store.ListEvents(ctx, storage.EventFilter{UserID: u.ID, AfterID: after, Limit: 500})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		events = append(events, page...)
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].ID
	}
	body := map[string]any{"exported_at": h.o.Now().UTC(), "user": uv, "identities": ivs,
		"sessions": sessionViews(ps), "events": eventViews(events)}
	if a, err := h.o.Store.GetUserAvatar(ctx, u.ID); err == nil {
		body["avatar"] = map[string]any{"id": a.ID, "content_type": a.ContentType, "bytes": len(a.Data), "created_at": a.CreatedAt}
	}
	w.Header().Set("Content-Disposition", `attachment; filename="wxgate-user-`+u.ID+`.json"`)
	h.o.Log.Info("admin: user exported", "user", u.ID)
	writeJSON(w, http.StatusOK, body)
}

// DELETE /admin/api/users/{id}
func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	if err := h.o.Store.DeleteUser(r.Context(), id, h.o.Now()); err != nil {
		h.fail(w, r, err)
		return
	}
	h.o.Log.Info("admin: user deleted", "user", id)
	w.WriteHeader(http.StatusNoContent)
}

// DELETE /admin/api/identities/{id}
func (h *Handler) unlink(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	i, err := h.o.Store.UnlinkIdentity(r.Context(), id, h.o.Now())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	iv, err := h.identityView(i, false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.o.Log.Info("admin: identity unlinked", "user", i.UserID, "identity", i.ID)
	writeJSON(w, http.StatusOK, map[string]any{"identity": iv, "user_id": i.UserID})
}
