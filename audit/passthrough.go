package audit

import (
	"bytes"
	"regexp"
	"strings"
)

// Backend code that returns jscode2session's answer as a whole (seed 001:
// get_openid.php echoing $response) is found by a small, line-based taint
// analysis that works across PHP, JavaScript/TypeScript, Python, Java and
// Go:
//
//   - sources: a line naming jscode2session (the URL, or an SDK call such
//     as code2Session or WxJava's getSessionInfo) taints the variable it
//     assigns: as a URL when the line only builds the URL, as a response
//     when it also fetches it;
//   - propagation: an assignment whose right side uses a response as a
//     whole (the variable itself, or .data, .body, .text, .json(), ...)
//     taints its left side; fetching a tainted URL taints the result; a
//     function in the file that returns a response taints its callers;
//   - extraction ends the taint: response['openid'], data.openid,
//     result.get("openid") are what the fix looks like;
//   - sinks: echo, res.json, ctx.body =, jsonify, ResponseEntity.ok,
//     w.Write, c.JSON, ... and return in a request handler (a route
//     decorator or mapping annotation, a controller, a cloud function);
//   - a line that removes session_key from the variable (unset, delete,
//     del, pop, remove) clears it.

type taint uint8

const (
	taintURL taint = iota + 1
	taintResp
)

// c2sAnchors are what a file must contain for the analysis to run (code2session,
// jscode2session, Code2Session, getSessionInfo, code_to_session).
var c2sAnchors = []string{"2session", "2Session", "SessionInfo", "_to_session"}

// hasSessionKeyName reports session_key, sessionKey, SessionKey or
// SESSION_KEY in text: what a file must contain for the
// session_key-into-a-token analysis to run. It searches for the rarer
// "_key", "Key" and "_KEY" and looks back for "session".
func hasSessionKeyName(text []byte) bool {
	for _, pat := range []string{"_key", "Key", "_KEY"} {
		for i := 0; ; {
			j := bytes.Index(text[i:], []byte(pat))
			if j < 0 {
				break
			}
			at := i + j
			if at >= 7 && strings.EqualFold(string(text[at-7:at]), "session") {
				return true
			}
			i = at + 1
		}
	}
	return false
}

