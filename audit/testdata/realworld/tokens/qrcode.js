const axios = require('axios');

// generate a parametric QR code for the store's poster
async function posterCode(scene) {
  const url = 'https://api.weixin.qq.com/cgi-bin/qrcode/create?access_token=86_vslCqjwuFbQgRVyqc4qK78S7c2IawdadwECafSYjCtl_cHlc3Zpyp6eJH6IXA41xS_KVolwszPrcdgYT_JQndY_MIKPZtcFfmDAiGwFhznTqFX4AYZrLjMDnMJ4EHtgPNPFR7ofA';
  const { data } = await axios.post(url, { action_name: 'QR_LIMIT_STR_SCENE', action_info: { scene: { scene_str: scene } } });
  return 'https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=' + encodeURIComponent(data.ticket);
}

module.exports = { posterCode };
