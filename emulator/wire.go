package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// errmsgs are the errmsg texts of wechat-api.md, without the rid suffix.
var errmsgs = map[int]string{
	-1:    "system error",
	40001: "invalid credential, access_token is invalid or not latest",
	40002: "invalid grant_type",
	40003: "invalid openid",
	40013: "invalid appid",
	40014: "invalid access_token",
	40029: "invalid code",
	40030: "invalid refresh_token",
	40097: "invalid args",
	40117: "invalid scope",
	40125: "invalid appsecret",
	40163: "code been used",
	40169: "invalid length for scene, or the data is not json string",
	40164: "invalid ip, not in whitelist",
	40226: "code blocked",
	40243: "appsecret frozen",
	40005: "invalid lang",
	40066: "invalid url",
	41001: "access_token missing",
	41002: "appid missing",
	41003: "refresh_token missing",
	41004: "appsecret missing",
	41008: "missing code",
	41009: "missing openid",
	41030: "invalid page rule",
	42001: "access_token expired",
	42002: "refresh_token expired",
	42003: "code expired",
	42007: "user changed password",
	45009: "reach max api daily quota limit",
	45011: "api minute-quota reach limit, must slower, retry next minute",
	47001: "data format error",
	48001: "api unauthorized",
	43002: "require POST method",
	87009: "invalid signature",
	89002: "open not exists",
	89300: "invalid trade",
}

// errmsgFor is the errmsg text of code; codes outside the table (injected
// faults) get a generic text.
func errmsgFor(code int) string {
	if m, ok := errmsgs[code]; ok {
		return m
	}
	return "emulated error " + strconv.Itoa(code)
}

const jsonType = "application/json; charset=utf-8"

// writeJSON writes v as a 200 JSON answer, as every WeChat API does.
func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only our own types are written: a bug
		http.Error(w, "emulator: cannot encode answer", http.StatusInternalServerError)
		return
	}
	writeRaw(w, http.StatusOK, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = []string{jsonType}
	h["Cache-Control"] = []string{"no-store"}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeWeChatError writes WeChat's error envelope: HTTP 200 with
// {"errcode":N,"errmsg":"<text>, rid: xxxxxxxx-xxxxxxxx-xxxxxxxx"}.
func writeWeChatError(w http.ResponseWriter, code int, msg string) {
	if msg == "" {
		msg = errmsgFor(code)
	}
	writeJSON(w, struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}{code, msg + ", rid: " + newRID()})
}

// okBody is the success answer of check and business endpoints:
// {"errcode":0,"errmsg":"ok"}.
type okBody struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func writeOK(w http.ResponseWriter) { writeJSON(w, okBody{0, "ok"}) }
