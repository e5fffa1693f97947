// Package benchgen generates the benchmark corpus of `make bench`:
// realistic backend code (Go, Java, PHP, Python, Node), configuration,
// mini-program sources, minified bundles and logs, with leaks planted in
// one file in twenty. The same seed gives the same corpus.
package benchgen

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// Leak is a planted leak: the file (relative to the corpus), the line and
// the kind of finding wxgate scan should report.
type Leak struct {
	File string
	Line int
	Kind string
}

// gen writes one generated file, counting lines and recording leaks.
type gen struct {
	r       *rand.Rand
	w       *bufio.Writer
	line    int
	n       int64
	file    string
	planted map[Leak]bool
}

func (g *gen) printf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	g.line += strings.Count(s, "\n")
	g.n += int64(len(s))
	g.w.WriteString(s)
}

// plant writes a line holding a leak of kind k.
func (g *gen) plant(k string, format string, args ...any) {
	g.planted[Leak{g.file, g.line + 1, k}] = true
	g.printf(format, args...)
}

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

func (g *gen) b64key() string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(g.r.IntN(256))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (g *gen) word() string {
	words := []string{"order", "user", "cart", "item", "price", "token", "tokenizer", "session", "secretary", "appIdx",
		"count", "total", "status", "result", "payload", "config", "handler", "request", "response", "cache", "openid"}
	return words[g.r.IntN(len(words))] + fmt.Sprint(g.r.IntN(100))
}

func (g *gen) token() string {
	const a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, 136)
	for i := range b {
		b[i] = a[g.r.IntN(len(a))]
	}
	return fmt.Sprintf("%d_%s", 60+g.r.IntN(30), b)
}

// kinds of generated files: extension, typical size, share of the
// corpus's bytes, and a body writer.
type genKind struct {
	dir, ext string
	size     int
	share    float64
	body     func(g *gen, size int)
}

func codeBody(lang string) func(g *gen, size int) {
	return func(g *gen, size int) {
		for g.n < int64(size) {
			w1, w2, w3 := g.word(), g.word(), g.word()
			switch g.r.IntN(40) {
			case 0:
				g.printf("// %s computes the %s of a %s. The checksum is %s.\n", w1, w2, w3, g.hex(32))
			case 1:
				g.printf("\tconst %s = \"%s\"\n", w1, g.b64key())
			case 2:
				g.printf("\tsecretaryName := %s.Get(\"%s\") // not a secret\n", w1, w2)
			case 3:
				g.printf("\t%s := map[string]any{\"%s\": %d, \"%s\": %q, \"etag\": %q}\n", w1, w2, g.r.IntN(1000), w3, g.word(), g.hex(32))
			case 4, 5, 6:
				g.printf("\tif %s == %s && %s != nil {\n\t\treturn %s\n\t}\n", w1, w2, w3, w1)
			case 7, 8:
				g.printf("\turl := \"https://shop.example.com/api/%s?page=%d&size=%d\"\n", w2, g.r.IntN(50), g.r.IntN(100))
			case 9, 10, 11, 12:
				g.printf("\t%s.%s(%s, %q)\n", w1, w2, w3, g.word())
			case 13, 14:
				g.printf("\tlog.Printf(\"%s done in %%dms for %%s\", %s, %s)\n", w1, w2, w3)
			case 15, 16, 17:
				g.printf("func %s%s(%s string, %s int) (%s, error) {\n", lang, w1, w2, w3, g.word())
			case 18:
				g.printf("\ttokenizer.Split(%s, \"==\") // %s\n", w1, g.word())
			case 19, 20, 21:
				g.printf("\t%s = append(%s, %s[%d:%d]...)\n", w1, w1, w2, g.r.IntN(10), 10+g.r.IntN(10))
			case 22, 23, 24:
				g.printf("\tfor i := 0; i < len(%s); i++ {\n\t\t%s += %s[i] * %d\n\t}\n", w1, w2, w1, g.r.IntN(100))
			case 25, 26:
				g.printf("\t// TODO(%s): handle the %s case when %s is empty\n", g.word(), w1, w2)
			case 27, 28, 29:
				g.printf("\t%s, err := %s.%s(ctx, %s)\n\tif err != nil {\n\t\treturn nil, fmt.Errorf(\"%s: %%w\", err)\n\t}\n", w1, w2, w3, g.word(), w1)
			case 30, 31:
				g.printf("\tsession.Set(%q, %s.ID) // user %d\n", w1, w2, g.r.IntN(10000))
			default:
				g.printf("}\n\n")
			}
		}
	}
}

