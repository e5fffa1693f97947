'use strict'
// The client against a real gateway and emulator (see stack.js).
const test = require('node:test')
const assert = require('node:assert/strict')
const { createClient, adapters, AuthError, SessionKeyStaleError, NetworkError, DecryptError } = require('../index.js')
const { gatewayURL, skip, newUser, logins, raw } = require('./stack.js')

function client(wx, extra) {
  return createClient(Object.assign({ baseURL: gatewayURL, app: 'mp', platform: adapters.wx(wx) }, extra))
}

function stored(wx, app) { return JSON.parse(wx.getStorageSync('wxgate:' + (app || 'mp'))) }

test('ten requests at start-up share one wx.login and one gateway login', { skip }, async () => {
  const wx = await newUser('mp')
  const c = client(wx)
  let events = 0
  c.onLogin(() => events++)
  const before = await logins('mp')
  const answers = await Promise.all(Array.from({ length: 10 }, () => c.request({ path: '/auth/me' })))
  for (const a of answers) {
    assert.equal(a.statusCode, 200)
    assert.equal(a.data.session.app, 'mp')
  }
  assert.equal(wx.stats.login, 1, 'wx.login calls')
  assert.equal(await logins('mp') - before, 1, 'gateway logins')
  assert.equal(events, 1, 'onLogin events')
  assert.equal(new Set(answers.map((a) => a.data.user.id)).size, 1)
})

test('the token is kept in storage with its expiry and reused after a restart', { skip }, async () => {
  const wx = await newUser('mp')
  const user = await client(wx).login()
  const s = stored(wx)
  assert.match(s.token, /^wxgs_/)
  assert.ok(s.expiresAt > Date.now() + 3600e3, 'expiry in the future')
  // A new client over the same storage (the mini-program restarted).
  const again = client(wx)
  const me = await again.request({ path: '/auth/me' })
  assert.equal(me.data.user.id, user.id)
  assert.equal(wx.stats.login, 1, 'no second wx.login')
  // An expired token in storage is not used.
  wx.setStorageSync('wxgate:mp', JSON.stringify(Object.assign(s, { expiresAt: Date.now() - 1000 })))
  await client(wx).request({ path: '/auth/me' })
  assert.equal(wx.stats.login, 2, 'an expired stored token means a new login')
})

test('a 401 logs in again once and the request is retried', { skip }, async () => {
  const wx = await newUser('mp')
  const c = client(wx)
  const reasons = []
  c.onLogout((e) => reasons.push(e.reason))
  await c.login()
  const old = stored(wx).token
  // The session is revoked behind the client's back.
  assert.equal((await raw('POST', '/auth/logout', old)).status, 204)
  assert.equal((await raw('GET', '/auth/me', old)).status, 401)
  const before = await logins('mp')
  // Even a POST is retried: a 401 means the gateway refused it unprocessed.
  const code = (await wx.phoneNumber()).code
  const res = await c.request({ method: 'POST', path: '/auth/miniprogram/phone', data: { code } })
  assert.equal(res.statusCode, 200)
  assert.ok(res.data.pure_phone_number)
  assert.equal(wx.stats.login, 2, 'one more wx.login')
  assert.equal(await logins('mp') - before, 1, 'one more gateway login')
  assert.notEqual(stored(wx).token, old)
  assert.deepEqual(reasons, ['expired'])
})

test('a 401 after the re-login is not retried again', { skip }, async () => {
  const wx = await newUser('mp')
  const c = client(wx)
  await c.login()
  // A backend that refuses every token: the client gives up after one re-login.
  wx.beforeSend = (o) => { o.header.Authorization = 'Bearer wxgs_forged' }
  await assert.rejects(c.request({ path: '/auth/me' }), (e) => e instanceof AuthError && e.code === 'session_expired' && e.status === 401)
  assert.equal(wx.stats.login, 2)
  assert.equal(wx.stats.request, 4, 'two attempts and one login in between, plus the first login')
})

test('a POST whose answer was lost is not sent again; a GET is', { skip }, async () => {
  const wx = await newUser('mp')
  const c = client(wx)
  await c.login()
  const sent = wx.stats.request
  wx.loseAnswer = (o) => o.method === 'POST' && o.url.endsWith('/auth/miniprogram/phone')
  const detail = await wx.phoneNumber()
  await assert.rejects(c.phone(detail.code), (e) => e instanceof NetworkError && e.maybeProcessed === true)
  assert.equal(wx.stats.request - sent, 1, 'the POST went out exactly once')
  let lost = 0
  wx.loseAnswer = (o) => o.method === 'GET' && lost++ === 0
  const me = await c.request({ path: '/auth/me' })
  assert.equal(me.statusCode, 200)
  assert.equal(lost, 2, 'the GET was sent twice')
})

test('decrypt and phone', { skip }, async () => {
  const wx = await newUser('mp', { nickname: '小程序用户', phone: '13812345678' })
  const c = client(wx)
  await c.login()
  const data = await c.decrypt(await wx.userInfo())
  assert.equal(data.nickName, '小程序用户')
  assert.equal(data.openId, undefined, 'no openid unless the operator exposes it')
  const p = await c.phone((await wx.phoneNumber()).code)
  assert.equal(p.pure_phone_number, '13812345678')
  // The button's whole detail works too.
  const p2 = await c.phone(await wx.phoneNumber())
  assert.equal(p2.pure_phone_number, '13812345678')
})

