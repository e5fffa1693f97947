package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
)

// ResealReport says what a re-seal pass did.
type ResealReport struct {
	Identities int // identities looked at
	Users      int // users looked at
	Resealed   int // sealed fields moved to the active key
	Changed    int // fields the gateway rewrote meanwhile (left as they were)
	// Remaining counts the fields still sealed under each other key after
	// the pass: zero everywhere means the old keys can be retired.
	Remaining map[string]int
}

// sealedField is one sealed value of a row, with the AAD it is bound to.
type sealedField struct {
	name string
	aad  []byte
	get  func() []byte
	set  func([]byte)
}

func identityFields(i *storage.Identity) []sealedField {
	return []sealedField{
		{fieldOpenID, aad(fieldOpenID, i.OpenIDIndex), func() []byte { return i.OpenID }, func(b []byte) { i.OpenID = b }},
		{fieldUnionID, aad(fieldUnionID, i.UnionIDIndex), func() []byte { return i.UnionID }, func(b []byte) { i.UnionID = b }},
		{fieldSessionKey, aad(fieldSessionKey, i.OpenIDIndex), func() []byte { return i.SessionKey }, func(b []byte) { i.SessionKey = b }},
		{fieldAccessToken, aad(fieldAccessToken, i.OpenIDIndex), func() []byte { return i.AccessToken }, func(b []byte) { i.AccessToken = b }},
		{fieldRefreshToken, aad(fieldRefreshToken, i.OpenIDIndex), func() []byte { return i.RefreshToken }, func(b []byte) { i.RefreshToken = b }},
	}
}

func userFields(u *storage.User) []sealedField {
	return []sealedField{
		{fieldPhone, aad(fieldPhone, []byte(u.ID)), func() []byte { return u.Phone }, func(b []byte) { u.Phone = b }},
	}
}

// Reseal moves every sealed field in the store to the keyring's active key
// (after `wxgate keys rotate`). It is safe while gateways serve: a field is
// replaced only if it still holds the value the pass read (compare-and-
// swap inside the store's updater), so a value a gateway rewrote meanwhile
// is left alone; and gateways that meet a key they do not know reload the
// keyring file. It is idempotent, hence resumable: a second pass finds
// the rows the first one finished and only counts them.
func Reseal(ctx context.Context, store storage.Store, kr *seal.Keyring, log *slog.Logger) (ResealReport, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep := ResealReport{Remaining: map[string]int{}}
	active := kr.ActiveKeyID()
	// plan returns the new blobs of the fields not under the active key.
	plan := func(fields []sealedField) (map[string][2][]byte, error) {
		out := map[string][2][]byte{}
		for _, f := range fields {
			old := f.get()
			if len(old) == 0 {
				continue
			}
			if id, _ := kr.SealedWith(old); id == active {
				continue
			}
			p, err := kr.Open(old, f.aad)
			if err != nil {
				return nil, fmt.Errorf("opening a sealed %s: %w (is a retired key missing from the keyring?)", f.name, err)
			}
			n, err := kr.Seal(p, f.aad)
			if err != nil {
				return nil, err
			}
			out[f.name] = [2][]byte{old, n}
		}
		return out, nil
	}
	// apply swaps in the new blobs whose field still holds the old one.
	apply := func(fields []sealedField, p map[string][2][]byte) (swapped, changed int) {
		for _, f := range fields {
			if b, ok := p[f.name]; ok {
				if bytes.Equal(f.get(), b[0]) {
					f.set(b[1])
					swapped++
				} else {
					changed++
				}
			}
		}
		return swapped, changed
	}
	for after := ""; ; {
		page, err := store.ScanIdentities(ctx, after, 200)
		if err != nil {
			return rep, err
		}
		if len(page) == 0 {
			break
		}
		for _, ident := range page {
			after = ident.ID
			rep.Identities++
			p, err := plan(identityFields(&ident))
			if err != nil {
				return rep, fmt.Errorf("identity %s: %w", ident.ID, err)
			}
			if len(p) == 0 {
				continue
			}
			var swapped, changed int
			_, err = store.UpdateIdentity(ctx, ident.ID, func(cur storage.Identity) (storage.Identity, error) {
				swapped, changed = apply(identityFields(&cur), p)
				return cur, nil
			})
			if errors.Is(err, storage.ErrNotFound) {
				continue // logged out and gone meanwhile
			}
			if err != nil {
				return rep, fmt.Errorf("identity %s: %w", ident.ID, err)
			}
			rep.Resealed += swapped
			rep.Changed += changed
		}
	}
	for after := ""; ; {
		page, err := store.ScanUsers(ctx, after, 200)
		if err != nil {
			return rep, err
		}
		if len(page) == 0 {
			break
		}
		for _, u := range page {
			after = u.ID
			rep.Users++
			p, err := plan(userFields(&u))
			if err != nil {
				return rep, fmt.Errorf("user %s: %w", u.ID, err)
			}
			if len(p) == 0 {
				continue
			}
			var swapped, changed int
			_, err = store.UpdateUser(ctx, u.ID, func(cur storage.User) (storage.User, error) {
				swapped, changed = apply(userFields(&cur), p)
				return cur, nil
			})
			if err != nil && !errors.Is(err, storage.ErrNotFound) {
				return rep, fmt.Errorf("user %s: %w", u.ID, err)
			}
			rep.Resealed += swapped
			rep.Changed += changed
		}
		log.Info("re-sealing", "identities", rep.Identities, "users", rep.Users, "resealed", rep.Resealed)
	}
	// Count what is left under other keys (fields rewritten meanwhile are
	// under the active key already; a concurrent writer using an old
	// keyring would show up here).
	var err error
	rep.Remaining, err = remaining(ctx, store, kr)
	return rep, err
}

// remaining counts sealed fields by key id, other than the active key.
func remaining(ctx context.Context, store storage.Store, kr *seal.Keyring) (map[string]int, error) {
	out := map[string]int{}
	count := func(fields []sealedField) {
		for _, f := range fields {
			if b := f.get(); len(b) > 0 {
				if id, _ := kr.SealedWith(b); id != kr.ActiveKeyID() {
					out[id]++
				}
			}
		}
	}
	for after := ""; ; {
		page, err := store.ScanIdentities(ctx, after, 500)
		if err != nil || len(page) == 0 {
			if err != nil {
				return out, err
			}
			break
		}
		for i := range page {
			count(identityFields(&page[i]))
			after = page[i].ID
		}
	}
	for after := ""; ; {
		page, err := store.ScanUsers(ctx, after, 500)
		if err != nil || len(page) == 0 {
			if err != nil {
				return out, err
			}
			break
		}
		for i := range page {
			count(userFields(&page[i]))
			after = page[i].ID
		}
	}
	return out, nil
}

// SealedUnder counts the stored fields sealed under each key other than
// the keyring's active one (what `wxgate keys retire` checks first).
func SealedUnder(ctx context.Context, store storage.Store, kr *seal.Keyring) (map[string]int, error) {
	return remaining(ctx, store, kr)
}
