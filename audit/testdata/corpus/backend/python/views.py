import requests
from flask import Flask, jsonify, request

from .settings import WECHAT_APPID, WECHAT_SECRET

app = Flask(__name__)


@app.route("/api/login", methods=["POST"])
def login():
    code = request.json["code"]
    r = requests.get(
        "https://api.weixin.qq.com/sns/jscode2session",
        params={"appid": WECHAT_APPID, "secret": WECHAT_SECRET, "js_code": code, "grant_type": "authorization_code"},
        timeout=5,
    )
    return jsonify(r.json())
