package audit

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
)

// Backend code that writes the AppSecret to a log is found by following
// values built from the secret to log and print calls, statement by
// statement within each function (the same scoping as the passthrough
// analysis), in JavaScript/TypeScript, Python, PHP, Java, Go and C#:
//
//   - secret references: a name that names a secret (appSecret,
//     WECHAT_APPSECRET, $secret, c.AppSecret, config('wechat.secret')),
//     or a "secret" key in a map, dict or query being built;
//   - a statement assigning a value built from a secret reference or a
//     tainted variable (a URL, a query, a params map) taints its variable;
//   - a fetch given a tainted value returns a carrier: its request URL
//     carries the secret (Python's r.url, Go's req.URL, axios's
//     res.config), its body does not;
//   - sinks: console.*, logger.*, log.*, Log::*, print, error_log,
//     System.out.println, Console.WriteLine, fmt.Print*, _logger.Log*, ...
//     whose arguments use a tainted value, a carrier's URL, or a secret
//     reference itself. String literals count only through their
//     interpolations (${url}, {url} in f-strings and C#, $url in PHP).
//   - arguments that redact, mask or measure the value (replace, mask,
//     len, .length) are not a leak.

var (
	reLogCall   = regexp.MustCompile(`(?:\b(?:console|logger|log|logging|_logger|_log|LOG|LOGGER|Log|slog|logrus|zap|Logger)\s*(?:\.|::|->)\s*(?:log|info|debug|warn|warning|error|trace|fatal|notice|critical|exception|verbose|Print|Printf|Println|Info|Infof|Infow|Debug|Debugf|Debugw|Warn|Warnf|Error|Errorf|Fatal|Fatalf|Panic|Panicf|Log\w*|record|write)|\bprint|\bprintln|\bprintf|\berror_log|\bvar_dump|\bSystem\.(?:out|err)\.print(?:ln|f)?|\bConsole\.Write(?:Line)?|\bfmt\.(?:Print|Println|Printf)|\bDebug\.WriteLine|\bTrace\.WriteLine|\bputs)\s*\(`)
	reIdentPath = regexp.MustCompile(`[$A-Za-z_][\w$]*(?:(?:\.|->|::)[$A-Za-z_][\w$]*)*`)
	reLogFetch  = regexp.MustCompile(`(?i)(file_get_contents|curl_exec|requests\.|urlopen|httpx\.|\bhttp\.(Get|Post|NewRequest\w*)|\.Get\(|\.Do\(|axios|\bfetch\(|\brequest\(|\bgot\(|getforobject|getforentity|postforobject|exchange\(|\.execute\(|\.get\(|\.post\(|->get\(|->post\(|::(get|post)\(|Get\w*Async(?:<[^>]*>)?\(|Post\w*Async(?:<[^>]*>)?\(|SendAsync\(|urllib)`)
	reSanitize  = regexp.MustCompile(`(?i)(redact|mask|sanitiz|scrub|\.replace\w*\(|preg_replace|re\.sub|\blen\(|\.length\b|\.Length\b|\bbool\(|isset\(|empty\(|isBlank|isEmpty|\bstrlen\(|\bcount\(|!!)`)
)

// wechatWordsInText and logAnchors are what a file must contain for the
// analysis to run (plain substring tests, fast on any text).
var (
	// Whole words: their first bytes are rare in code, which keeps the
	// search fast.
	wechatWordsInText = []string{"weixin", "Weixin", "WEIXIN", "wechat", "WeChat", "Wechat", "WECHAT", "2session", "2Session"}
	logAnchors        = []string{"log", "Log", "LOG", "print", "Print", "console", "Console", "puts"}
)

// carrier accessors give a fetch's request URL: what the secret was sent in.
var carrierAccessors = map[string]bool{"url": true, "URL": true, "request": true, "Request": true, "config": true, "uri": true, "Uri": true, "RequestUri": true, "RequestMessage": true, "effectiveUri": true}

type logTaint uint8

const (
	ltValue   logTaint = iota + 1 // a value built from the secret
	ltCarrier                     // a fetch's answer whose request carried it
)

