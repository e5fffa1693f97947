'use strict'
// uni-app and Taro: the same flows through their API shapes.
const test = require('node:test')
const assert = require('node:assert/strict')
const { createClient, adapters } = require('../index.js')
const { uniFrom, taroFrom } = require('./shim.js')
const { gatewayURL, skip, newUser, logins } = require('./stack.js')

let unhandled = 0
process.on('unhandledRejection', () => { unhandled++ })

for (const [name, wrap, adapt] of [
  ['uni-app', uniFrom, adapters.uni],
  ['Taro', taroFrom, adapters.taro],
]) {
  test(name + ': single-flight login, request, decrypt, phone and logout', { skip }, async () => {
    const wx = await newUser('mp', { nickname: name + ' user', phone: '13700001111' })
    const api = wrap(wx)
    const c = createClient({ baseURL: gatewayURL, app: 'mp', platform: adapt(api) })
    const before = await logins('mp')
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => c.request({ path: '/auth/me' })))
    assert.ok(all.every((r) => r.statusCode === 200))
    assert.equal(wx.stats.login, 1)
    assert.equal(await logins('mp') - before, 1)
    assert.equal((await c.decrypt(await wx.userInfo())).nickName, name + ' user')
    assert.equal((await c.phone((await wx.phoneNumber()).code)).pure_phone_number, '13700001111')
    assert.ok(api.getStorageSync('wxgate:mp'))
    await c.logout()
    assert.equal(api.getStorageSync('wxgate:mp'), '')
    // A failure through the promise-returning API leaves no unhandled rejection.
    await assert.rejects(c.request({ url: 'http://127.0.0.1:9/', auth: false }), (e) => e.code === 'network_error')
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(unhandled, 0)
  })
}

test('the uni adapter finds the global uni', { skip }, async () => {
  const wx = await newUser('mp')
  global.uni = uniFrom(wx)
  try {
    const user = await createClient({ baseURL: gatewayURL, app: 'mp', platform: adapters.uni() }).login()
    assert.ok(user.id)
  } finally {
    delete global.uni
  }
})

test('the wx adapter is the default, found as the global wx', { skip }, async () => {
  const wx = await newUser('mp')
  global.wx = wx
  try {
    const user = await createClient({ baseURL: gatewayURL, app: 'mp' }).login()
    assert.ok(user.id)
    assert.equal(wx.stats.login, 1)
  } finally {
    delete global.wx
  }
})
