// Runs two widely used third-party WeChat SDKs for Node, unmodified,
// against the wxgate emulator at process.argv[2]. The SDKs hard-code
// WeChat's hosts; only the host is swapped at the transport edge (the
// prefix properties co-wechat-api exposes, and a wrapper around
// wechat-oauth's request method). Request building and response parsing
// are the SDKs' own. Exits non-zero on the first failed check.
'use strict';

const assert = require('node:assert/strict');
const { promisify } = require('node:util');
const OAuth = require('wechat-oauth');
const API = require('co-wechat-api');

const base = process.argv[2];
if (!base) {
  console.error('usage: node compat.js EMULATOR_BASE_URL');
  process.exit(2);
}
let checks = 0;
function check(cond, what) {
  assert.ok(cond, what);
  checks++;
}

async function ctl(method, path, body) {
  const res = await fetch(base + '/_emulator/' + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(data)}`);
  return data;
}

// toEmulator rewrites WeChat's hosts to the emulator's base URL.
function toEmulator(u) {
  return u.replace('https://api.weixin.qq.com', base).replace('https://open.weixin.qq.com', base);
}

function oauthFor(app) {
  const o = new OAuth(app.appid, app.secret);
  const request = o.request;
  o.request = function (url, opts, cb) { return request.call(this, toEmulator(url), opts, cb); };
  for (const m of ['getAccessToken', 'getUser', 'refreshAccessToken', 'verifyToken', 'getSessionKey']) {
    o[m + 'P'] = promisify(o[m]).bind(o);
  }
  return o;
}

function apiFor(appid, secret) {
  const api = new API(appid, secret);
  api.prefix = base + '/cgi-bin/';
  api.snsPrefix = base + '/sns/';
  api.wxaPrefix = base + '/wxa/';
  return api;
}

async function grant(pageURL, user) {
  const res = await fetch(toEmulator(pageURL.replace('#wechat_redirect', '')), { redirect: 'manual' });
  check(res.status === 200, `authorization page answers 200, got ${res.status}`);
  const uuid = res.headers.get('x-wxemu-uuid');
  check(uuid, 'authorization page names its grant');
  if (pageURL.includes('/connect/qrconnect')) await ctl('POST', `grants/${uuid}/scan`, { user_id: user });
  const { redirect } = await ctl('POST', `grants/${uuid}/confirm`, { user_id: user });
  return new URL(redirect);
}

async function main() {
  const web = await ctl('POST', 'apps', { type: 'website', name: 'web', callback_domain: 'app.example.com', open_account: 'acme' });
  const oa = await ctl('POST', 'apps', { type: 'official_account', name: 'oa', callback_domain: 'm.example.com', open_account: 'acme' });
  const mp = await ctl('POST', 'apps', { type: 'miniprogram', name: 'mp', open_account: 'acme' });
  const { user_id: user } = await ctl('POST', 'users', { nickname: 'Band', sex: 1, city: 'Guangzhou' });

  // wechat-oauth, website QR login.
  const w = oauthFor(web);
  const cb = await grant(w.getAuthorizeURLForWebsite('https://app.example.com/cb?x=1', 'st123'), user);
  check(cb.searchParams.get('state') === 'st123' && cb.searchParams.get('x') === '1', 'state echoed, query kept');
  const tok = (await w.getAccessTokenP(cb.searchParams.get('code'))).data;
  check(typeof tok.access_token === 'string' && tok.access_token.length > 0, 'access_token is a string');
  check(tok.expires_in === 7200, 'expires_in is the number 7200');
  check(tok.scope === 'snsapi_login' && typeof tok.openid === 'string' && typeof tok.unionid === 'string', 'scope, openid, unionid');
  const u = await w.getUserP(tok.openid);
  check(u.nickname === 'Band' && u.sex === 1 && Array.isArray(u.privilege) && u.unionid === tok.unionid, 'sns/userinfo fields and types');
  await w.verifyTokenP(tok.openid, tok.access_token);
  checks++;
  const refreshed = (await w.refreshAccessTokenP(tok.refresh_token)).data;
  check(refreshed.openid === tok.openid && typeof refreshed.access_token === 'string', 'refresh_token');
  await assert.rejects(w.getAccessTokenP(cb.searchParams.get('code')), (e) => e.code === 40163, 'a reused code answers 40163');
  checks++;

  // wechat-oauth, official-account web auth: snsapi_base has no user info.
  const o = oauthFor(oa);
  const cb2 = await grant(o.getAuthorizeURL('https://m.example.com/cb', 'st456', 'snsapi_base'), user);
  const tok2 = (await o.getAccessTokenP(cb2.searchParams.get('code'))).data;
  check(tok2.scope === 'snsapi_base' && tok2.openid !== tok.openid, 'snsapi_base token; openid differs per app');
  await assert.rejects(o.getUserP(tok2.openid), (e) => e.code === 48001, 'snsapi_base user info answers 48001');
  checks++;

  // wechat-oauth, mini-program: jscode2session and decryption.
  const m = oauthFor(mp);
  const { code } = await ctl('POST', 'miniprogram/login', { appid: mp.appid, user_id: user });
  const sess = await m.getSessionKeyP(code);
  check(typeof sess.data.session_key === 'string' && sess.data.session_key.length === 24, 'session_key is base64 of 16 bytes');
  check(sess.data.errcode === undefined, 'jscode2session success carries no errcode');
  const info = await ctl('POST', 'miniprogram/userinfo', { appid: mp.appid, user_id: user });
  const data = m.decryptMiniProgramUser({ sessionKey: sess.data.session_key, encryptedData: info.encryptedData, iv: info.iv });
  check(data.watermark.appid === mp.appid && data.nickName === 'Band' && data.unionId === tok.unionid, 'decrypted user info');

  // co-wechat-api, mini-program: code2Session and the app access token.
  const api = apiFor(mp.appid, mp.secret);
  const { code: code2 } = await ctl('POST', 'miniprogram/login', { appid: mp.appid, user_id: user });
  const s2 = await api.code2Session(code2);
  check(s2.openid === sess.data.openid && s2.session_key !== sess.data.session_key, 'new wx.login, new session_key');
  const at = await api.getAccessToken();
  check(typeof at.accessToken === 'string' && at.expireTime > Date.now() + 7000 * 1000, 'cgi-bin/token');
  await assert.rejects(apiFor(mp.appid, '0'.repeat(32)).getAccessToken(), (e) => e.code === 40125, 'a wrong secret answers 40125');
  checks++;

  console.log(`ok ${checks} checks`);
}

main().catch((e) => {
  console.error('FAIL:', e && e.stack ? e.stack : e);
  process.exit(1);
});
