package storagetest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wxgate/wxgate/storage"
)

func avatar(id, userID string, data []byte) storage.Avatar {
	return storage.Avatar{ID: id, UserID: userID, ContentType: "image/png", Data: data,
		Source: bytes.Repeat([]byte{7}, 32), CreatedAt: time.Date(2026, 3, 4, 5, 6, 7, 891011000, time.UTC)}
}

// newAvatarUser creates a user to hang avatars on.
func newAvatarUser(t *testing.T, s storage.Store, id string) {
	t.Helper()
	now := time.Now().UTC()
	_, err := s.LinkIdentity(context.Background(), storage.LinkRequest{
		Identity: storage.Identity{ID: "idn_" + id, AppID: "wxA", OpenIDIndex: []byte("oi_" + id), CreatedAt: now, UpdatedAt: now},
		NewUser:  storage.User{ID: id, CreatedAt: now, UpdatedAt: now},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testAvatarPutGet(t *testing.T, s storage.Store) {
	ctx := context.Background()
	newAvatarUser(t, s, "u1")
	data := make([]byte, 256)
	for i := range data {
		data[i] = byte(i) // every byte value, NUL included
	}
	a := avatar("av1", "u1", data)
	if err := s.PutAvatar(ctx, a); err != nil {
		t.Fatal(err)
	}
	data[0] = 99 // the store keeps its own copy
	for name, get := range map[string]func() (storage.Avatar, error){
		"GetAvatar":     func() (storage.Avatar, error) { return s.GetAvatar(ctx, "av1") },
		"GetUserAvatar": func() (storage.Avatar, error) { return s.GetUserAvatar(ctx, "u1") },
	} {
		got, err := get()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.ID != "av1" || got.UserID != "u1" || got.ContentType != "image/png" || len(got.Data) != 256 || got.Data[0] != 0 || got.Data[255] != 255 ||
			!bytes.Equal(got.Source, a.Source) || !got.CreatedAt.Equal(a.CreatedAt.Truncate(time.Microsecond)) || got.CreatedAt.Location() != time.UTC {
			t.Errorf("%s = %+v", name, got)
		}
	}
	big := avatar("av2", "u1", bytes.Repeat([]byte{1}, storage.MaxAvatarSize))
	if err := s.PutAvatar(ctx, big); err != nil {
		t.Fatalf("PutAvatar of MaxAvatarSize bytes: %v", err)
	}
	if got, err := s.GetAvatar(ctx, "av2"); err != nil || len(got.Data) != storage.MaxAvatarSize {
		t.Fatalf("GetAvatar of MaxAvatarSize bytes: %d %v", len(got.Data), err)
	}
}

func testAvatarReplace(t *testing.T, s storage.Store) {
	ctx := context.Background()
	newAvatarUser(t, s, "u1")
	newAvatarUser(t, s, "u2")
	if err := s.PutAvatar(ctx, avatar("old", "u1", []byte("old"))); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAvatar(ctx, avatar("other", "u2", []byte("other"))); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAvatar(ctx, avatar("new", "u1", []byte("new"))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAvatar(ctx, "old"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("replaced avatar still stored: %v", err)
	}
	if got, err := s.GetUserAvatar(ctx, "u1"); err != nil || got.ID != "new" || string(got.Data) != "new" {
		t.Errorf("GetUserAvatar after replace = %+v, %v", got, err)
	}
	if got, err := s.GetUserAvatar(ctx, "u2"); err != nil || got.ID != "other" {
		t.Errorf("another user's avatar changed: %+v, %v", got, err)
	}
}

func testAvatarErrors(t *testing.T, s storage.Store) {
	ctx := context.Background()
	if _, err := s.GetAvatar(ctx, "none"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetAvatar of nothing: %v", err)
	}
	if _, err := s.GetUserAvatar(ctx, "none"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("GetUserAvatar of nothing: %v", err)
	}
	if err := s.PutAvatar(ctx, avatar("a", "ghost", []byte("x"))); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("PutAvatar for a missing user: %v", err)
	}
	newAvatarUser(t, s, "u1")
	newAvatarUser(t, s, "u2")
	if err := s.PutAvatar(ctx, avatar("a", "u1", []byte("x"))); err != nil {
		t.Fatal(err)
	}
	if err := s.PutAvatar(ctx, avatar("a", "u2", []byte("y"))); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("PutAvatar with another's id: %v", err)
	}
	if _, err := s.GetUserAvatar(ctx, "u2"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a refused PutAvatar stored something: %v", err)
	}
	if got, _ := s.GetAvatar(ctx, "a"); got.UserID != "u1" || string(got.Data) != "x" {
		t.Errorf("a refused PutAvatar changed the existing avatar: %+v", got)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.PutAvatar(cancelled, avatar("b", "u1", []byte("z"))); err == nil {
		t.Error("PutAvatar with a cancelled context succeeded")
	}
}
