package gateway

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"time"

	"github.com/wxgate/wxgate/storage"
)

// The browser-login state machine. A login is started (startLogin stores
// a loginState under its state key, bound to the browser); WeChat sends
// the browser back to the callback, which claims the state for this
// callback, takes (spends) the state, checks the browser's binding, and
// ends in an outcome (a session or a failure) that duplicates of the
// callback get in turn:
//
//	claim ──first──▶ take ──bound──▶ (exchange the code) ──▶ succeed | fail
//	  │               ├─ spent or expired ─▶ state_expired (claim released)
//	  │               └─ other browser ────▶ fail(state_mismatch)
//	  └─duplicate──▶ await the first's outcome (same browser and code only)
//
// callbackFlow holds one callback's part in it.
type callbackFlow struct {
	kv       storage.KV
	seal     func(p, aad []byte) ([]byte, error)
	open     func(c, aad []byte) ([]byte, error)
	state    string
	binding  []byte // SHA-256 of the browser's binding value
	codeHash []byte // SHA-256 of the code (empty code: declined)
}

// callbackOutcome is what the cache remembers of a callback in progress
// (Pending) or finished, for its duplicates.
type callbackOutcome struct {
	Pending  bool   `json:"p,omitempty"`
	Binding  []byte `json:"b"`
	CodeHash []byte `json:"c"`
	Token    []byte `json:"t,omitempty"` // sealed session token
	Expires  int64  `json:"e,omitempty"`
	ReturnTo string `json:"r,omitempty"`
	Flow     string `json:"f,omitempty"`
	Error    string `json:"x,omitempty"` // the failure's code, to show the same page again
}

// newCallbackFlow is the callback of state from the browser whose binding
// cookie holds bindingValue, carrying code.
func (s *Server) newCallbackFlow(state, bindingValue, code string) *callbackFlow {
	ch := sha256.Sum256([]byte(code))
	return &callbackFlow{
		kv:       s.kv,
		seal:     func(p, aad []byte) ([]byte, error) { return s.keyring().Seal(p, aad) },
		open:     func(c, aad []byte) ([]byte, error) { return s.keyring().Open(c, aad) },
		state:    state,
		binding:  hashBinding(bindingValue),
		codeHash: ch[:],
	}
}

// claim marks the state as being handled by this callback; false when
// another callback did first (a duplicate: see await).
func (f *callbackFlow) claim(ctx context.Context) (bool, error) {
	b, _ := json.Marshal(callbackOutcome{Pending: true, Binding: f.binding, CodeHash: f.codeHash})
	first, err := f.kv.SetNX(ctx, callbackKey(f.state), b, callbackTTL)
	if err != nil {
		return false, storageFailure(err)
	}
	return first, nil
}

// take spends the state and returns the login it started. A state spent
// or expired is errStateExpired (and the claim is released); a state
// started in another browser is errStateMismatch, recorded as this
// callback's outcome. Only a claimed flow may take.
func (f *callbackFlow) take(ctx context.Context) (loginState, error) {
	raw, err := f.kv.Take(ctx, stateKey(f.state))
	if errors.Is(err, storage.ErrNotFound) {
		f.kv.Delete(context.WithoutCancel(ctx), callbackKey(f.state))
		return loginState{}, errStateExpired.New()
	}
	if err != nil {
		return loginState{}, storageFailure(err)
	}
	var rec loginState
	if err := json.Unmarshal(raw, &rec); err != nil {
		return loginState{}, err
	}
	if subtle.ConstantTimeCompare(rec.Binding, f.binding) != 1 {
		f.fail(ctx, errStateMismatch)
		return rec, errStateMismatch.New()
	}
	return rec, nil
}

// fail records the callback's failure for its duplicates.
func (f *callbackFlow) fail(ctx context.Context, kind *errorKind) {
	f.record(ctx, callbackOutcome{Binding: f.binding, CodeHash: f.codeHash, Error: kind.Code})
}

// succeed records the session the callback started (its token sealed)
// for its duplicates.
func (f *callbackFlow) succeed(ctx context.Context, token string, exp time.Time, rec loginState) error {
	sealed, err := f.seal([]byte(token), []byte(callbackKey(f.state)))
	if err != nil {
		return err
	}
	return f.record(ctx, callbackOutcome{Binding: f.binding, CodeHash: f.codeHash, Token: sealed, Expires: exp.Unix(), ReturnTo: rec.ReturnTo, Flow: rec.Flow})
}

func (f *callbackFlow) record(ctx context.Context, o callbackOutcome) error {
	b, _ := json.Marshal(o)
	return f.kv.Set(context.WithoutCancel(ctx), callbackKey(f.state), b, callbackTTL)
}

// errReplayed: a duplicate callback from another browser or with another
// code (a spent state replayed).
var errReplayed = errors.New("a spent login state was replayed")

// duplicate is what a duplicate callback learns of the first one.
type duplicate struct {
	Failed   *errorKind // the first callback failed so
	Token    string     // else: its session
	Expires  time.Time
	ReturnTo string
	Flow     string
}

// await waits (with growing pauses, within ctx) for the outcome of the
// callback that claimed the state first. Only the same browser with the
// same code gets it: anything else is errReplayed; a claim gone (expired)
// is errStateExpired; a first callback still running when ctx ends is
// errCallbackPending.
func (f *callbackFlow) await(ctx context.Context) (duplicate, error) {
	wait := 25 * time.Millisecond
	for {
		raw, err := f.kv.Get(ctx, callbackKey(f.state))
		var o callbackOutcome
		if err != nil || json.Unmarshal(raw, &o) != nil {
			if ctx.Err() != nil {
				return duplicate{}, errCallbackPending.New()
			}
			return duplicate{}, errStateExpired.New()
		}
		if subtle.ConstantTimeCompare(o.Binding, f.binding) != 1 || !bytes.Equal(o.CodeHash, f.codeHash) {
			return duplicate{}, errReplayed
		}
		if !o.Pending {
			if o.Error != "" {
				return duplicate{Failed: kindByCode(o.Error)}, nil
			}
			tok, err := f.open(o.Token, []byte(callbackKey(f.state)))
			if err != nil {
				return duplicate{}, err
			}
			return duplicate{Token: string(tok), Expires: time.Unix(o.Expires, 0), ReturnTo: o.ReturnTo, Flow: o.Flow}, nil
		}
		select {
		case <-ctx.Done():
			return duplicate{}, errCallbackPending.New()
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}
