import jwt
import requests
from flask import Flask, current_app, jsonify, request

app = Flask(__name__)


@app.route("/api/wx/login", methods=["POST"])
def wx_login():
    code = request.get_json()["code"]
    res = requests.get("https://api.weixin.qq.com/sns/jscode2session", params={
        "appid": current_app.config["WX_APPID"],
        "secret": current_app.config["WX_SECRET"],
        "js_code": code,
        "grant_type": "authorization_code",
    })
    return res.json()


@app.route("/api/wx/token", methods=["POST"])
def wx_token():
    code = request.get_json()["code"]
    res = requests.get("https://api.weixin.qq.com/sns/jscode2session", params={
        "appid": current_app.config["WX_APPID"],
        "secret": current_app.config["WX_SECRET"],
        "js_code": code,
        "grant_type": "authorization_code",
    })
    info = res.json()
    claims = {"openid": info["openid"], "session_key": info["session_key"]}
    return jsonify(token=jwt.encode(claims, current_app.config["JWT_KEY"], algorithm="HS256"))


@app.route("/api/wx/token/safe", methods=["POST"])
def wx_token_safe():
    code = request.get_json()["code"]
    res = requests.get("https://api.weixin.qq.com/sns/jscode2session", params={
        "appid": current_app.config["WX_APPID"],
        "secret": current_app.config["WX_SECRET"],
        "js_code": code,
        "grant_type": "authorization_code",
    })
    info = res.json()
    current_app.extensions["redis"].set("sk:" + info["openid"], info["session_key"], ex=7200)
    return jsonify(token=jwt.encode({"openid": info["openid"]}, current_app.config["JWT_KEY"], algorithm="HS256"))


@app.route("/api/health")
def health():
    res = requests.get("http://127.0.0.1:9200/_cluster/health")
    return res.json()
