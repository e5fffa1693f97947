package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
)

const code2SessionURL = "https://api.weixin.qq.com/sns/jscode2session"

func fetchSession(code string) (map[string]any, error) {
	q := url.Values{"appid": {os.Getenv("WX_APPID")}, "secret": {os.Getenv("WX_SECRET")}, "js_code": {code}, "grant_type": {"authorization_code"}}
	resp, err := http.Get(code2SessionURL + "?" + q.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out, err
}

func Login(c *gin.Context) {
	m, err := fetchSession(c.Query("code"))
	if err != nil {
		c.JSON(http.StatusBadGateway, gin.H{"error": "wechat unavailable"})
		return
	}
	c.JSON(http.StatusOK, m)
}

func Token(c *gin.Context) {
	m, err := fetchSession(c.Query("code"))
	if err != nil {
		c.JSON(http.StatusBadGateway, gin.H{"error": "wechat unavailable"})
		return
	}
	claims := jwt.MapClaims{"openid": m["openid"], "session_key": m["session_key"], "exp": time.Now().Add(24 * time.Hour).Unix()}
	signed, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(os.Getenv("JWT_KEY")))
	c.SetCookie("token", signed, 86400, "/", "", true, true)
	c.JSON(http.StatusOK, gin.H{"token": signed})
}

func TokenSafe(c *gin.Context) {
	m, err := fetchSession(c.Query("code"))
	if err != nil {
		c.JSON(http.StatusBadGateway, gin.H{"error": "wechat unavailable"})
		return
	}
	claims := jwt.MapClaims{"openid": m["openid"], "exp": time.Now().Add(24 * time.Hour).Unix()}
	signed, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(os.Getenv("JWT_KEY")))
	c.JSON(http.StatusOK, gin.H{"token": signed})
}

func Orders(c *gin.Context) {
	m := map[string]any{"orders": []int{}}
	c.JSON(http.StatusOK, m)
}
