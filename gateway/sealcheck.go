package gateway

import (
	"bytes"
	"context"
	"fmt"

	"github.com/wxgate/wxgate/seal"
	"github.com/wxgate/wxgate/storage"
)

// SealCheckReport says what CheckSealed opened.
type SealCheckReport struct {
	Identities int // identities looked at
	Users      int // users looked at
	Opened     int // sealed fields opened
	Indexes    int // blind indexes recomputed and matched
}

// CheckSealed opens every sealed field in the store with kr, and
// recomputes the blind index of every openid, so that a keyring that is
// not the one the data was written with is found before it is used (for
// example when restoring a backup). It changes nothing. The error names
// the first row and field that failed, never a value.
func CheckSealed(ctx context.Context, store storage.Store, kr *seal.Keyring) (SealCheckReport, error) {
	var rep SealCheckReport
	open := func(what, id string, fields []sealedField) error {
		for _, f := range fields {
			if len(f.get()) == 0 {
				continue
			}
			if _, err := kr.Open(f.get(), f.aad); err != nil {
				return fmt.Errorf("%s %s: its sealed %s does not open with this keyring: %w", what, id, f.name, err)
			}
			rep.Opened++
		}
		return nil
	}
	after := ""
	for {
		page, err := store.ScanIdentities(ctx, after, 500)
		if err != nil {
			return rep, err
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			ident := &page[i]
			rep.Identities++
			if err := open("identity", ident.ID, identityFields(ident)); err != nil {
				return rep, err
			}
			if len(ident.OpenID) > 0 {
				openID, _ := kr.Open(ident.OpenID, aad(fieldOpenID, ident.OpenIDIndex))
				if !bytes.Equal(kr.Index(indexOpenID, ident.AppID, string(openID)), ident.OpenIDIndex) {
					return rep, fmt.Errorf("identity %s: its openid index was not made with this keyring's index key", ident.ID)
				}
				rep.Indexes++
			}
		}
		after = page[len(page)-1].ID
	}
	after = ""
	for {
		page, err := store.ScanUsers(ctx, after, 500)
		if err != nil {
			return rep, err
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			rep.Users++
			if err := open("user", page[i].ID, userFields(&page[i])); err != nil {
				return rep, err
			}
		}
		after = page[len(page)-1].ID
	}
	return rep, nil
}
