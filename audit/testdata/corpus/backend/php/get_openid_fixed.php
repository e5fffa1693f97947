<?php
// The fix of seed 001: keep the session_key on the server, return the openid.
header('Content-Type: application/json');

$code = $_GET['code'];
$appid = getenv('WX_APPID');
$secret = getenv('WX_APPSECRET');

$url = "https://api.weixin.qq.com/sns/jscode2session?appid=$appid&secret=$secret&js_code=$code&grant_type=authorization_code";
$response = json_decode(file_get_contents($url), true);

$_SESSION['session_key'] = $response['session_key'];
echo json_encode(['openid' => $response['openid']]);
