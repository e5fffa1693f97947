<?php
// Relays the answer, but removes the session_key first: not a leak.
$ch = curl_init();
curl_setopt($ch, CURLOPT_URL, "https://api.weixin.qq.com/sns/jscode2session?appid=" . APPID . "&secret=" . APPSECRET . "&js_code=" . $_POST['code'] . "&grant_type=authorization_code");
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
$data = json_decode(curl_exec($ch), true);
curl_close($ch);
unset($data['session_key']);
echo json_encode($data);
