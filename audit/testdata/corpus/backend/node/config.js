// Server-side configuration (Node). Committed by mistake.
module.exports = {
  port: 3000,
  mysql: { host: '127.0.0.1', user: 'shop', password: process.env.DB_PASSWORD },
  wechat: {
    appid: 'wx08a5fd294e13605a',
    secret: '3018f4122e26ebbb44c0f3f6b0aa6f23',
  },
  cdnHash: 'ad557e3d1ac5395bf9ea9edeb75d21a0',
};
