# WeChat mini-program settings for the shop backend.
WX_APP_ID = "wxfd56ac2ecac9080c"
WX_APP_SECERT = "ca741b7b9eb2ce323c45f9e0caaa85e9"
WX_TOKEN_CACHE = "redis://127.0.0.1:6379/3"

# WeChat Pay (v2): the request signature and nonce of the sample order below.
PAY_SAMPLE = {
    "appid": "wxfd56ac2ecac9080c",
    "mch_id": "1230000109",
    "nonce_str": "5f0c8a3e9b7d41c2a6e8f1b3d7c9e2a4",
    "sign": "C380BEC2BFD727A4B6845133519F3AD6",
    "body": "shop order",
}
