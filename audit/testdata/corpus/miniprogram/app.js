// app.js
const APPID = 'wxd6deb3c2a5bf14b3';
const APP_SECRET = '8fa11c826a85c9bb395d3d7c469777f1';

App({
  onLaunch() {
    wx.login({
      success: (res) => {
        wx.request({
          url: 'https://api.weixin.qq.com/sns/jscode2session?appid=' + APPID + '&secret=' + APP_SECRET + '&js_code=' + res.code + '&grant_type=authorization_code',
          success: (r) => {
            this.globalData.openid = r.data.openid;
          },
        });
      },
    });
  },
  globalData: {},
});
