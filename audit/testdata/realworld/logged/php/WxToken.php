<?php

namespace App\Services;

use Illuminate\Support\Facades\Http;
use Illuminate\Support\Facades\Log;

class WxToken
{
    public function fetch(): string
    {
        $appid = config('wechat.mini.appid');
        $secret = config('wechat.mini.secret');
        $url = "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid={$appid}&secret={$secret}";
        Log::info('wechat token request: ' . $url);
        $res = Http::get($url)->json();
        Log::info('wechat token expires in ' . ($res['expires_in'] ?? 0));
        return $res['access_token'];
    }

    public function session(string $code): array
    {
        $query = http_build_query([
            'appid' => config('wechat.mini.appid'),
            'secret' => config('wechat.mini.secret'),
            'js_code' => $code,
            'grant_type' => 'authorization_code',
        ]);
        $api = 'https://api.weixin.qq.com/sns/jscode2session?' . $query;
        $res = Http::get($api)->json();
        Log::debug('jscode2session errcode', ['errcode' => $res['errcode'] ?? 0]);
        return ['openid' => $res['openid'] ?? null];
    }
}
