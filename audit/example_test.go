package audit_test

import (
	"fmt"

	"github.com/wxgate/wxgate/audit"
)

// A scan of one file's content: the AppSecret is reported redacted, with
// what to do.
func ExampleScanner() {
	s, err := audit.NewScanner(audit.Options{})
	if err != nil {
		panic(err)
	}
	src := "// utils/config.js\nmodule.exports = {\n  appid: 'wx0a1b2c3d4e5f6071',\n  secret: '8e1f4c2b9a7d3e5f0c6b8a2d4f1e3c5a',\n};\n"
	for _, f := range s.ScanBytes("miniprogram/utils/config.js", []byte(src), true) {
		fmt.Printf("%s:%d %s: %s\n  %s\n", f.File, f.Line, f.Kind, f.Message, f.Excerpt)
	}
	// Output:
	// miniprogram/utils/config.js:4 appsecret: AppSecret under "secret" in client-side code
	//   secret: '8e1f…(32)',
}
