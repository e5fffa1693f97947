package seal_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/wxgate/wxgate/seal"
)

// Seal a user's openid for the row that stores it, and find the row again
// by its blind index.
func Example() {
	keys, err := seal.Generate() // or seal.Load("./wxgate.keys")
	if err != nil {
		log.Fatal(err)
	}
	const appID, openID = "wx4f4bc4dec97d474b", "oGZUI0egBJY1zhBYw2KhdUfwVJJE"

	// Store the sealed value, bound to its row and column, and the index.
	aad := []byte("identity/42/openid")
	sealed, err := keys.Seal([]byte(openID), aad)
	if err != nil {
		log.Fatal(err)
	}
	index := keys.Index("openid", appID, openID)

	// A later login looks the row up by the index of the openid WeChat sent.
	if bytes.Equal(keys.Index("openid", appID, openID), index) {
		plain, err := keys.Open(sealed, aad)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("found identity 42 with openid %s\n", plain)
	}

	// The same blob in another row does not open.
	if _, err := keys.Open(sealed, []byte("identity/43/openid")); err != nil {
		fmt.Println(err)
	}
	fmt.Println(len(sealed)-len(openID) == seal.Overhead, len(index))
	// Output:
	// found identity 42 with openid oGZUI0egBJY1zhBYw2KhdUfwVJJE
	// seal: cannot open sealed value
	// true 32
}

// Rotate the active key: values sealed before still open, new values use
// the new key, and a re-seal job moves the old ones over before the old key
// is retired.
func ExampleKeyring_Rotated() {
	keys, err := seal.Generate()
	if err != nil {
		log.Fatal(err)
	}
	old, _ := keys.Seal([]byte("session_key"), []byte("session/7/session_key"))
	oldID := keys.ActiveKeyID()

	keys, err = keys.Rotated()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("keys:", len(keys.KeyIDs()))

	// The re-seal job: every blob not sealed with the active key.
	row := old
	if id, ok := keys.SealedWith(row); ok && id != keys.ActiveKeyID() {
		plain, err := keys.Open(row, []byte("session/7/session_key"))
		if err != nil {
			log.Fatal(err)
		}
		row, _ = keys.Seal(plain, []byte("session/7/session_key"))
	}

	keys, err = keys.Retire(oldID)
	if err != nil {
		log.Fatal(err)
	}
	plain, err := keys.Open(row, []byte("session/7/session_key"))
	fmt.Printf("keys: %d, re-sealed row: %s, %v\n", len(keys.KeyIDs()), plain, err)
	_, err = keys.Open(old, []byte("session/7/session_key"))
	fmt.Println("old blob:", err)
	// Output:
	// keys: 2
	// keys: 1, re-sealed row: session_key, <nil>
	// old blob: seal: cannot open sealed value
}

// Create a key file once, then load it at every start.
func ExampleWriteFile() {
	dir, err := os.MkdirTemp("", "wxgate")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "wxgate.keys")

	keys, err := seal.Generate()
	if err != nil {
		log.Fatal(err)
	}
	if err := seal.WriteFile(path, keys, false); err != nil {
		log.Fatal(err)
	}
	loaded, err := seal.Load(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(loaded.ActiveKeyID() == keys.ActiveKeyID())

	// A second WriteFile would destroy the only keys to the data.
	fmt.Println(seal.WriteFile(path, keys, false) != nil)
	// Output:
	// true
	// true
}
