package memory_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wxgate/wxgate/storage"
	"github.com/wxgate/wxgate/storage/memory"
)

// An OAuth state is stored when the login starts and taken, once, when
// WeChat redirects back: a replayed callback finds nothing.
func ExampleKV() {
	ctx := context.Background()
	kv := memory.NewKV()
	defer kv.Close()

	ok, err := kv.SetNX(ctx, "state:Zm9vYmFy", []byte("return_to=/account"), 10*time.Minute)
	fmt.Println(ok, err)

	v, err := kv.Take(ctx, "state:Zm9vYmFy")
	fmt.Printf("%s %v\n", v, err)

	_, err = kv.Take(ctx, "state:Zm9vYmFy")
	fmt.Println(errors.Is(err, storage.ErrNotFound))
	// Output:
	// true <nil>
	// return_to=/account <nil>
	// true
}

// Backends are usually chosen by URL; "memory" needs no setup.
func Example() {
	ctx := context.Background()
	s, err := storage.Open(ctx, "memory")
	if err != nil {
		panic(err)
	}
	defer s.Close()

	res, err := s.LinkIdentity(ctx, storage.LinkRequest{
		Identity: storage.Identity{ID: "idn-1", AppID: "wx0123456789abcdef", OpenIDIndex: []byte("blind index of the openid")},
		NewUser:  storage.User{ID: "usr-1", Nickname: "微信用户"},
	})
	fmt.Println(res.User.ID, res.CreatedUser, err)
	// Output: usr-1 true <nil>
}
