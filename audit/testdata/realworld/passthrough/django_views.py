import json

import requests
from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_POST


def wx_session(code):
    r = requests.get(
        "https://api.weixin.qq.com/sns/jscode2session",
        params={"appid": settings.WX_APPID, "secret": settings.WX_SECRET, "js_code": code,
                "grant_type": "authorization_code"},
        timeout=5,
    )
    return r.json()


@require_POST
def mp_login(request):
    code = json.loads(request.body)["code"]
    result = wx_session(code)
    return JsonResponse(result)


@require_POST
def mp_login_token(request):
    code = json.loads(request.body)["code"]
    result = wx_session(code)
    response = JsonResponse({"openid": result["openid"]})
    response.set_cookie("wx_session_key", result["session_key"])
    return response


def order_list(request):
    result = list(request.user.orders.values("id", "total"))
    return JsonResponse(result, safe=False)
