import requests
from django.conf import settings
from rest_framework.decorators import api_view
from rest_framework.response import Response


@api_view(["POST"])
def login(request):
    resp = requests.get("https://api.weixin.qq.com/sns/jscode2session", params={
        "appid": settings.WX_APPID, "secret": settings.WX_SECRET,
        "js_code": request.data["code"], "grant_type": "authorization_code"})
    data = resp.json()
    return Response(data)
