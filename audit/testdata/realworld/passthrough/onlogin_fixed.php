<?php
include 'wx_config.php';
session_start();

$js_code = isset($_GET['code']) ? $_GET['code'] : '';
$api = sprintf('https://api.weixin.qq.com/sns/jscode2session?appid=%s&secret=%s&js_code=%s&grant_type=authorization_code', WX_APPID, WX_SECRET, $js_code);
$out = file_get_contents($api);
$arr = json_decode($out, true);
$_SESSION['session_key'] = $arr['session_key'];
$_SESSION['openid'] = $arr['openid'];
echo json_encode(array('code' => 0, 'data' => array('logged_in' => true)));
