package har_test

import (
	"fmt"

	"github.com/wxgate/wxgate/audit/har"
)

func ExampleParse() {
	capture := []byte(`{"log": {"entries": [
  {"request": {"method": "POST", "url": "https://shop.example.com/api/login", "headers": []},
   "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json", "text": "eyJvayI6dHJ1ZX0=", "encoding": "base64"}}}
]}}`)
	entries, err := har.Parse(capture)
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		fmt.Println(e.Request.Method, e.Request.URL.Value, e.Response.Status, string(e.Response.Content.Decoded()))
	}
	// Output:
	// POST https://shop.example.com/api/login 200 {"ok":true}
}