// secretLogs reports log and print calls writing a value built from the
// AppSecret, in backend code. secretSeen says the text names a secret
// (the AppSecret rule's search saw "ecret" or "ECRET").
func secretLogs(name string, text []byte, secretSeen bool) []hit {
	if !secretSeen {
		return nil
	}
	// Only files about WeChat: the secret in question is WeChat's.
	if !containsAny(text, wechatWordsInText) || !containsAny(text, logAnchors) {
		return nil
	}
	ext := strings.ToLower(filepath.Ext(name))
	lf := &logFlow{text: text, lines: splitLines(text), funcs: map[string]bool{},
		js: ext == ".js" || ext == ".ts" || ext == ".mjs" || ext == ".cjs"}
	// Two passes: the first learns which functions return a value built
	// from the secret (a URL helper), the second reports.
	lf.run()
	return lf.run()
}

type logFlow struct {
	text       []byte
	lines      []lineSpan
	js         bool
	funcs      map[string]bool // functions returning a value built from the secret, kept across passes
	cur        string          // the function being read
	vars       map[string]logTaint
	local      map[string]bool
	inFunc     bool
	funcIndent int
	hits       []hit
}

func (lf *logFlow) run() []hit {
	lf.vars, lf.local, lf.hits, lf.inFunc, lf.cur = map[string]logTaint{}, map[string]bool{}, nil, false, ""
	for n := 0; n < len(lf.lines); n++ {
		line := lf.lineText(n)
		trim := strings.TrimSpace(line)
		if trim == "" || isCommentText(trim) {
			continue
		}
		lf.enterFunc(line)
		logs, assigns := logHint(line), strings.Contains(line, "=") || strings.Contains(line, " as ")
		returns := lf.cur != "" && strings.HasPrefix(trim, "return ")
		if !logs && !assigns && !returns {
			continue
		}
		// Most statements neither name a secret nor use a tainted
		// variable: a look at the raw text skips them cheaply.
		if last, raw := lf.rawStatement(n); !lf.relevant(raw) {
			n = last
			continue
		}
		last, code := lf.statement(n)
		if loc := logCallIn(code, logs); loc != nil {
			if lf.argsLeak(code[loc[1]:]) {
				ls := lf.lines[n]
				indent := len(line) - len(strings.TrimLeft(line, " \t"))
				lf.hits = append(lf.hits, hit{kind: KindSecretLogged, start: ls.start + indent, end: ls.end,
					msg: "backend code writes a value built from the AppSecret (a URL, a request, the secret itself) to a log or standard output"})
			}
		} else if returns && strings.HasPrefix(strings.TrimSpace(code), "return ") {
			if lf.refsSecret(strings.TrimSpace(code)[len("return "):], true) {
				lf.funcs[lf.cur] = true
			}
		} else {
			lf.assign(code)
		}
		n = last
	}
	return lf.hits
}

// logHint: a line that may hold a log or print call (a cheap test before
// the pattern).
func logHint(line string) bool {
	for i := 0; i+3 <= len(line); i++ {
		switch line[i] | 0x20 {
		case 'l':
			if line[i+1]|0x20 == 'o' && line[i+2]|0x20 == 'g' {
				return true
			}
		case 'p':
			if i+5 <= len(line) && strings.EqualFold(line[i:i+5], "print") || line[i+1] == 'u' && line[i+2] == 't' {
				return true
			}
		case 'c':
			if i+7 <= len(line) && strings.EqualFold(line[i:i+7], "console") {
				return true
			}
		}
	}
	return false
}

func logCallIn(code string, hinted bool) []int {
	if !hinted {
		return nil
	}
	return reLogCall.FindStringIndex(code)
}

func (lf *logFlow) lineText(n int) string {
	return string(lf.text[lf.lines[n].start:lf.lines[n].end])
}

// enterFunc forgets the variables of the function that a new definition
// at its indentation (or further out) ends.
func (lf *logFlow) enterFunc(line string) {
	name, ok := funcDef(line)
	if !ok && !reRouteHandler.MatchString(line) {
		return
	}
	lf.cur = name
	indent := indentOf(line)
	if lf.inFunc && indent <= lf.funcIndent {
		for v := range lf.local {
			delete(lf.vars, v)
		}
		clear(lf.local)
	}
	if !lf.inFunc || indent <= lf.funcIndent {
		lf.inFunc, lf.funcIndent = true, indent
	}
}

// statement returns the last line of the statement starting on line n
// (brackets still open continue it, up to 12 lines) and its code view.
func (lf *logFlow) statement(n int) (int, string) {
	var b strings.Builder
	depth, lit := 0, 0
	last := n
	for k := n; k < len(lf.lines) && k < n+12; k++ {
		cv := codeView(lf.lineText(k))
		if k > n {
			b.WriteByte(' ')
		}
		b.WriteString(cv)
		var dd int
		dd, lit = bracketDepth(cv, lit)
		depth += dd
		last = k
		if depth+lit <= 0 {
			break
		}
	}
	return last, b.String()
}

