package api

import (
	"io"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
)

func Session(c *gin.Context) {
	resp, err := http.Get("https://api.weixin.qq.com/sns/jscode2session?appid=" + os.Getenv("APPID") + "&secret=" + os.Getenv("SECRET") + "&js_code=" + c.Query("code") + "&grant_type=authorization_code")
	if err != nil {
		c.AbortWithStatus(http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	c.Data(http.StatusOK, "application/json", body)
}
