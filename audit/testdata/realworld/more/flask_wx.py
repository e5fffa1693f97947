import requests
from flask import Blueprint, current_app, jsonify, request

bp = Blueprint("wx", __name__)


def _session_url(code):
    secret = current_app.config["WX_SECRET"]
    appid = current_app.config["WX_APPID"]
    return f"https://api.weixin.qq.com/sns/jscode2session?appid={appid}&secret={secret}&js_code={code}&grant_type=authorization_code"


@bp.post("/wx/session")
def wx_session():
    url = _session_url(request.json["code"])
    current_app.logger.info(f"calling wechat: {url}")
    answer = requests.get(url, timeout=5).json()
    current_app.logger.info("wechat answered errcode=%s", answer.get("errcode", 0))
    current_app.logger.debug("url length %d", len(url))
    return jsonify(openid=answer["openid"])
