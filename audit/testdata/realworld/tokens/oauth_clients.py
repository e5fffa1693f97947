# Look-alikes: tokens of other services and placeholders, not WeChat's.
GITHUB_TOKEN = "ghp_Z3t9QmL2xV8rK5pN1cB7wY4hJ6dF0sA2eG8u"
GOOGLE_ACCESS_TOKEN = "ya29.a0AfB_byC3xQ9mZ2vL8kP5rN1tW7yH4jD6sF0gA2eU8iO3cR5bT9nM1qK7wE4zX6vY0uJ2hG8lP5dS3fA1"
WECHAT_ACCESS_TOKEN = "ACCESS_TOKEN"
DOC_URL = "https://api.weixin.qq.com/cgi-bin/menu/create?access_token=ACCESS_TOKEN"
