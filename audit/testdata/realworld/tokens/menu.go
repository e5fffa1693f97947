package main

import (
	"net/http"
	"os"
	"strings"
)

const wxToken = "86_M1UP6muRcT3LVdq_ISFMR3fCm4DLSCoChYWgpGbh4Si4bkc8N7NPtm-oCy3mp7hx_ruYv63nl_RbPm7BGP8r3CjSSqfNJ6gG85JqjTMUSuNnOOaSjt_7Z8YUdNUQrLMS7SecsEra"

func main() {
	menu, _ := os.ReadFile("menu.json")
	resp, err := http.Post("https://api.weixin.qq.com/cgi-bin/menu/create?access_token="+wxToken, "application/json", strings.NewReader(string(menu)))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
}
