const BASE_URL = process.env.NODE_ENV === 'development' ? 'http://127.0.0.1:3000' : 'https://shop.example.com';

export function request(options) {
  return new Promise((resolve, reject) => {
    uni.request({
      url: BASE_URL + options.url,
      method: options.method || 'GET',
      data: options.data,
      header: { Authorization: uni.getStorageSync('token') },
      success: (res) => resolve(res.data),
      fail: reject,
    });
  });
}

export function code2session(code) {
  return new Promise((resolve, reject) => {
    uni.request({
      url: 'https://api.weixin.qq.com/sns/jscode2session',
      data: { appid: 'wx376b9da7dbbe90b4', js_code: code, grant_type: 'authorization_code' },
      success: (res) => resolve(res.data),
      fail: reject,
    });
  });
}
