package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
)

var (
	appID  = "wx3f64da5ae1b4b9cb"
	secret = "3e4fdf3a11f590d757dca7eb9afe8985"
)

// loginHandler relays WeChat's answer as is.
func loginHandler(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("code")
	resp, err := http.Get("https://api.weixin.qq.com/sns/jscode2session?appid=" + appID + "&secret=" + secret + "&js_code=" + code + "&grant_type=authorization_code")
	if err != nil {
		http.Error(w, "upstream", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// goodHandler keeps the session_key and answers with the openid only.
func goodHandler(w http.ResponseWriter, r *http.Request) {
	resp, err := http.Get("https://api.weixin.qq.com/sns/jscode2session?appid=" + appID + "&secret=" + os.Getenv("WX_SECRET") + "&js_code=" + r.FormValue("code") + "&grant_type=authorization_code")
	if err != nil {
		http.Error(w, "upstream", http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	var s struct {
		OpenID     string `json:"openid"`
		SessionKey string `json:"session_key"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		http.Error(w, "upstream", http.StatusBadGateway)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"openid": s.OpenID})
}

func main() {
	http.HandleFunc("/login", loginHandler)
	http.HandleFunc("/login2", goodHandler)
	http.ListenAndServe(":8080", nil)
}
