package seal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestKeyringNeverPrintsKeys formats a keyring every way a program might
// print or log it, and searches the output for its key material in base64,
// hex and raw form.
func TestKeyringNeverPrintsKeys(t *testing.T) {
	g, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	k, err := g.Rotated()
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, kk := range k.r.keys {
		secrets = append(secrets, base64.StdEncoding.EncodeToString(kk.secret))
	}
	secrets = append(secrets, base64.StdEncoding.EncodeToString(k.r.indexKey[:]))
	needles := secretNeedles(secrets...)

	type holder struct {
		Exported   *Keyring
		unexported *Keyring
		value      Keyring
	}
	h := holder{k, k, *k}
	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%o", "%b", "%c", "%U", "%t", "%e", "%p"} {
		outputs[verb] = fmt.Sprintf(verb, k)
		outputs[verb+" of a struct"] = fmt.Sprintf(verb, h)
		outputs[verb+" of a pointer to a struct"] = fmt.Sprintf(verb, &h)
		outputs[verb+" of a value"] = fmt.Sprintf(verb, *k)
	}
	outputs["Sprint"] = fmt.Sprint(k, []*Keyring{k}, map[string]*Keyring{"k": k})
	js, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json"] = string(js)
	js, err = json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs["json of a struct"] = string(js)
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("keys", "keyring", k, "holder", h)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("keys", "keyring", k, "holder", h)
	outputs["slog"] = logs.String()

	for name, out := range outputs {
		if testing.Verbose() {
			t.Logf("%s: %s", name, out)
		}
		for _, n := range needles {
			if strings.Contains(out, n) {
				t.Errorf("%s prints key material: %s", name, out)
			}
		}
	}
	for _, name := range []string{"%v", "%+v", "%s", "%#v", "json", "slog"} {
		if !strings.Contains(outputs[name], k.ActiveKeyID()) {
			t.Errorf("%s does not show the active key id: %s", name, outputs[name])
		}
	}
	if got, want := outputs["%v"], fmt.Sprintf("seal.Keyring{active: %s, keys: [%s]}", k.ActiveKeyID(), strings.Join(k.KeyIDs(), " ")); got != want {
		t.Errorf("%%v = %s, want %s", got, want)
	}
	if got, want := string(js), fmt.Sprintf(`{"Exported":{"active":%q,"key_ids":[%q,%q]}}`, k.ActiveKeyID(), k.KeyIDs()[0], k.KeyIDs()[1]); got != want {
		t.Errorf("json = %s, want %s", got, want)
	}
}

func TestZeroKeyringPrints(t *testing.T) {
	var nilRing *Keyring
	for _, tt := range []struct{ got, want string }{
		{fmt.Sprint(&Keyring{}), "seal.Keyring{}"},
		{fmt.Sprintf("%#v", &Keyring{}), "&seal.Keyring{}"},
		{fmt.Sprint(nilRing), "seal.Keyring{}"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if js, err := json.Marshal(nilRing); err != nil || string(js) != "null" {
		t.Errorf("json of a nil keyring = %s, %v", js, err)
	}
}
