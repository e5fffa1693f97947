import requests

# token from 2018, left here from the first version of the script
ACCESS_TOKEN = "BfMfzI7OD4BLakcnsOsuVyuLdszB8U5aUZjHRvl4IgX5gkZB42_hJA3VXtFnCyMyC7z_IhvrUx0EJuOBATB9Lkwo2ZVKeYaHC6o-cw6D0AE3s7iLFy9k6tEumYXtw8aYFJ6oSVWaTR"

def send(openid, template_id, data):
    url = "https://api.weixin.qq.com/cgi-bin/message/template/send?access_token=" + ACCESS_TOKEN
    return requests.post(url, json={"touser": openid, "template_id": template_id, "data": data}).json()
