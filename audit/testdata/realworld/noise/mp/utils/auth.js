// Login helpers: the server keeps the session_key; the client only keeps its own token.
let sessionKey = '';

function login() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: ({ code }) => wx.request({
        url: 'https://shop.example.com/api/login',
        method: 'POST',
        data: { code },
        success: (res) => { wx.setStorageSync('token', res.data.token); resolve(); },
        fail: reject,
      }),
    });
  });
}

function checkSessionKey() {
  return new Promise((resolve) => wx.checkSession({ success: () => resolve(true), fail: () => resolve(false) }));
}

function getSessionKeyExpiry() {
  return wx.getStorageSync('token_expiry') || 0;
}

module.exports = { login, checkSessionKey, getSessionKeyExpiry, sessionKey };
