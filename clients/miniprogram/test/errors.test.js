'use strict'
// Every gateway error code becomes a typed error.
const test = require('node:test')
const assert = require('node:assert/strict')
const lib = require('../index.js')
const { createClient, adapters, WxgateError, AuthError, SessionKeyStaleError, DecryptError, InputError, RateLimitError, UnavailableError, NetworkError } = lib
const { createWx } = require('./shim.js')
const { gatewayURL, skip, newUser } = require('./stack.js')

// fake is a wx whose request always gives the same answer.
function fake(statusCode, data, header) {
  const wx = createWx({ emulatorURL: 'http://127.0.0.1:9' })
  wx.login = (o) => o.success({ code: 'code' })
  wx.request = (o) => o.success({ statusCode, data: typeof data === 'string' ? data : JSON.stringify(data), header: header || {} })
  return wx
}

const expected = {
  unauthenticated: AuthError, session_expired: AuthError, unauthorized: AuthError, bad_signature: AuthError, duplicate_cookie: AuthError,
  session_key_stale: SessionKeyStaleError, decrypt_failed: DecryptError, data_expired: DecryptError,
  rate_limited: RateLimitError, wechat_rate_limited: RateLimitError,
  storage_unavailable: UnavailableError, wechat_busy: UnavailableError, wechat_timeout: UnavailableError,
  wechat_unavailable: UnavailableError, wechat_error: UnavailableError, wechat_misconfigured: UnavailableError,
  internal_error: UnavailableError, invalid_code: InputError, unknown_app: InputError, login_blocked: InputError,
}

test('each code maps to its class, with status, message and Retry-After', async () => {
  assert.ok(lib.errorCodes.length >= 30)
  for (const code of lib.errorCodes) {
    const c = createClient({ baseURL: 'https://gw.example.com', app: 'mp', platform: adapters.wx(fake(400, { error: code, message: 'm ' + code }, { 'retry-after': '7' })) })
    await assert.rejects(c.login(), (e) => {
      assert.ok(e instanceof WxgateError && e instanceof Error, code)
      if (expected[code]) assert.ok(e instanceof expected[code], code + ' is a ' + expected[code].prototype.name + ', got ' + e.name)
      assert.equal(e.code, code)
      assert.equal(e.status, 400)
      assert.equal(e.message, 'm ' + code)
      assert.equal(e.retryAfter, 7)
      assert.notEqual(e.name, 'Error')
      return true
    })
  }
})

test('unknown codes and non-JSON answers are classed by status', async () => {
  for (const [status, data, C, code] of [
    [401, '', AuthError, 'http_401'],
    [429, 'slow down', RateLimitError, 'http_429'],
    [502, '<html>bad gateway</html>', UnavailableError, 'http_502'],
    [418, { error: 'teapot', message: 'short and stout' }, InputError, 'teapot'],
  ]) {
    const c = createClient({ baseURL: 'https://gw.example.com', app: 'mp', platform: adapters.wx(fake(status, data)) })
    await assert.rejects(c.login(), (e) => e instanceof C && e.code === code && e.status === status)
  }
})

test('bad options are clear errors', () => {
  assert.throws(() => createClient({ app: 'mp', platform: adapters.wx(fake(200, {})) }), (e) => e instanceof InputError && /baseURL/.test(e.message))
  assert.throws(() => createClient({ baseURL: 'https://gw.example.com', platform: adapters.wx(fake(200, {})) }), (e) => e.code === 'missing_app')
  assert.throws(() => adapters.taro(undefined), (e) => e.code === 'no_platform')
})

test('an unreachable gateway is a NetworkError', async () => {
  const wx = createWx({ emulatorURL: 'http://127.0.0.1:9' })
  wx.login = (o) => o.success({ code: 'code' })
  const c = createClient({ baseURL: 'http://127.0.0.1:9', app: 'mp', platform: adapters.wx(wx) })
  await assert.rejects(c.login(), (e) => e instanceof NetworkError && e.code === 'network_error')
})

test('errors of the real gateway', { skip }, async () => {
  const wx = await newUser('mp')
  await assert.rejects(createClient({ baseURL: gatewayURL, app: 'nope', platform: adapters.wx(wx) }).login(),
    (e) => e instanceof InputError && e.code === 'unknown_app' && e.status === 400 && /nope|app/.test(e.message))
  const bogus = createWx({ emulatorURL: 'http://127.0.0.1:9' })
  bogus.login = (o) => o.success({ code: 'not-a-code-wechat-gave' })
  await assert.rejects(createClient({ baseURL: gatewayURL, app: 'mp', platform: adapters.wx(bogus) }).login(),
    (e) => e instanceof InputError && e.code === 'invalid_code')
  const c = createClient({ baseURL: gatewayURL, app: 'mp', platform: adapters.wx(wx) })
  await c.login()
  await assert.rejects(c.phone('bad code'), (e) => e instanceof InputError && e.code === 'invalid_code')
  await assert.rejects(c.request({ method: 'POST', path: '/auth/miniprogram/decrypt', data: '{"encrypted_data":' }), (e) => e instanceof InputError && e.code === 'malformed_json')
  await assert.rejects(c.request({ path: '/auth/no-such-thing' }), (e) => e instanceof InputError && e.code === 'not_found' && e.status === 404)
})
