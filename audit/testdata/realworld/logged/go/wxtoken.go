package wechat

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/url"
	"time"
)

type Client struct {
	AppID     string
	AppSecret string
	HTTP      *http.Client
}

type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	ErrCode     int    `json:"errcode"`
}

func (c *Client) Token() (string, error) {
	u := fmt.Sprintf("https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s", c.AppID, c.AppSecret)
	log.Printf("wechat: GET %s", u)
	resp, err := c.HTTP.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var a tokenAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return "", err
	}
	log.Printf("wechat: token refreshed, expires in %s", time.Duration(a.ExpiresIn)*time.Second)
	return a.AccessToken, nil
}

func (c *Client) Session(code string) (string, error) {
	q := url.Values{"appid": {c.AppID}, "secret": {c.AppSecret}, "js_code": {code}, "grant_type": {"authorization_code"}}
	req, err := http.NewRequest(http.MethodGet, "https://api.weixin.qq.com/sns/jscode2session?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	log.Println("wechat: calling", req.URL)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var a struct {
		OpenID  string `json:"openid"`
		ErrCode int    `json:"errcode"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return "", err
	}
	log.Printf("wechat: jscode2session errcode=%d", a.ErrCode)
	return a.OpenID, nil
}