// Generate writes about total bytes of generated files under dir and
// returns how many it wrote and the leaks it planted.
func Generate(dir string, total int64) (int64, map[Leak]bool, error) {
	r := rand.New(rand.NewPCG(20240601, 7))
	planted := map[Leak]bool{}
	mini := filepath.Join(dir, "miniprogram")
	if err := os.MkdirAll(mini, 0o755); err != nil {
		return 0, nil, err
	}
	if err := os.WriteFile(filepath.Join(mini, "project.config.json"), []byte(`{"appid":"wx0a1b2c3d4e5f6071","compileType":"miniprogram"}`), 0o644); err != nil {
		return 0, nil, err
	}
	kinds := []genKind{
		{"backend/go", ".go", 24 << 10, 0.12, codeBody("Go")},
		{"backend/java", ".java", 32 << 10, 0.12, codeBody("Java")},
		{"backend/php", ".php", 16 << 10, 0.09, codeBody("Php")},
		{"backend/py", ".py", 16 << 10, 0.09, codeBody("Py")},
		{"backend/node", ".js", 20 << 10, 0.09, codeBody("Node")},
		{"backend/conf", ".yaml", 4 << 10, 0.03, func(g *gen, size int) {
			for g.n < int64(size) {
				g.printf("%s:\n  host: 10.0.%d.%d\n  port: %d\n  checksum: %s\n  appid: wx%s\n  enabled: true\n", g.word(), g.r.IntN(255), g.r.IntN(255), 1000+g.r.IntN(9000), g.hex(32), g.hex(16))
			}
		}},
		{"miniprogram/pages", ".js", 12 << 10, 0.09, func(g *gen, size int) {
			for g.n < int64(size) {
				w := g.word()
				g.printf("Page({\n  data: { %s: null, loading: false },\n  on%s() {\n    wx.request({ url: 'https://shop.example.com/api/%s', success: (res) => this.setData({ %s: res.data }) });\n  },\n});\n", w, w, g.word(), w)
			}
		}},
		{"miniprogram/pages", ".wxml", 6 << 10, 0.03, func(g *gen, size int) {
			for g.n < int64(size) {
				g.printf("<view class=\"%s\" data-id=\"%s\"><text>{{%s}}</text></view>\n", g.word(), g.hex(32), g.word())
			}
		}},
		{"dist", ".js", 512 << 10, 0.14, func(g *gen, size int) {
			for g.n < int64(size) {
				var b strings.Builder
				for b.Len() < 4000 {
					switch g.r.IntN(6) {
					case 0:
						fmt.Fprintf(&b, "function %s(e,t){return e===t?%q:e.%s(t)}", g.word(), g.word(), g.word())
					case 1:
						fmt.Fprintf(&b, "var %s=%d,%s=%q;", g.word(), g.r.IntN(1e6), g.word(), g.word()+" "+g.word())
					case 2:
						fmt.Fprintf(&b, "e.exports={%s:function(e){return this.%s(e,%d)}};", g.word(), g.word(), g.r.IntN(100))
					case 3:
						fmt.Fprintf(&b, "wx.request({url:\"https://shop.example.com/api/%s\",success:function(t){e.setData({%s:t.data})}});", g.word(), g.word())
					case 4:
						fmt.Fprintf(&b, "if(!%s||%s.length<%d)throw new Error(%q);", g.word(), g.word(), g.r.IntN(50), g.word())
					default:
						fmt.Fprintf(&b, "for(var n=0;n<%s.length;n++)%s+=%s[n];", g.word(), g.word(), g.word())
					}
				}
				g.printf("%s\n", b.String())
			}
		}},
		{"logs", ".log", 2 << 20, 0.20, func(g *gen, size int) {
			for g.n < int64(size) {
				g.printf("2024-06-01 10:%02d:%02d.%03d INFO [http-%d] GET /api/%s?page=%d 200 %dms request_id=%s ua=\"Mozilla/5.0 MicroMessenger/8.0\"\n",
					g.r.IntN(60), g.r.IntN(60), g.r.IntN(1000), g.r.IntN(64), g.word(), g.r.IntN(50), g.r.IntN(300), g.hex(32))
			}
		}},
	}
	var written int64
	perKind := make([]int64, len(kinds))
	for i := 0; written < total; i++ {
		// The kind furthest below its share of the bytes written so far.
		ki := 0
		for j := range kinds {
			if float64(perKind[j])-kinds[j].share*float64(written) < float64(perKind[ki])-kinds[ki].share*float64(written) {
				ki = j
			}
		}
		k := kinds[ki]
		sub := filepath.Join(k.dir, fmt.Sprintf("p%03d", i/200))
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return 0, nil, err
		}
		rel := filepath.ToSlash(filepath.Join(sub, fmt.Sprintf("f%05d%s", i, k.ext)))
		f, err := os.Create(filepath.Join(dir, rel))
		if err != nil {
			return 0, nil, err
		}
		g := &gen{r: r, w: bufio.NewWriterSize(f, 64<<10), file: rel, planted: planted}
		size := k.size/2 + r.IntN(k.size)
		half := size / 2
		k.body(g, half)
		// One file in 20 holds a leak, of a kind that fits the file.
		if i%20 == 0 {
			plantLeak(g, k)
		}
		k.body(g, size)
		if err := errors.Join(g.w.Flush(), f.Close()); err != nil {
			return 0, nil, err
		}
		written += g.n
		perKind[ki] += g.n
	}
	return written, planted, nil
}

