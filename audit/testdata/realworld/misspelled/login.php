<?php
// 小程序登录
$code = $_POST['code'];
$sercet = '83f57c53dd1746b232f41c117bbca005';
$url = 'https://api.weixin.qq.com/sns/jscode2session?appid=' . MP_APPID . '&secret=' . $sercet . '&js_code=' . $code . '&grant_type=authorization_code';
$res = json_decode(file_get_contents($url), true);
$_SESSION['openid'] = $res['openid'];
echo json_encode(['ok' => true]);