var (
	reC2SCall = regexp.MustCompile(`(?i)\b(code2session|jscode2session|getSessionInfo|code_to_session|jscode_to_session)\s*\(`)
	reFetch   = regexp.MustCompile(`(?i)(file_get_contents|curl_exec|curl_init|requests\.|urllib|urlopen|httpx\.|\bhttp\.(Get|Post|NewRequest)|\.Get\(|axios|fetch\(|\brequest\(|\bgot\(|httputil|httpclient|httprequest|resttemplate|getforobject|getforentity|postforobject|okhttp|\.execute\(|http_get|httpget|\.get\(|\.post\(|superagent|guzzle|->get\(|->request\(|net::http|httpclients|webclient|\.retrieve\(|::(get|post)\(|\bclient\.(get|post)\(|session\.(get|post)\()`)
	reDefs    = []*regexp.Regexp{
		regexp.MustCompile(`^\s*(?:async\s+)?def\s+(\w+)\s*\(`),
		regexp.MustCompile(`\bfunction\s+(\w+)\s*\(`),
		regexp.MustCompile(`^\s*(?:export\s+)?(?:const|let|var)\s+(\w+)\s*=\s*(?:async\s*)?(?:function\b|\([^)]*\)\s*=>|\w+\s*=>)`),
		regexp.MustCompile(`^\s*(?:module\.)?exports\.(\w+)\s*=\s*(?:async\s*)?(?:function\b|\()`),
		regexp.MustCompile(`^func\s+(?:\([^)]*\)\s*)?(\w+)\s*\(`),
		regexp.MustCompile(`^\s*(?:(?:public|private|protected|static|final|synchronized|async)\s+)+[\w<>\[\],.? ]*?\s*(\w+)\s*\([^;]*$`),
	}
	reHandlerMark = regexp.MustCompile(`@\w+\.(route|get|post|put|patch|api_route)\b|@api_view|@(Get|Post|Put|Patch|Request)Mapping|@ResponseBody|@(app|router|bp|blueprint)\.`)
	reController  = regexp.MustCompile(`extends\s+\w*Controller|@RestController|namespace\s+app\\controller|class\s+\w+Controller\b`)
	reAssign      = regexp.MustCompile(`^\s*(?:(?:const|let|var|final|val|auto|private|public|protected|static)\s+)*(?:[\w<>\[\],.?]+\s+)?(\$?[A-Za-z_]\w*)\s*(?:,\s*(?:\$?\w+|_)\s*)*(?::=|=)(?:[^=>]|$)`)
	reMulti       = regexp.MustCompile(`^\s*(\$?[A-Za-z_]\w*)\s*,\s*(?:\$?\w+|_)\s*(?:,\s*(?:\$?\w+|_)\s*)*(?::=|=)(?:[^=>]|$)`)
	reDestruct    = regexp.MustCompile(`^\s*(?:const|let|var)\s*[{\[]([^}\]]*)[}\]]\s*=[^=]`)
	reDecodeInto  = regexp.MustCompile(`(?:Decode|Unmarshal)\([^)]*&(\w+)`)
	reWithAs      = regexp.MustCompile(`\bwith\b.*\bas\s+(\w+)\s*:\s*$`)
	reCurlURL     = regexp.MustCompile(`curl_setopt\(\s*(\$\w+)\s*,\s*CURLOPT_URL`)
	reRemoval     = regexp.MustCompile(`(?i)(unset|delete|\bdel\b|\.pop\(|remove|omit|=\s*(none|null|nil|''|""))`)
	reSinks       = []*regexp.Regexp{
		regexp.MustCompile(`\becho\b`), regexp.MustCompile(`\bprint(_r)?\b\s*\(?`), regexp.MustCompile(`\bvar_dump\s*\(`),
		regexp.MustCompile(`\b(exit|die)\s*\(`), regexp.MustCompile(`->json\s*\(`), regexp.MustCompile(`(^|[^\w.>])json\s*\(`),
		regexp.MustCompile(`Response::json\s*\(`), regexp.MustCompile(`->ajaxReturn\s*\(`), regexp.MustCompile(`\$this->(success|result)\s*\(`),
		regexp.MustCompile(`\b(res|response|reply)\.(json|send|end|write|jsonp|status\(\d+\)\.(json|send))\s*\(`),
		regexp.MustCompile(`\bctx\.body\s*=`), regexp.MustCompile(`\bNextResponse\.json\s*\(`), regexp.MustCompile(`\bh\.response\s*\(`),
		regexp.MustCompile(`\bjsonify\s*\(`), regexp.MustCompile(`\bweb\.(json_response|Response)\s*\(`), regexp.MustCompile(`\b(Json|Http)Response\s*\(`), regexp.MustCompile(`(^|[^\w.])Response\s*\(`),
		regexp.MustCompile(`\bmake_response\s*\(`), regexp.MustCompile(`\bself\.(write|finish)\s*\(`),
		regexp.MustCompile(`getWriter\(\)\.(write|print|println)\s*\(`), regexp.MustCompile(`ResponseEntity\.ok\s*\(`),
		regexp.MustCompile(`\bR\.(ok|success)\s*\(`), regexp.MustCompile(`\b(Result|AjaxResult|ApiResult|CommonResult|JsonResult|Response)\.(success|ok|of)\s*\(`),
		regexp.MustCompile(`\bw\.Write\s*\(`), regexp.MustCompile(`\bio\.Copy\s*\(\s*w\s*,`), regexp.MustCompile(`json\.NewEncoder\s*\(\s*w\s*\)\.Encode\s*\(`),
		regexp.MustCompile(`\bc\.(JSON|String|Data|IndentedJSON|PureJSON|AbortWithStatusJSON)\s*\(`),
		regexp.MustCompile(`\bctx\.(JSON|Write|WriteString|String)\s*\(`), regexp.MustCompile(`\bfmt\.Fprint(f|ln)?\s*\(\s*w\s*,`),
		regexp.MustCompile(`\brender\s+json:`),
	}
	reReturn = regexp.MustCompile(`^\s*return\b`)
)

