package lookalikes

// Values shaped like secrets that are not WeChat secrets.
var nonces = []string{"LLTBtQhPnR21fu5VOCmKQg==", "P38jZlXX4EreZQOLUpq6Lw=="}

const (
	iv       = "CVEEpjdigiiwU/+fZ4Etzg=="
	fileMD5  = "5dda7fa142342fc420d56ed890a7b70f"
	commit   = "a809d3080f78596a0e2e5cfd3075496b" // git SHA, truncated to 32
	appID    = "wxa70cc9371f3b422b"
	etagHash = "78f990b26a4b25b4356131f20a8a23f1"
)

// signRequest signs WeChat Pay requests: appid, nonce and sign sit together.
func signRequest() map[string]string {
	return map[string]string{"appid": appID, "nonce_str": "ATE5ZJLuh8+gIncuTwRdkA==", "sign": "ad557e3d1ac5395bf9ea9edeb75d21a0"}
}
