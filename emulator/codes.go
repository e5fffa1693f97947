package emulator

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/wxgate/wxgate/wechat"
)

// codeKind separates the namespaces of codes: a js_code is no OAuth code.
type codeKind uint8

const (
	codeOAuth codeKind = iota + 1 // qrconnect, authorize, mobile: sns/oauth2/access_token
	codeJS                        // wx.login: sns/jscode2session
	codePhone                     // getPhoneNumber button: getuserphonenumber
)

// code is one issued code. It is single-use and bound to its app.
type code struct {
	kind    codeKind
	b       *binding // the app and user it was issued for
	scope   wechat.Scope
	expires time.Time
	used    bool
	tokens  *refreshToken // what an OAuth code was exchanged for (RevokeOnCodeReuse)
}

// codeStore holds codes in shards so that concurrent exchanges rarely share
// a lock.
type codeStore struct {
	seed   maphash.Seed
	shards [32]codeShard
}

type codeShard struct {
	mu        sync.Mutex
	m         map[string]*code
	lastSweep time.Time
}

func newCodeStore() *codeStore {
	s := &codeStore{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = make(map[string]*code)
	}
	return s
}

func (s *codeStore) shard(v string) *codeShard {
	return &s.shards[maphash.String(s.seed, v)%uint64(len(s.shards))]
}

// issue stores c under a fresh code and returns it.
func (s *codeStore) issue(now time.Time, c *code) string {
	for {
		v := newCode()
		sh := s.shard(v)
		sh.mu.Lock()
		if sh.m[v] == nil {
			sh.sweep(now)
			sh.m[v] = c
			sh.mu.Unlock()
			return v
		}
		sh.mu.Unlock()
	}
}

// sweep forgets expired codes, at most once a virtual minute per shard. An
// expired code answers 40029 whether it is remembered or not.
func (sh *codeShard) sweep(now time.Time) {
	if now.Sub(sh.lastSweep) < sweepEvery*time.Second {
		return
	}
	sh.lastSweep = now
	for v, c := range sh.m {
		if !now.Before(c.expires) {
			delete(sh.m, v)
		}
	}
}

// claim validates code v of kind for appid and marks it used. onClaim, when
// not nil, runs under the shard's lock just before the code is marked used;
// a non-zero errcode from it leaves the code unused and is returned.
// onReuse, when not nil, runs (under the lock) when a used code is presented
// again. Errcodes: 40029 unknown, other kind, other app or expired
// (expired: the expired errcode given), 40163 used (usedCode), or onClaim's.
func (s *codeStore) claim(now time.Time, v string, kind codeKind, appid string, expired, usedCode int, onClaim func(*code) int, onReuse func(*code)) (*code, int) {
	sh := s.shard(v)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	c := sh.m[v]
	switch {
	case c == nil || c.kind != kind || c.b.app.appid != appid:
		return nil, 40029
	case !now.Before(c.expires):
		return nil, expired
	case c.used:
		if onReuse != nil {
			onReuse(c)
		}
		return nil, usedCode
	}
	if onClaim != nil {
		if errcode := onClaim(c); errcode != 0 {
			return nil, errcode
		}
	}
	c.used = true
	return c, 0
}