// wholeAccessors keep a response whole: reading its body, its JSON, its
// data field.
var wholeAccessors = map[string]bool{
	"data": true, "body": true, "Body": true, "text": true, "content": true, "json": true, "getBody": true,
	"getContent": true, "toString": true, "string": true, "result": true, "raw": true, "read": true,
	"readAll": true, "getData": true, "bodyAsString": true, "getEntity": true,
}

type ptFunc struct {
	returnsResp bool
	defined     bool
}

// passthrough reports the lines of backend code that return jscode2session's
// answer as a whole.
func passthrough(text []byte) []hit {
	if !containsAny(text, c2sAnchors) && !hasSessionKeyName(text) {
		return nil
	}
	p := &ptScan{text: text, lines: splitLines(text), controller: reController.Match(text), funcs: map[string]*ptFunc{}}
	// Two passes: the first learns which functions return a response.
	p.run()
	return p.run()
}

type lineSpan struct{ start, end int }

func splitLines(text []byte) []lineSpan {
	var out []lineSpan
	for i := 0; i <= len(text); {
		j := bytes.IndexByte(text[i:], '\n')
		if j < 0 {
			out = append(out, lineSpan{i, len(text)})
			break
		}
		out = append(out, lineSpan{i, i + j})
		i += j + 1
	}
	return out
}

// ptScan is one pass of the passthrough analysis over a file.
type ptScan struct {
	text       []byte
	lines      []lineSpan
	controller bool               // the file is a controller class
	funcs      map[string]*ptFunc // kept across passes

	vars       map[string]taint
	local      map[string]bool // variables assigned inside the current function
	skVars     map[string]bool // variables holding a session_key (or claims with one)
	reported   map[int]bool    // lines already reported
	hits       []hit
	cur        string // the function being read
	inFunc     bool   // a function is being read
	funcIndent int    // the indentation of its definition
	handler    bool   // it is a request handler
}

// run reads the file once, line by line, and returns the passthroughs.
func (p *ptScan) run() []hit {
	p.vars, p.hits, p.cur, p.handler, p.inFunc = map[string]taint{}, nil, "", false, false
	p.local, p.skVars, p.reported = map[string]bool{}, map[string]bool{}, map[int]bool{}
	for n, ls := range p.lines {
		line := string(p.text[ls.start:ls.end])
		trim := strings.TrimSpace(line)
		if trim == "" || isCommentText(trim) {
			continue
		}
		p.line(n, ls, line)
	}
	return p.hits
}

// line applies the analysis to line n.
func (p *ptScan) line(n int, ls lineSpan, line string) {
	p.enterFunc(n, line)
	if p.tokenSink(n, line) {
		return
	}
	if p.clearsSessionKey(line) {
		return
	}
	source := isSourceLine(line, p.funcs)
	rhs, fetch := p.lineTaint(line, source)
	if (rhs == taintResp || rhs == taintURL && fetch) && p.sink(ls, line, source, fetch) {
		return
	}
	if p.curlSetopt(line, source) || rhs == 0 {
		return
	}
	p.assign(n, line, rhs, source, fetch)
}

// enterFunc notes a function definition (or a route handler registered
// with an anonymous function) on line n. A function defined at the
// indentation of the one being read, or further out, ends it: its local
// variables are forgotten, so a same-named variable in another function is
// not mistaken for the answer.
func (p *ptScan) enterFunc(n int, line string) {
	name, ok := funcDef(line)
	route := !ok && reRouteHandler.MatchString(line)
	if !ok && !route {
		return
	}
	indent := indentOf(line)
	if p.inFunc && indent <= p.funcIndent {
		for v := range p.local {
			delete(p.vars, v)
			delete(p.skVars, v)
		}
		clear(p.local)
	}
	if !p.inFunc || indent <= p.funcIndent {
		p.inFunc, p.funcIndent = true, indent
	}
	if route {
		p.cur, p.handler = "", true
		return
	}
	p.cur = name
	if p.funcs[name] == nil {
		p.funcs[name] = &ptFunc{}
	}
	p.funcs[name].defined = true
	p.handler = isHandler(p.text, p.lines, n, line, p.controller)
	if strings.Contains(line, "exports.main") {
		p.handler = true // a cloud function answers the mini-program
	}
}

