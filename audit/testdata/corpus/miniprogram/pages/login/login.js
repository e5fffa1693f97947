const WXBizDataCrypt = require('../../utils/WXBizDataCrypt');

Page({
  data: { user: null },
  onLogin() {
    wx.login({
      success: ({ code }) => {
        wx.request({
          url: 'https://shop.example.com/api/login',
          method: 'POST',
          data: { code },
          success: (res) => {
            wx.setStorageSync('session_key', res.data.session_key);
            wx.setStorageSync('openid', res.data.openid);
          },
        });
      },
    });
  },
  onGetUserInfo(e) {
    const sessionKey = wx.getStorageSync('session_key');
    const pc = new WXBizDataCrypt('wxd6deb3c2a5bf14b3', sessionKey);
    const info = pc.decryptData(e.detail.encryptedData, e.detail.iv);
    this.setData({ user: info });
  },
});
