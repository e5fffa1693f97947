<?php
// ThinkPHP-style configuration.
define('WX_APPID', 'wxa70cc9371f3b422b');
define('WX_APPSECRET', '62847ac1d94938ad0267cdf6a2d778cd');

return [
    'cache_prefix' => 'shop_',
    'upload_md5'   => 'b942453e4feb97fb9916fb42edf7da3a',
    'wechat' => [
        'app_id' => 'wx90eb226d30eb9b74',
        'secret' => 'fc542acd8a65c857c4eaf2bc61c8ae9e',
    ],
];
