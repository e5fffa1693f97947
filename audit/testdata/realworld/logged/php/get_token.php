<?php
require __DIR__ . '/config.php';

$tokenUrl = 'https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=' . APPID . '&secret=' . APPSECRET;
error_log("[wx] fetching token: $tokenUrl");
$json = json_decode(file_get_contents($tokenUrl), true);
error_log('[wx] token fetched, expires_in=' . $json['expires_in']);
file_put_contents(__DIR__ . '/token.cache', $json['access_token']);