// rawStatement is statement without the code view: the raw lines of the
// statement starting on line n, brackets counted roughly.
func (lf *logFlow) rawStatement(n int) (int, string) {
	line := lf.lineText(n)
	depth := strings.Count(line, "(") + strings.Count(line, "[") - strings.Count(line, ")") - strings.Count(line, "]")
	if depth <= 0 && !strings.HasSuffix(strings.TrimSpace(line), "{") {
		return n, line
	}
	var b strings.Builder
	b.WriteString(line)
	last := n
	lit := 0
	if strings.HasSuffix(strings.TrimSpace(line), "{") {
		lit = 1
	}
	for k := n + 1; k < len(lf.lines) && k < n+12 && depth+lit > 0; k++ {
		l := lf.lineText(k)
		b.WriteByte('\n')
		b.WriteString(l)
		depth += strings.Count(l, "(") + strings.Count(l, "[") - strings.Count(l, ")") - strings.Count(l, "]")
		lit += strings.Count(l, "{") - strings.Count(l, "}")
		last = k
	}
	return last, b.String()
}

// relevant: raw text naming a secret or a tainted variable.
func (lf *logFlow) relevant(raw string) bool {
	if strings.Contains(raw, "ecret") || strings.Contains(raw, "ECRET") {
		return true
	}
	for v := range lf.vars {
		if strings.Contains(raw, v) {
			return true
		}
	}
	for f := range lf.funcs {
		if strings.Contains(raw, f) {
			return true
		}
	}
	return false
}

// bracketDepth is what a line opens of ( [ and of { that start literals
// (= {, ({, , {, : {, [{), minus what it closes; a block's { (after ) or
// =>, else, a class name) does not continue a statement.
func bracketDepth(cv string, lit int) (int, int) {
	d := 0
	for i := 0; i < len(cv); i++ {
		switch cv[i] {
		case '(', '[':
			d++
		case ')', ']':
			d--
		case '{':
			j := i - 1
			for j >= 0 && (cv[j] == ' ' || cv[j] == '\t') {
				j--
			}
			if j >= 0 && strings.IndexByte("=(,:[", cv[j]) >= 0 && !(cv[j] == '=' && j+1 < len(cv) && cv[j+1] == '>') {
				lit++
			}
		case '}':
			if lit > 0 {
				lit--
			}
		}
	}
	return d, lit
}

// assign taints (or clears) what a statement assigns.
func (lf *logFlow) assign(code string) {
	lhs, rhs, ok := splitAssign(code)
	if !ok {
		return
	}
	t := logTaint(0)
	switch {
	case reLogFetch.MatchString(rhs) && lf.refsSecret(rhs, false):
		t = ltCarrier
	case lf.refsSecret(rhs, true):
		t = ltValue
	}
	if t == 0 {
		delete(lf.vars, lhs)
		return
	}
	lf.vars[lhs] = t
	if lf.inFunc {
		lf.local[lhs] = true
	}
}

var reAssignLHS = regexp.MustCompile(`^\s*(?:(?:const|let|var|final|val|auto|private|public|protected|static|readonly|string|String|def)\s+)*(?:[\w<>\[\]?.]+\s+)?(\$?[A-Za-z_]\w*)\s*(?:,\s*(?:\$?\w+|_)\s*)*(?::=|=)([^=>].*)$`)
var reWithAsLog = regexp.MustCompile(`\bwith\b(.*)\bas\s+(\w+)\s*:`)

// splitAssign splits an assignment into the variable and the value.
func splitAssign(code string) (string, string, bool) {
	if m := reWithAsLog.FindStringSubmatch(code); m != nil {
		return m[2], m[1], true
	}
	m := reAssignLHS.FindStringSubmatch(code)
	if m == nil || isKeyword(m[1]) {
		return "", "", false
	}
	return m[1], m[2], true
}

