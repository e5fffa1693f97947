#!/usr/bin/env python3
"""Pushes the official account's menu (run by hand after a change)."""
import json
import os
import urllib.request

APPID = os.environ["OA_APPID"]
APPSECRET = os.environ["OA_APPSECRET"]


def token():
    token_url = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s" % (APPID, APPSECRET)
    print("GET", token_url)
    with urllib.request.urlopen(token_url) as r:
        return json.load(r)["access_token"]


def push(menu):
    t = token()
    req = urllib.request.Request(
        "https://api.weixin.qq.com/cgi-bin/menu/create?access_token=" + t,
        data=json.dumps(menu, ensure_ascii=False).encode(),
        method="POST",
    )
    with urllib.request.urlopen(req) as r:
        print("menu/create answered", json.load(r).get("errcode"))


if __name__ == "__main__":
    push(json.load(open("menu.json")))