// clearsSessionKey: a line removing the session_key clears the variables
// it names.
func (p *ptScan) clearsSessionKey(line string) bool {
	if !(strings.Contains(line, "session_key") || strings.Contains(line, "sessionKey")) || !reRemoval.MatchString(line) {
		return false
	}
	for v := range p.vars {
		if containsWord(line, v) {
			delete(p.vars, v)
		}
	}
	return true
}

// lineTaint is what the line computes, taint-wise, and whether it fetches.
func (p *ptScan) lineTaint(line string, source bool) (taint, bool) {
	var used []string // tainted variables the line mentions
	urlUsed := false
	for v, t := range p.vars {
		if containsWord(line, v) {
			used = append(used, v)
			urlUsed = urlUsed || t == taintURL
		}
	}
	// The fetch pattern is costly: only lines that build or use a URL
	// need it.
	fetch := (source || urlUsed) && strings.Contains(line, "(") && reFetch.MatchString(line)
	rhs := taint(0)
	switch {
	case source && (fetch || reC2SCall.MatchString(line)):
		rhs = taintResp
	case source:
		rhs = taintURL
	}
	for _, v := range used {
		switch t := p.vars[v]; {
		case t == taintResp && wholeUse(line, v):
			rhs = taintResp
		case t == taintURL && fetch:
			rhs = taintResp
		case t == taintURL && rhs == 0:
			rhs = taintURL
		}
	}
	if _, isDef := funcDef(line); !isDef {
		for name, f := range p.funcs {
			if f.returnsResp && callsFunc(line, name) {
				rhs = taintResp
			}
		}
	}
	return rhs, fetch
}

// sink reports a line that sends a response to the client, or notes a
// function returning one; it returns whether the line is done with.
func (p *ptScan) sink(ls lineSpan, line string, source, fetch bool) bool {
	if args, ok := sinkArgs(line); ok && argsTainted(args, p.vars, p.funcs, source, fetch) {
		p.hits = append(p.hits, passthroughHit(ls, line))
		return true
	}
	if strings.Contains(line, ".pipe(res") || strings.Contains(line, ".pipe(ctx.res") {
		p.hits = append(p.hits, passthroughHit(ls, line))
		return true
	}
	if reReturn.MatchString(line) && argsTainted(reReturn.ReplaceAllString(line, ""), p.vars, p.funcs, source, fetch) {
		if p.handler {
			p.hits = append(p.hits, passthroughHit(ls, line))
		} else if p.cur != "" {
			p.funcs[p.cur].returnsResp = true
		}
		return true
	}
	return false
}

// curlSetopt: curl_setopt($ch, CURLOPT_URL, $url) makes $ch fetch the URL.
func (p *ptScan) curlSetopt(line string, source bool) bool {
	m := curlURL(line)
	if m == nil {
		return false
	}
	if source {
		p.setVar(m[1], taintURL)
	}
	for v, t := range p.vars {
		if t == taintURL && v != m[1] && containsWord(line, v) {
			p.setVar(m[1], taintURL)
		}
	}
	return true
}

// setVar taints v, remembering it as local when inside a function.
func (p *ptScan) setVar(v string, t taint) {
	p.vars[v] = t
	if p.inFunc {
		p.local[v] = true
	}
}

// assign gives the line's taint to what it assigns.
func (p *ptScan) assign(n int, line string, rhs taint, source, fetch bool) {
	assigned := false
	if m := reDestruct.FindStringSubmatch(line); m != nil {
		for _, f := range strings.Split(m[1], ",") {
			f = strings.TrimSpace(f)
			if _, after, ok := strings.Cut(f, ":"); ok {
				f = strings.TrimSpace(after)
			}
			if f != "" {
				p.setVar(f, rhs)
				assigned = true
			}
		}
	} else if m := reMulti.FindStringSubmatch(line); m != nil && !isKeyword(m[1]) {
		p.setVar(m[1], rhs) // resp, err := http.Get(...): the first one
		assigned = true
	} else if m := reAssign.FindStringSubmatch(line); m != nil && !isKeyword(m[1]) {
		p.setVar(m[1], rhs)
		assigned = true
	}
	if m := reWithAs.FindStringSubmatch(line); m != nil && !assigned {
		p.setVar(m[1], rhs) // async with client.get(url) as resp:
		assigned = true
	}
	if m := reDecodeInto.FindStringSubmatch(line); m != nil && rhs == taintResp && decodedIntoMap(p.text, p.lines, n, m[1]) {
		p.setVar(m[1], taintResp)
		assigned = true
	}
	if !assigned && source {
		p.continuedAssign(n, line, fetch)
	}
}

