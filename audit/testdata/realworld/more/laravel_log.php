<?php
use Illuminate\Support\Facades\Http;
use Illuminate\Support\Facades\Log;

function wx_token() {
    $url = 'https://api.weixin.qq.com/cgi-bin/token?' . http_build_query([
        'grant_type' => 'client_credential',
        'appid' => env('WX_APPID'),
        'secret' => env('WX_SECRET'),
    ]);
    \Log::debug('wx token', ['url' => $url]);
    return Http::get($url)->json('access_token');
}
