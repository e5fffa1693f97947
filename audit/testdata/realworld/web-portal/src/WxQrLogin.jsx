import React, { useEffect } from 'react';

const APPID = 'wx47d882ffcf2e7806';

export default function WxQrLogin({ code }) {
  useEffect(() => {
    if (!code) return;
    fetch(`https://api.weixin.qq.com/sns/oauth2/access_token?appid=${APPID}&code=${code}&grant_type=authorization_code`)
      .then((r) => r.json())
      .then((t) => localStorage.setItem('wx_openid', t.openid));
  }, [code]);
  return <div id="wx-qr" />;
}
