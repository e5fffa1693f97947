package wxtoken

import (
	"fmt"
	"io"
	"net/http"

	"go.uber.org/zap"
)

type Fetcher struct {
	AppID, AppSecret string
	Log              *zap.Logger
}

func (f *Fetcher) Fetch() ([]byte, error) {
	u := fmt.Sprintf("https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s", f.AppID, f.AppSecret)
	f.Log.Info("fetching token", zap.String("url", u))
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	f.Log.Info("token answered", zap.Int("status", resp.StatusCode))
	return io.ReadAll(resp.Body)
}
