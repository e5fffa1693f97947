// The demo's mini-program page: wxgate-miniprogram through the wx shim.
(function () {
  'use strict'
  var $ = function (id) { return document.getElementById(id) }
  var client = null
  var shim = null

  function show(id, text) { $(id).textContent = text }
  function fail(e) {
    var box = $('mp-error')
    box.hidden = false
    box.textContent = (e && e.name ? e.name + ' (' + e.code + '): ' : '') + (e && e.message ? e.message : String(e))
  }
  function busy(on) {
    ;['mp-login', 'mp-decrypt', 'mp-phone', 'mp-logout'].forEach(function (id) {
      $(id).disabled = on || (id !== 'mp-login' && !client)
    })
  }
  function run(fn) {
    return function () {
      $('mp-error').hidden = true
      busy(true)
      Promise.resolve().then(fn).catch(fail).then(function () {
        busy(false)
        if (shim) show('mp-result-logins', String(shim.stats.login))
      })
    }
  }

  $('mp-login').addEventListener('click', run(function () {
    // A fresh "phone" for the chosen user: its own storage and wx.
    shim = window.wxShim.createWx({ emulatorURL: location.origin + '/miniprogram/wechat', appid: 'demo', userId: $('mp-user').value })
    client = window.wxgateMiniprogram.createClient({
      baseURL: location.origin,
      app: 'mp',
      platform: window.wxgateMiniprogram.adapters.wx(shim),
    })
    // Three requests at once, as a page's start-up makes them: one wx.login.
    return Promise.all([client.login(), client.request({ path: '/auth/me' }), client.request({ path: '/auth/me' })]).then(function (r) {
      // A mini-program login gives no nickname: step 2 brings it.
      show('mp-result-user', 'wxgate id ' + r[0].id + (r[0].nickname ? ' · ' + r[0].nickname : ''))
    })
  }))
  $('mp-decrypt').addEventListener('click', run(function () {
    return shim.userInfo().then(function (detail) { return client.decrypt(detail) }).then(function (d) {
      show('mp-result-decrypted', d.nickName + ' · ' + [d.city, d.province, d.country].filter(Boolean).join(', '))
      return client.request({ path: '/auth/me' })
    }).then(function (me) {
      show('mp-result-user', 'wxgate id ' + me.data.user.id + ' · ' + me.data.user.nickname)
    })
  }))
  $('mp-phone').addEventListener('click', run(function () {
    return shim.phoneNumber().then(function (detail) { return client.phone(detail.code) }).then(function (p) {
      show('mp-result-phone', '+' + p.country_code + ' ' + p.pure_phone_number)
    })
  }))
  $('mp-logout').addEventListener('click', run(function () {
    return client.logout().then(function () {
      client = null
      show('mp-result-user', '—')
    })
  }))
  busy(false)
})()
