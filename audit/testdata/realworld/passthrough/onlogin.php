<?php
include 'wx_config.php';

$js_code = isset($_GET['code']) ? $_GET['code'] : '';
$api = sprintf('https://api.weixin.qq.com/sns/jscode2session?appid=%s&secret=%s&js_code=%s&grant_type=authorization_code', WX_APPID, WX_SECRET, $js_code);
$ch = curl_init();
curl_setopt($ch, CURLOPT_URL, $api);
curl_setopt($ch, CURLOPT_RETURNTRANSFER, 1);
$out = curl_exec($ch);
curl_close($ch);
$arr = json_decode($out, true);
setcookie('session_key', $arr['session_key'], time() + 7200, '/');
echo json_encode(array('code' => 0, 'data' => $arr));