// continuedAssign: the source may continue a statement begun above,
// const r = await axios.get(\n 'https://.../jscode2session', ...).
func (p *ptScan) continuedAssign(n int, line string, fetch bool) {
	for k := n - 1; k >= 0 && k >= n-3; k-- {
		prev := string(p.text[p.lines[k].start:p.lines[k].end])
		if m := reAssign.FindStringSubmatch(prev); m != nil && strings.Count(prev, "(") > strings.Count(prev, ")") && !isKeyword(m[1]) {
			t := taintURL
			if fetch || reFetch.MatchString(prev) || reC2SCall.MatchString(line) {
				t = taintResp
			}
			p.setVar(m[1], t)
			return
		}
	}
}

// indentOf is a line's indentation, a tab counting as four spaces.
func indentOf(line string) int {
	n := 0
	for _, c := range line {
		switch c {
		case ' ':
			n++
		case '\t':
			n += 4
		default:
			return n
		}
	}
	return n
}

var (
	// reRouteHandler: a route registered with an anonymous handler,
	// router.post('/login', async (req, res) => {, app.get("/x", function (req, res) {.
	reRouteHandler = regexp.MustCompile("\\.(get|post|put|patch|delete|all|use)\\s*\\(\\s*['\"`][^'\"`]*['\"`]\\s*,.*(=>|function)")
	// reTokenSink: a JWT being signed or a cookie being set.
	reTokenSink      = regexp.MustCompile(`\bjwt\.(sign|encode|NewWithClaims)\s*\(|JWT::encode\s*\(|Jwts\.builder\s*\(|JWT\.create\s*\(|\bnew\s+SignJWT\s*\(|\.(claim|withClaim|addClaims|setClaims)\s*\(|\bres\.cookie\s*\(|\bcookies\.set\s*\(|\bset_cookie\s*\(|\bsetcookie\s*\(|\bSetCookie\s*\(|\bnew\s+Cookie\s*\(|\bCookies\.Append\s*\(|\bcookie\s*\(\s*['"]`)
	reSessionKeyWord = regexp.MustCompile(`(?i)session_?key`)
)

// tokenSink reports a session_key put into a JWT's claims or a cookie:
// the client holds both. The statement starting on line n is read whole
// (continued lines, chained calls); a variable assigned from an
// expression naming the session_key carries it. It returns whether the
// line is done with.
func (p *ptScan) tokenSink(n int, line string) bool {
	if !strings.Contains(line, "(") || !tokenSinkHint(line) || !reTokenSink.MatchString(line) {
		p.noteSessionKeyVar(line)
		return false
	}
	last := n
	depth := strings.Count(line, "(") - strings.Count(line, ")")
	for k := n + 1; k < len(p.lines) && k <= n+8; k++ {
		next := strings.TrimSpace(string(p.text[p.lines[k].start:p.lines[k].end]))
		if depth <= 0 && !strings.HasPrefix(next, ".") && !strings.HasPrefix(next, "->") {
			break
		}
		depth += strings.Count(next, "(") - strings.Count(next, ")")
		last = k
	}
	for k := n; k <= last; k++ {
		l := string(p.text[p.lines[k].start:p.lines[k].end])
		if !p.carriesSessionKey(l) {
			continue
		}
		if !p.reported[k] {
			p.reported[k] = true
			p.hits = append(p.hits, hit{kind: KindCode2SessionPassthrough, start: p.lines[k].start + len(l) - len(strings.TrimLeft(l, " \t")), end: p.lines[k].end,
				msg: "backend code puts the session_key into a token or cookie the client holds (JWT claims are readable by anyone who has the token)"})
		}
		return true
	}
	return false
}

// tokenSinkHint: a cheap test before reTokenSink.
func tokenSinkHint(line string) bool {
	return strings.Contains(line, "jwt") || strings.Contains(line, "JWT") || strings.Contains(line, "Jwt") ||
		strings.Contains(line, "laim") || strings.Contains(line, "ookie") || strings.Contains(line, "OOKIE")
}

