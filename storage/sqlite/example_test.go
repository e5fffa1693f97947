package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/sqlite"
)

// Open creates and migrates the database file; a returning login then
// resolves to the same user, without creating anything.
func ExampleOpen() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "wxgate")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	s, err := sqlite.Open(ctx, filepath.Join(dir, "wxgate.db"))
	if err != nil {
		panic(err)
	}
	defer s.Close()

	login := storage.LinkRequest{
		Identity: storage.Identity{ID: "idn-1", AppID: "wx0123456789abcdef", OpenIDIndex: []byte("blind index of the openid")},
		NewUser:  storage.User{ID: "usr-1", Nickname: "微信用户"},
	}
	first, err := s.LinkIdentity(ctx, login)
	fmt.Println(first.User.ID, first.CreatedUser, err)

	login.NewUser.ID = "usr-2" // would be used only for a new person
	again, err := s.LinkIdentity(ctx, login)
	fmt.Println(again.User.ID, again.CreatedUser, err)
	// Output:
	// usr-1 true <nil>
	// usr-1 false <nil>
}
