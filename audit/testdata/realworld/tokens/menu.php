<?php
$menu = file_get_contents(__DIR__ . '/menu.json');
$ch = curl_init('https://api.weixin.qq.com/cgi-bin/menu/create?access_token=86_CLq7I4_3JGDqh7Qg_hCplbvi3om0kjSHUr7xCGdx8ACY9fwX_baNhCtORpbGv_Fi1iaJ61vCnrQxYS9NrgyPvofRCl-fRwKqxqv_pJMzE73pw7LEpf0OUNHfSyTNQ-UBxDaa74X9');
curl_setopt($ch, CURLOPT_POST, true);
curl_setopt($ch, CURLOPT_POSTFIELDS, $menu);
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
echo curl_exec($ch);
