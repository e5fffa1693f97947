import logging

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

TOKEN_URL = "https://api.weixin.qq.com/cgi-bin/token"
SESSION_URL = "https://api.weixin.qq.com/sns/jscode2session"


def get_access_token():
    url = (
        f"{TOKEN_URL}?grant_type=client_credential"
        f"&appid={settings.WECHAT_APPID}&secret={settings.WECHAT_APPSECRET}"
    )
    logger.info("fetching access token from %s", url)
    resp = requests.get(url, timeout=5)
    data = resp.json()
    logger.info("access token fetched, expires_in=%s", data.get("expires_in"))
    return data["access_token"]


def code_to_session(js_code):
    params = {
        "appid": settings.WECHAT_APPID,
        "secret": settings.WECHAT_APPSECRET,
        "js_code": js_code,
        "grant_type": "authorization_code",
    }
    r = requests.get(SESSION_URL, params=params, timeout=5)
    logger.debug("jscode2session request: %s", r.url)
    body = r.json()
    if body.get("errcode"):
        logger.warning("jscode2session failed: errcode=%s", body["errcode"])
        return None
    return body["openid"]


def check_config():
    print("wechat appid:", settings.WECHAT_APPID)
    print("token endpoint:", TOKEN_URL)
