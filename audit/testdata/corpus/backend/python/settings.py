import os

DEBUG = False
# Flask session signing key: a 32-hex secret, but not WeChat's.
SECRET_KEY = "5dda7fa142342fc420d56ed890a7b70f"
STATIC_MANIFEST_MD5 = "78f990b26a4b25b4356131f20a8a23f1"

WECHAT_APPID = "wx41082cccf424311c"
WECHAT_SECRET = os.getenv("WECHAT_SECRET", "74c9a3ba14e5b3173535c997be5a057d")

DATABASES = {"default": {"ENGINE": "django.db.backends.mysql", "NAME": "shop"}}