// carriesSessionKey: a line naming the session_key (not a server-side
// session's) or a variable holding it.
func (p *ptScan) carriesSessionKey(l string) bool {
	if strings.Contains(l, "$_SESSION") || strings.Contains(l, "req.session") || strings.Contains(l, "ctx.session") {
		return false
	}
	if (strings.Contains(l, "ession") || strings.Contains(l, "ESSION")) && reSessionKeyWord.MatchString(l) {
		return true
	}
	for v := range p.skVars {
		if containsWord(l, v) {
			return true
		}
	}
	return false
}

// noteSessionKeyVar: an assignment whose value names the session_key
// makes its variable carry it (claims = {"openid": ..., "session_key": ...}).
func (p *ptScan) noteSessionKeyVar(line string) {
	if !p.carriesSessionKey(line) {
		return
	}
	m := reAssign.FindStringSubmatch(line)
	if m == nil || isKeyword(m[1]) || reSessionKeyWord.MatchString(m[1]) {
		return
	}
	p.skVars[m[1]] = true
	if p.inFunc {
		p.local[m[1]] = true
	}
}

func curlURL(line string) []string {
	if !strings.Contains(line, "curl_setopt") {
		return nil
	}
	return reCurlURL.FindStringSubmatch(line)
}

func containsAnyString(s string, subs []string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

func passthroughHit(ls lineSpan, line string) hit {
	indent := len(line) - len(strings.TrimLeft(line, " \t"))
	return hit{kind: KindCode2SessionPassthrough, start: ls.start + indent, end: ls.end,
		msg: "backend code returns the jscode2session answer, session_key included, to the client"}
}

func isCommentText(t string) bool {
	for _, m := range []string{"//", "/*", "*", "#", "<!--", "--"} {
		if strings.HasPrefix(t, m) {
			return true
		}
	}
	return false
}

// isSourceLine: the line names jscode2session, or calls a code2session-like
// function that is not defined in this file (one defined here is judged by
// what it returns).
func isSourceLine(line string, funcs map[string]*ptFunc) bool {
	if _, isDef := funcDef(line); isDef {
		return false
	}
	if strings.Contains(line, "jscode2session") {
		return true
	}
	if !strings.Contains(line, "(") || !containsAnyString(line, c2sAnchors) {
		return false
	}
	for _, m := range reC2SCall.FindAllStringSubmatch(line, -1) {
		if f := funcs[m[1]]; f == nil || !f.defined {
			return true
		}
	}
	return false
}

// defHints are what a function definition line must contain for the
// definition patterns to be tried at all.
var defHints = []string{"def ", "function", "func ", "=>", "exports.", "public ", "private ", "protected ", "static "}

func funcDef(line string) (string, bool) {
	hinted := false
	for _, h := range defHints {
		if strings.Contains(line, h) {
			hinted = true
			break
		}
	}
	if !hinted {
		return "", false
	}
	for _, re := range reDefs {
		if m := re.FindStringSubmatch(line); m != nil && !isKeyword(m[1]) {
			return m[1], true
		}
	}
	return "", false
}

func isKeyword(w string) bool {
	switch w {
	case "if", "for", "while", "switch", "catch", "return", "new", "else", "try", "function", "await", "async", "echo", "print", "throw", "defer", "go", "func", "var", "let", "const":
		return true
	}
	return false
}

// isHandler decides whether the function defined on line n answers HTTP
// requests: a route decorator or mapping annotation just above it, a
// Django-style request parameter, or a public method of a controller.
func isHandler(text []byte, lines []lineSpan, n int, line string, controller bool) bool {
	for k := n - 1; k >= 0 && k >= n-6; k-- {
		prev := strings.TrimSpace(string(text[lines[k].start:lines[k].end]))
		if reHandlerMark.MatchString(prev) {
			return true
		}
		if prev != "" && !strings.HasPrefix(prev, "@") && !isCommentText(prev) {
			break
		}
	}
	if strings.Contains(line, "(request") && strings.Contains(line, "def ") {
		return true
	}
	return controller && strings.Contains(line, "public ")
}

// containsWord reports v in line as a whole word ($res, res, result).
func containsWord(line, v string) bool {
	for i := 0; ; {
		j := strings.Index(line[i:], v)
		if j < 0 {
			return false
		}
		at := i + j
		end := at + len(v)
		before := at == 0 || !isWordByte(line[at-1]) || v[0] == '$' && line[at-1] != '$'
		after := end == len(line) || !isWordByte(line[end])
		if before && after {
			return true
		}
		i = at + 1
	}
}

func isWordByte(c byte) bool { return classAlnum[c] || c == '_' || c == '$' }

// wholeUse reports whether some use of v in line takes the value whole,
// rather than extracting a field other than its body or data.
func wholeUse(line, v string) bool {
	for i := 0; ; {
		j := strings.Index(line[i:], v)
		if j < 0 {
			return false
		}
		at := i + j
		end := at + len(v)
		i = at + 1
		if (at > 0 && isWordByte(line[at-1]) && v[0] != '$') || (end < len(line) && isWordByte(line[end])) {
			continue
		}
		// Left of an assignment is not a use.
		rest := strings.TrimLeft(line[end:], " \t")
		if strings.HasPrefix(rest, "=") && !strings.HasPrefix(rest, "==") || strings.HasPrefix(rest, ":=") {
			continue
		}
		if chainWhole(line[end:]) {
			return true
		}
	}
}

// chainWhole follows an accessor chain (.data, ->body, ['data'], .json())
// and reports whether it stays on the whole value.
func chainWhole(s string) bool {
	for {
		switch {
		case strings.HasPrefix(s, "()"):
			s = s[2:]
		case strings.HasPrefix(s, ".") || strings.HasPrefix(s, "->"):
			s = strings.TrimPrefix(strings.TrimPrefix(s, "."), "->")
			k := 0
			for k < len(s) && isWordByte(s[k]) {
				k++
			}
			if k == 0 || !wholeAccessors[s[:k]] {
				return k == 0
			}
			s = s[k:]
		case strings.HasPrefix(s, "["):
			e := strings.IndexByte(s, ']')
			if e < 0 {
				return true
			}
			key := strings.Trim(s[1:e], `'" `)
			if !wholeAccessors[key] {
				return false
			}
			s = s[e+1:]
		default:
			return true
		}
	}
}

func callsFunc(line, name string) bool {
	for i := 0; ; {
		j := strings.Index(line[i:], name)
		if j < 0 {
			return false
		}
		at := i + j
		end := at + len(name)
		i = at + 1
		if at > 0 && isWordByte(line[at-1]) {
			continue
		}
		if strings.HasPrefix(strings.TrimLeft(line[end:], " "), "(") {
			return true
		}
	}
}

// sinkArgs returns what follows the first sink on the line.
func sinkArgs(line string) (string, bool) {
	for _, re := range reSinks {
		if loc := re.FindStringIndex(line); loc != nil {
			return line[loc[1]:], true
		}
	}
	return "", false
}

// argsTainted: a sink's arguments use a response whole, call a function
// returning one, or fetch a tainted URL (or the source itself) in place.
func argsTainted(args string, vars map[string]taint, funcs map[string]*ptFunc, source, fetch bool) bool {
	for v, t := range vars {
		if !containsWord(args, v) {
			continue
		}
		if t == taintResp && wholeUse(args, v) || t == taintURL && reFetch.MatchString(args) && wholeUse(args, v) {
			return true
		}
	}
	for name, f := range funcs {
		if f.returnsResp && callsFunc(args, name) {
			return true
		}
	}
	if source && (reC2SCall.MatchString(args) || strings.Contains(args, "jscode2session") && fetch) {
		return true
	}
	return false
}

// decodedIntoMap: Go code decoding into v, where v was declared as a map
// or an interface (a struct with chosen fields is the fix).
func decodedIntoMap(text []byte, lines []lineSpan, n int, v string) bool {
	for k := n; k >= 0 && k >= n-15; k-- {
		l := string(text[lines[k].start:lines[k].end])
		if (strings.Contains(l, "var "+v+" ") || strings.Contains(l, v+" :=")) && (strings.Contains(l, "map[") || strings.Contains(l, "interface{}") || strings.Contains(l, " any") || strings.Contains(l, "RawMessage")) {
			return true
		}
	}
	return false
}
