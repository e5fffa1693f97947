import os

import aiohttp
from aiohttp import web

routes = web.RouteTableDef()
CODE2SESSION = "https://api.weixin.qq.com/sns/jscode2session"


@routes.post("/login")
async def login(request):
    body = await request.json()
    params = {"appid": os.environ["WX_APPID"], "secret": os.environ["WX_SECRET"],
              "js_code": body["code"], "grant_type": "authorization_code"}
    async with aiohttp.ClientSession() as client:
        async with client.get(CODE2SESSION, params=params) as resp:
            payload = await resp.json(content_type=None)
    return web.json_response(payload)


@routes.post("/login/v2")
async def login_v2(request):
    body = await request.json()
    params = {"appid": os.environ["WX_APPID"], "secret": os.environ["WX_SECRET"],
              "js_code": body["code"], "grant_type": "authorization_code"}
    async with aiohttp.ClientSession() as client:
        async with client.get(CODE2SESSION, params=params) as resp:
            payload = await resp.json(content_type=None)
    request.app["sessions"][payload["openid"]] = payload["session_key"]
    return web.json_response({"openid": payload["openid"]})


@routes.get("/stats")
async def stats(request):
    payload = await request.app["db"].fetch_stats()
    return web.json_response(payload)
