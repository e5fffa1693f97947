package session_test

import (
	"net/http/httptest"
	"testing"

	"github.com/wxgate/wxgate/session"
)

func TestFromRequestCookies(t *testing.T) {
	for _, tt := range []struct {
		cookie, want string
		dup          bool
	}{
		{"wxgate_session=a", "a", false},
		{"__Host-wxgate_session=b", "b", false},
		{"wxgate_session=a; __Host-wxgate_session=b", "b", false},
		{"wxgate_session=a; wxgate_session=c", "", true},
		{"__Host-wxgate_session=b; __Host-wxgate_session=c; wxgate_session=a", "", true},
		{"other=x", "", false},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", tt.cookie)
		tok, _ := session.FromRequest(r)
		if tok != tt.want || session.DuplicateCookie(r) != tt.dup {
			t.Errorf("%q: token %q dup %v, want %q %v", tt.cookie, tok, session.DuplicateCookie(r), tt.want, tt.dup)
		}
	}
}
