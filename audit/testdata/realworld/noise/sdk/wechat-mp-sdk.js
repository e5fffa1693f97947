'use strict';
/**
 * A small server-side SDK for mini-program logins.
 *
 * On the client, call wx.login() and send the code to your server:
 *
 *     wx.login({ success: ({ code }) => wx.request({ url: 'https://your.server/login', data: { code } }) })
 *
 * On the server, exchange it:
 *
 *     const sdk = new MiniProgramSDK({ appid, secret });
 *     const { openid } = await sdk.code2Session(code);
 *
 * The session_key stays on the server; never send it with wx.request().
 */
const https = require('https');

class MiniProgramSDK {
  /**
   * @param {{appid: string, secret: string}} opts the app's credentials, from the environment
   */
  constructor(opts) {
    this.appid = opts.appid;
    this.secret = opts.secret;
  }

  /** code2Session exchanges wx.login()'s code; returns openid and unionid only. */
  code2Session(code) {
    const qs = new URLSearchParams({ appid: this.appid, secret: this.secret, js_code: code, grant_type: 'authorization_code' });
    return new Promise((resolve, reject) => {
      https.get('https://api.weixin.qq.com/sns/jscode2session?' + qs, (res) => {
        let raw = '';
        res.on('data', (c) => (raw += c));
        res.on('end', () => {
          const body = JSON.parse(raw);
          if (body.errcode) return reject(new Error('jscode2session: ' + body.errmsg));
          this._store(body.openid, body.session_key);
          resolve({ openid: body.openid, unionid: body.unionid });
        });
      }).on('error', reject);
    });
  }

  /** getSessionKey returns the session_key kept for openid (server side only). */
  getSessionKey(openid) {
    return this._keys.get(openid);
  }

  _store(openid, sessionKey) {
    this._keys = this._keys || new Map();
    this._keys.set(openid, sessionKey);
  }
}

module.exports = MiniProgramSDK;
