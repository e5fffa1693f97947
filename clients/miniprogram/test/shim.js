'use strict'
// shim.js: a `wx` object for tests and the demo page. wx.login asks the
// wxgate emulator for a code (/_emulator/miniprogram/login), as the WeChat
// client would ask WeChat; wx.request does real HTTP with fetch. It runs in
// Node 18+ and in browsers.

// createWx returns a wx shim for one user of one mini-program.
//   emulatorURL  the emulator's base URL
//   appid, userId
//   storage      a Map shared by shims that model the same phone (an app
//                restart keeps it); default a new Map
function createWx(opts) {
  const storage = opts.storage || new Map()
  const stats = { login: 0, request: 0 }
  const shim = {
    stats: stats,
    // sessionValid is what wx.checkSession reports.
    sessionValid: true,
    // beforeSend(o) may change a request after the client built (and
    // signed) it: a tampering proxy.
    beforeSend: null,
    // loseAnswer(o) returning true sends the request but reports a network
    // failure, as when the answer is lost on the way back.
    loseAnswer: null,
    // rotate is a wx.login made elsewhere (another page, a plugin): WeChat
    // issues a new session_key, and the gateway's copy goes stale.
    rotate: function () { return emulator('/_emulator/miniprogram/login', { appid: opts.appid, user_id: opts.userId }) },
    // userInfo and phoneNumber are what the getUserInfo and getPhoneNumber
    // buttons give the page (e.detail).
    userInfo: function () { return emulator('/_emulator/miniprogram/userinfo', { appid: opts.appid, user_id: opts.userId }) },
    phoneNumber: function () { return emulator('/_emulator/miniprogram/phonenumber', { appid: opts.appid, user_id: opts.userId }) },

    login: function (o) {
      stats.login++
      emulator('/_emulator/miniprogram/login', { appid: opts.appid, user_id: opts.userId }).then(function (r) {
        o.success && o.success({ code: r.code, errMsg: 'login:ok' })
      }, function (e) { o.fail && o.fail({ errMsg: 'login:fail ' + e.message }) })
    },
    checkSession: function (o) {
      if (shim.sessionValid) { o.success && o.success({ errMsg: 'checkSession:ok' }) } else { o.fail && o.fail({ errMsg: 'checkSession:fail session expired' }) }
    },
    request: function (o) {
      stats.request++
      if (shim.beforeSend) shim.beforeSend(o)
      const lose = shim.loseAnswer && shim.loseAnswer(o)
      const method = (o.method || 'GET').toUpperCase()
      const init = { method: method, headers: o.header || {} }
      if (method !== 'GET' && method !== 'HEAD' && o.data != null && o.data !== '') {
        init.body = typeof o.data === 'string' ? o.data : JSON.stringify(o.data)
      }
      fetch(o.url, init).then(function (res) {
        return res.text().then(function (text) {
          if (lose) { o.fail && o.fail({ errMsg: 'request:fail timeout' }); return }
          const header = {}
          res.headers.forEach(function (v, k) { header[k.replace(/(^|-)[a-z]/g, function (c) { return c.toUpperCase() })] = v })
          let data = text
          if (o.dataType === undefined || o.dataType === 'json') { try { data = JSON.parse(text) } catch (e) { /* wx keeps the text */ } }
          o.success && o.success({ statusCode: res.status, data: data, header: header, errMsg: 'request:ok' })
        })
      }, function (e) { o.fail && o.fail({ errMsg: 'request:fail ' + e.message }) })
    },
    uploadFile: function (o) { o.fail && o.fail({ errMsg: 'uploadFile:fail not supported by the shim' }) },
    getStorageSync: function (k) { return storage.has(k) ? storage.get(k) : '' },
    setStorageSync: function (k, v) { storage.set(k, v) },
    removeStorageSync: function (k) { storage.delete(k) },
  }

  function emulator(path, body) {
    return fetch(opts.emulatorURL + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (res) {
        return res.json().then(function (j) {
          if (!res.ok) throw new Error('emulator ' + path + ': ' + res.status + ' ' + JSON.stringify(j))
          return j
        })
      })
  }
  return shim
}

// uniFrom models uni-app's API over a wx shim: the same callbacks, and,
// called without them, a promise (uni-app 3 style).
function uniFrom(w) {
  const u = Object.create(w)
  ;['login', 'request', 'checkSession', 'uploadFile'].forEach(function (fn) {
    u[fn] = function (o) {
      if (o && (o.success || o.fail)) return w[fn](o)
      return new Promise(function (resolve, reject) { w[fn](Object.assign({}, o, { success: resolve, fail: reject })) })
    }
  })
  return u
}

// taroFrom models Taro's API over a wx shim: every call returns a promise
// (rejected on failure) and also calls the callbacks it was given.
function taroFrom(w) {
  const t = Object.create(w)
  ;['login', 'request', 'checkSession', 'uploadFile'].forEach(function (fn) {
    t[fn] = function (o) {
      o = o || {}
      return new Promise(function (resolve, reject) {
        w[fn](Object.assign({}, o, {
          success: function (r) { o.success && o.success(r); resolve(r) },
          fail: function (e) { o.fail && o.fail(e); reject(e) },
        }))
      })
    }
  })
  return t
}

module.exports = { createWx, uniFrom, taroFrom }