func plantLeak(g *gen, k genKind) {
	switch {
	case k.ext == ".yaml":
		g.printf("wechat:\n  appid: wx%s\n", g.hex(16))
		g.plant("appsecret", "  secret: %s\n", g.hex(32))
	case k.ext == ".php":
		g.printf("<?php\n$url = \"https://api.weixin.qq.com/sns/jscode2session?appid=$appid&secret=$secret&js_code=$code&grant_type=authorization_code\";\n$response = file_get_contents($url);\n")
		g.plant("code2session_passthrough", "echo $response;\n")
	case k.ext == ".log":
		g.plant("session_key", "2024-06-01 10:00:00.000 DEBUG [http-1] jscode2session answer: {\"session_key\":\"%s\",\"openid\":\"oAbC1dEfGhIjKlMnOpQrStUvWx%02d\"}\n", g.b64key(), g.r.IntN(100))
	case k.dir == "miniprogram/pages" && k.ext == ".js":
		switch g.r.IntN(3) {
		case 0:
			g.plant("appsecret", "const APP_SECRET = '%s';\n", g.hex(32))
		case 1:
			g.plant("client_wechat_api", "wx.request({ url: 'https://api.weixin.qq.com/sns/jscode2session?appid=' + APPID + '&js_code=' + code });\n")
		default:
			g.plant("access_token", "const ACCESS_TOKEN = '%s';\n", g.token())
		}
	case k.ext == ".go":
		g.plant("appsecret", "var wxAppSecret = \"%s\"\n", g.hex(32))
	case k.ext == ".java":
		g.plant("appsecret", "    private static final String APP_SECRET = \"%s\";\n", g.hex(32))
	case k.ext == ".py":
		g.plant("appsecret", "WECHAT_SECRET = \"%s\"\n", g.hex(32))
	case k.dir == "backend/node":
		g.plant("appsecret", "  secret: '%s',\n", g.hex(32))
	}
}
