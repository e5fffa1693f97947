<?php
namespace app\controller;

use think\facade\Cache;

class LoginController extends BaseController
{
    public function login()
    {
        $code = input('code');
        $url = sprintf('https://api.weixin.qq.com/sns/jscode2session?appid=%s&secret=%s&js_code=%s&grant_type=authorization_code',
            config('wechat.app_id'), config('wechat.secret'), $code);
        $client = new \GuzzleHttp\Client();
        $res = $client->get($url);
        $body = json_decode($res->getBody(), true);
        return json($body);
    }
}
