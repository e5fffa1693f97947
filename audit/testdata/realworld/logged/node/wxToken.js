'use strict';
// Fetches and caches the official account's access token.
const axios = require('axios');
const config = require('../config');
const logger = require('../logger');

const TOKEN_API = 'https://api.weixin.qq.com/cgi-bin/token';

let cached = null;

async function fetchToken() {
  const tokenUrl = `${TOKEN_API}?grant_type=client_credential&appid=${config.wechat.appId}&secret=${config.wechat.appSecret}`;
  logger.debug('requesting access token: ' + tokenUrl);
  const { data } = await axios.get(tokenUrl);
  if (data.errcode) {
    logger.error('token request failed', data.errcode, data.errmsg);
    throw new Error('wechat token: ' + data.errmsg);
  }
  cached = { token: data.access_token, expiresAt: Date.now() + (data.expires_in - 300) * 1000 };
  logger.info('access token refreshed, expires in %ds', data.expires_in);
  return cached.token;
}

async function code2Session(code) {
  const params = new URLSearchParams({
    appid: config.wechat.appId,
    secret: config.wechat.appSecret,
    js_code: code,
    grant_type: 'authorization_code',
  });
  const url = 'https://api.weixin.qq.com/sns/jscode2session?' + params.toString();
  console.log(`[wx] code2session -> ${url}`);
  const res = await axios.get(url);
  return { openid: res.data.openid, unionid: res.data.unionid };
}

async function stableToken() {
  const body = { grant_type: 'client_credential', appid: config.wechat.appId, secret: config.wechat.appSecret };
  const res = await axios.post('https://api.weixin.qq.com/cgi-bin/stable_token', body);
  console.info('stable_token answered', res.status, res.data.expires_in);
  return res.data.access_token;
}

module.exports = { fetchToken, code2Session, stableToken };