// refsSecret reports whether code refers to the secret: a secret name, or
// a variable built from it (whole is false for a fetch's arguments, where
// only values count, not carriers).
func (lf *logFlow) refsSecret(code string, whole bool) bool {
	for _, loc := range reIdentPath.FindAllStringIndex(code, -1) {
		path := code[loc[0]:loc[1]]
		parts := splitPath(path)
		for _, p := range parts {
			if secretName(p) >= 1 {
				return true
			}
		}
		if lf.funcs[parts[len(parts)-1]] && strings.HasPrefix(strings.TrimLeft(code[loc[1]:], " "), "(") {
			return true // a call of a function returning the secret in a value
		}
		t := lf.vars[parts[0]]
		switch {
		case t == ltValue:
			return true
		case t == ltCarrier && whole:
			if len(parts) > 1 && carrierAccessors[parts[1]] {
				return true
			}
		}
	}
	return false
}

// argsLeak judges a log call's arguments.
func (lf *logFlow) argsLeak(args string) bool {
	if reSanitize.MatchString(args) {
		return false
	}
	// What a fetch answers is logged, not what it was given.
	if loc := reLogFetch.FindStringIndex(args); loc != nil {
		args = args[:loc[0]]
	}
	for _, loc := range reIdentPath.FindAllStringIndex(args, -1) {
		parts := splitPath(args[loc[0]:loc[1]])
		for _, p := range parts {
			if secretName(p) >= 1 {
				return true
			}
		}
		switch lf.vars[parts[0]] {
		case ltValue:
			return true
		case ltCarrier:
			if len(parts) > 1 && carrierAccessors[parts[1]] || len(parts) == 1 && lf.js {
				return true // axios's answer holds its request's config
			}
		}
	}
	return false
}

func splitPath(path string) []string {
	return strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '-' || r == '>' || r == ':' })
}

// codeView returns a line with the contents of its string literals blanked,
// except what is code inside them: interpolations (${x} in template
// literals, {x} in f-strings and C# $-strings, $x and {$x} in PHP's double
// quotes) and short literals that read as names ("WX_SECRET",
// 'wechat.secret', a "secret" key), which are kept as they are.
func codeView(line string) string {
	b := []byte(line)
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '"' && c != '\'' && c != '`' {
			out = append(out, c)
			i++
			continue
		}
		// The literal's end.
		j := i + 1
		for j < len(b) && b[j] != c {
			if b[j] == '\\' {
				j++
			}
			j++
		}
		end := min(j, len(b))
		body := b[i+1 : end]
		prefix := byte(0)
		if i > 0 {
			prefix = b[i-1]
		}
		out = append(out, c)
		switch {
		case nameLike(body):
			out = append(out, body...)
		case c == '`':
			out = appendInterp(out, body, "${", '}')
		case c == '"' && (prefix == 'f' || prefix == 'F' || prefix == '$'):
			out = appendInterp(out, body, "{", '}')
		case c == '\'' && (prefix == 'f' || prefix == 'F'):
			out = appendInterp(out, body, "{", '}')
		case c == '"':
			out = appendPHPVars(out, body)
		default:
			out = append(out, bytes.Repeat([]byte{' '}, len(body))...)
		}
		if j < len(b) {
			out = append(out, c)
		}
		i = j + 1
	}
	return string(out)
}

// nameLike: a short literal of name characters (WX_SECRET, wechat.secret).
func nameLike(b []byte) bool {
	if len(b) == 0 || len(b) > 40 {
		return false
	}
	for _, c := range b {
		if !classIdent[c] {
			return false
		}
	}
	return true
}

// appendInterp keeps the interpolations (open ... close) of a literal's
// body, blanking the rest.
func appendInterp(out, body []byte, open string, close byte) []byte {
	for i := 0; i < len(body); {
		if bytes.HasPrefix(body[i:], []byte(open)) {
			e := bytes.IndexByte(body[i:], close)
			if e > 0 {
				out = append(out, ' ')
				out = append(out, body[i+len(open):i+e]...)
				out = append(out, ' ')
				i += e + 1
				continue
			}
		}
		out = append(out, ' ')
		i++
	}
	return out
}

// appendPHPVars keeps $name (and {$name}) inside a double-quoted literal.
func appendPHPVars(out, body []byte) []byte {
	for i := 0; i < len(body); {
		if body[i] == '$' && i+1 < len(body) && (classAlnum[body[i+1]] || body[i+1] == '_') {
			j := i + 1
			for j < len(body) && (classAlnum[body[j]] || body[j] == '_') {
				j++
			}
			out = append(out, ' ')
			out = append(out, body[i:j]...)
			out = append(out, ' ')
			i = j
			continue
		}
		out = append(out, ' ')
		i++
	}
	return out
}
