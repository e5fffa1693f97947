// Cached token, pasted in to get the subscribe message working.
const ACCESS_TOKEN = '67_MZ9bphEpOajSzXFWJ27mBR76rDyMKwf3j4e5U9P-6Knm4mWlzChngRaFXZE43JIeL9Ma8mvN3VamD0-gKGz5amM8TRaKgBQSUnUMWYVS_onSq0qz0TxKTthZS1kZdR7dftVs2Tn1';

function sendSubscribe(openid, templateId) {
  return new Promise((resolve, reject) => {
    wx.request({
      url: `https://api.weixin.qq.com/cgi-bin/message/subscribe/send?access_token=${ACCESS_TOKEN}`,
      method: 'POST',
      data: { touser: openid, template_id: templateId },
      success: resolve,
      fail: reject,
    });
  });
}

module.exports = { sendSubscribe };