test('a stale session_key: the client logs in again and the data fetched again decrypts', { skip }, async () => {
  const wx = await newUser('mp', { nickname: 'Stale' })
  const c = client(wx)
  await c.login()
  const old = stored(wx).token
  await wx.rotate() // a wx.login elsewhere: the gateway's session_key is stale
  const detail = await wx.userInfo() // under the new key
  await assert.rejects(c.decrypt(detail), (e) => e instanceof SessionKeyStaleError && e.code === 'session_key_stale' && e.status === 409 && e.relogged === true)
  assert.equal(wx.stats.login, 2, 'the client called wx.login again')
  assert.notEqual(stored(wx).token, old)
  const data = await c.decrypt(await wx.userInfo())
  assert.equal(data.nickName, 'Stale')
})

test('garbage encrypted data is a DecryptError', { skip }, async () => {
  const wx = await newUser('mp')
  const c = client(wx)
  await c.login()
  const d = await wx.userInfo()
  await assert.rejects(c.decrypt({ encryptedData: d.encryptedData.slice(0, 24), iv: d.iv }), (e) => e instanceof DecryptError && e.code === 'decrypt_failed')
  await assert.rejects(c.decrypt({}), (e) => e.code === 'missing_field')
})

test('signed requests are accepted; a tampered one is refused', { skip }, async () => {
  const wx = await newUser('mps')
  const c = client(wx, { app: 'mps' })
  await c.login()
  const s = stored(wx, 'mps')
  assert.equal(s.signingKey.length, 43)
  // Without a signature the gateway refuses the token alone.
  const unsigned = await raw('GET', '/auth/me', s.token)
  assert.equal(unsigned.status, 401)
  assert.equal(unsigned.data.error, 'bad_signature')
  // Signed, with a query and a body.
  const me = await c.request({ path: '/auth/me?x=1&a=%7e&q=a+b' })
  assert.equal(me.statusCode, 200)
  const data = await c.decrypt(await wx.userInfo())
  assert.ok(data.nickName)
  for (const tamper of [
    (o) => { o.data = o.data.replace('"iv":"', '"iv":"A') },
    (o) => { o.url += '&extra=1' },
    (o) => { o.header['X-Wxgate-Timestamp'] = String(Number(o.header['X-Wxgate-Timestamp']) - 1) },
  ]) {
    const logins = wx.stats.login
    wx.beforeSend = tamper
    const d = await wx.userInfo()
    const call = tamper.toString().includes('url') ? c.request({ path: '/auth/me?x=1' }) : c.decrypt(d)
    await assert.rejects(call, (e) => e instanceof AuthError && e.code === 'bad_signature')
    assert.equal(wx.stats.login, logins, 'a bad signature is no reason to log in again')
    wx.beforeSend = null
  }
  // Replaying a request that went through is refused.
  let captured
  wx.beforeSend = (o) => { captured = o }
  await c.request({ path: '/auth/me' })
  wx.beforeSend = null
  const replay = await fetch(captured.url, { headers: captured.header })
  assert.equal(replay.status, 401)
})

test('logout revokes the session and forgets it', { skip }, async () => {
  const wx = await newUser('mp')
  const c = client(wx)
  const reasons = []
  c.onLogout((e) => reasons.push(e.reason))
  await c.login()
  assert.equal(await c.checkSession(), true)
  wx.sessionValid = false
  assert.equal(await c.checkSession(), false, 'wx.checkSession failing means the session_key expired')
  wx.sessionValid = true
  const token = stored(wx).token
  await c.logout()
  assert.equal(wx.getStorageSync('wxgate:mp'), '')
  assert.equal((await raw('GET', '/auth/me', token)).status, 401)
  assert.equal(await c.checkSession(), false)
  assert.deepEqual(reasons, ['logout'])
  assert.equal(c.user(), null)
})

test('caller storage is used instead of the platform\'s', { skip }, async () => {
  const wx = await newUser('mp')
  const mine = new Map()
  const storage = { get: async (k) => mine.get(k), set: async (k, v) => { mine.set(k, v) }, remove: async (k) => { mine.delete(k) } }
  await client(wx, { storage }).login()
  assert.equal(wx.getStorageSync('wxgate:mp'), '')
  assert.match(JSON.parse(mine.get('wxgate:mp')).token, /^wxgs_/)
})

test('a phone clock ten minutes off signs with the gateway\'s time', { skip }, async () => {
  const wx = await newUser('mps')
  const c = client(wx, { app: 'mps' })
  const realNow = Date.now
  Date.now = () => realNow() + 10 * 60e3 // outside the gateway's ±5 minute window
  try {
    await c.login()
    const me = await c.request({ path: '/auth/me' })
    assert.equal(me.statusCode, 200)
    assert.equal(wx.stats.request, 2, 'no refused attempt: the login answer\'s Date set the offset')
  } finally {
    Date.now = realNow
  }
})
