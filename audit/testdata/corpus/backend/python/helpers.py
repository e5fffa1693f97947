import requests
from django.http import JsonResponse
from django.conf import settings


def code2session(code):
    url = "https://api.weixin.qq.com/sns/jscode2session"
    params = {"appid": settings.WX_APPID, "secret": settings.WX_SECRET, "js_code": code, "grant_type": "authorization_code"}
    return requests.get(url, params=params, timeout=5).json()


def openid_of(code):
    data = code2session(code)
    return data["openid"]


def login(request):
    code = request.GET.get("code")
    info = code2session(code)
    return JsonResponse(info)


def login_ok(request):
    return JsonResponse({"openid": openid_of(request.GET.get("code"))})
