<?php
// get_openid.php: the mini-program sends wx.login's code here.
header('Content-Type: application/json');

$code = $_GET['code'];
$appid = 'wx304ff29997b490c4';
$secret = '3edf87da6dc2bd9a148492b81d6e1f89';

$url = "https://api.weixin.qq.com/sns/jscode2session?appid=$appid&secret=$secret&js_code=$code&grant_type=authorization_code";
$response = file_get_contents($url);

echo $response;
