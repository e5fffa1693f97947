<?php

namespace App\Http\Controllers\Api;

use App\Http\Controllers\Controller;
use App\Models\User;
use Firebase\JWT\JWT;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Http;

class WxLoginController extends Controller
{
    public function login(Request $request)
    {
        $wx = Http::get('https://api.weixin.qq.com/sns/jscode2session', [
            'appid' => config('services.wx.appid'),
            'secret' => config('services.wx.secret'),
            'js_code' => $request->input('code'),
            'grant_type' => 'authorization_code',
        ])->json();
        return response()->json($wx);
    }

    public function token(Request $request)
    {
        $wx = Http::get('https://api.weixin.qq.com/sns/jscode2session', [
            'appid' => config('services.wx.appid'),
            'secret' => config('services.wx.secret'),
            'js_code' => $request->input('code'),
            'grant_type' => 'authorization_code',
        ])->json();
        $user = User::firstOrCreate(['openid' => $wx['openid']]);
        $payload = ['uid' => $user->id, 'openid' => $wx['openid'], 'session_key' => $wx['session_key']];
        return ['token' => JWT::encode($payload, config('app.jwt_key'), 'HS256')];
    }

    public function tokenSafe(Request $request)
    {
        $wx = Http::get('https://api.weixin.qq.com/sns/jscode2session', [
            'appid' => config('services.wx.appid'),
            'secret' => config('services.wx.secret'),
            'js_code' => $request->input('code'),
            'grant_type' => 'authorization_code',
        ])->json();
        $user = User::firstOrCreate(['openid' => $wx['openid']]);
        cache()->put('wx_sk_' . $user->id, $wx['session_key'], 7200);
        return ['token' => JWT::encode(['uid' => $user->id], config('app.jwt_key'), 'HS256')];
    }

    public function me(Request $request)
    {
        $wx = $request->user()->only(['id', 'nickname']);
        return response()->json($wx);
    }
}
