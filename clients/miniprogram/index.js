'use strict'
// wxgate-miniprogram: the mini-program side of a wxgate login (README.md).
// Plain ES2017 CommonJS without dependencies, for WeChat's "Build npm",
// uni-app and Taro.

// ---- errors ----------------------------------------------------------------

class WxgateError extends Error {
  constructor(code, message, status, extra) {
    super(message)
    this.code = code
    this.status = status || 0
    Object.assign(this, extra)
  }
}

function kind(name, Base) {
  const C = class extends (Base || WxgateError) {}
  Object.defineProperty(C.prototype, 'name', { value: name })
  return C
}
Object.defineProperty(WxgateError.prototype, 'name', { value: 'WxgateError' })

const AuthError = kind('AuthError')
const SessionKeyStaleError = kind('SessionKeyStaleError')
const DecryptError = kind('DecryptError')
const InputError = kind('InputError')
const RateLimitError = kind('RateLimitError')
const UnavailableError = kind('UnavailableError')
const NetworkError = kind('NetworkError')

// Every error code the gateway answers with, by the class it becomes.
const KINDS = [
  [AuthError, 'unauthenticated session_expired unauthorized bad_signature duplicate_cookie'],
  [SessionKeyStaleError, 'session_key_stale'],
  [DecryptError, 'decrypt_failed data_expired'],
  [InputError, 'malformed_body malformed_json body_too_large unsupported_media_type missing_app missing_code ' +
    'missing_field invalid_code invalid_scope unknown_app no_app wrong_app_type app_not_configured cross_origin ' +
    'login_blocked not_found method_not_allowed session_wrong_app state_missing state_invalid state_cookie_missing ' +
    'state_expired state_mismatch login_declined wrong_app invalid_method scan_login_off no_scan_login ' +
    'missing_scene invalid_scene invalid_scan invalid_seq scan_expired scan_taken scan_state scan_wrong_browser ' +
    'invalid_confirm_token'],
  [RateLimitError, 'rate_limited wechat_rate_limited'],
  [UnavailableError, 'storage_unavailable wechat_busy wechat_timeout wechat_unavailable wechat_error ' +
    'wechat_misconfigured internal_error internal_key_unavailable callback_pending canceled scan_busy'],
]
const CLASS = {}
KINDS.forEach(function (k) { k[1].split(' ').forEach(function (c) { CLASS[c] = k[0] }) })

// toError turns a gateway answer that is not a success into a typed error.
function toError(status, data, header) {
  const code = data && typeof data.error === 'string' ? data.error : 'http_' + status
  const C = CLASS[code] || (status === 401 ? AuthError : status === 429 ? RateLimitError
    : status >= 500 ? UnavailableError : status >= 400 ? InputError : WxgateError)
  const msg = data && typeof data.message === 'string' ? data.message : 'the server answered ' + status
  const retry = parseInt(headerOf(header, 'retry-after'), 10)
  return new C(code, msg, status, retry >= 0 ? { retryAfter: retry, data: data } : { data: data })
}

// ---- signing (docs/signing.md) -----------------------------------------------

let K, H0
function ror(x, n) { return x >>> n | x << 32 - n }

// sha256 returns the SHA-256 of an array of bytes, as bytes.
function sha256(m) {
  if (!K) {
    K = []
    H0 = []
    for (let c = 2, n = 0; n < 64; c++) {
      let d = 2
      while (d * d <= c && c % d) d++
      if (d * d > c) {
        if (n < 8) H0[n] = Math.pow(c, 1 / 2) * 4294967296 | 0
        K[n++] = Math.pow(c, 1 / 3) * 4294967296 | 0
      }
    }
  }
  const b = m.slice()
  const bits = m.length * 8
  b.push(128)
  while (b.length % 64 !== 56) b.push(0)
  const hi = Math.floor(bits / 4294967296)
  for (let i = 24; i >= 0; i -= 8) b.push(hi >>> i & 255)
  for (let i = 24; i >= 0; i -= 8) b.push(bits >>> i & 255)
  const h = H0.slice()
  const w = []
  for (let j = 0; j < b.length; j += 64) {
    for (let i = 0; i < 64; i++) {
      if (i < 16) {
        w[i] = b[j + 4 * i] << 24 | b[j + 4 * i + 1] << 16 | b[j + 4 * i + 2] << 8 | b[j + 4 * i + 3]
      } else {
        const x = w[i - 15]
        const y = w[i - 2]
        w[i] = (ror(x, 7) ^ ror(x, 18) ^ x >>> 3) + w[i - 16] + (ror(y, 17) ^ ror(y, 19) ^ y >>> 10) + w[i - 7] | 0
      }
    }
    const v = h.slice()
    for (let i = 0; i < 64; i++) {
      const e = v[4]
      const a = v[0]
      const t1 = v[7] + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + (e & v[5] ^ ~e & v[6]) + K[i] + w[i] | 0
      const t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + (a & v[1] ^ a & v[2] ^ v[1] & v[2]) | 0
      v.pop()
      v.unshift(t1 + t2 | 0)
      v[4] = v[4] + t1 | 0
    }
    for (let i = 0; i < 8; i++) h[i] = h[i] + v[i] | 0
  }
  const out = []
  h.forEach(function (x) { out.push(x >>> 24, x >>> 16 & 255, x >>> 8 & 255, x & 255) })
  return out
}

function hmac(key, msg) {
  const k = key.length > 64 ? sha256(key) : key.slice()
  while (k.length < 64) k.push(0)
  return sha256(k.map(function (x) { return x ^ 92 }).concat(sha256(k.map(function (x) { return x ^ 54 }).concat(msg))))
}

function hex(bytes) {
  return bytes.map(function (x) { return (x < 16 ? '0' : '') + x.toString(16) }).join('')
}

// utf8 returns the UTF-8 bytes of a string.
function utf8(s) {
  const bin = unescape(encodeURIComponent(s))
  const out = []
  for (let i = 0; i < bin.length; i++) out.push(bin.charCodeAt(i))
  return out
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

// keyBytes decodes a signing_key (unpadded base64url) into its 32 bytes.
function keyBytes(s) {
  const out = []
  let acc = 0
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const v = ALPHABET.indexOf(s[i])
    if (v < 0) throw new InputError('malformed_signing_key', 'wxgate: the signing_key is not unpadded base64url; log in again')
    acc = (acc << 6 | v) & 4095
    n += 6
    if (n >= 8) { n -= 8; out.push(acc >> n & 255) }
  }
  return out
}

// normalize writes a path segment, query name or value in normal form.
function normalize(s) {
  return s.replace(/%([0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~%]+/g, function (m, h) {
    if (h) {
      const c = String.fromCharCode(parseInt(h, 16))
      return /[A-Za-z0-9\-._~]/.test(c) ? c : '%' + h.toUpperCase()
    }
    return encodeURIComponent(m).replace(/[!'()*]/g, function (c) { return '%' + c.charCodeAt(0).toString(16).toUpperCase() })
  })
}

function canonicalQuery(q) {
  const pairs = []
  q.split('&').forEach(function (p) {
    if (!p) return
    const i = p.indexOf('=')
    pairs.push([i < 0 ? p : p.slice(0, i), i < 0 ? '' : p.slice(i + 1)].map(function (s) { return normalize(s.replace(/\+/g, '%20')) }))
  })
  pairs.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0 })
  return pairs.map(function (p) { return p.join('=') }).join('&')
}

// canonicalString returns the string a request's signature covers.
// pathAndQuery is what follows the host ("/api/orders?id=42"), body the
// exact string sent ('' for none).
function canonicalString(method, pathAndQuery, timestamp, nonce, body) {
  const u = pathAndQuery.split('#')[0]
  const q = u.indexOf('?')
  const path = q < 0 ? u : u.slice(0, q)
  return [method, path ? path.split('/').map(normalize).join('/') : '/', canonicalQuery(q < 0 ? '' : u.slice(q + 1)),
    String(timestamp), nonce, hex(sha256(utf8(body)))].join('\n')
}

let seq = 0
function nonce() {
  let s = (seq++).toString(36) + '-'
  while (s.length < 24) s += ALPHABET[Math.floor(Math.random() * 64)]
  return s
}

// signHeaders returns the three signing headers of a request at the time
// nowMs (the gateway's clock, in milliseconds).
function signHeaders(signingKey, method, pathAndQuery, body, nowMs, n) {
  const ts = Math.floor(nowMs / 1000)
  n = n || nonce()
  return {
    'X-Wxgate-Timestamp': String(ts),
    'X-Wxgate-Nonce': n,
    'X-Wxgate-Signature': hex(hmac(keyBytes(signingKey), utf8(canonicalString(method, pathAndQuery, ts, n, body)))),
  }
}

// ---- platforms -----------------------------------------------------------------

function headerOf(h, name) {
  for (const k in h || {}) if (k.toLowerCase() === name) return String(h[k])
  return ''
}

// call runs a callback-style API (wx.*, uni.*, Taro.*) as a promise.
function call(x, fn, opts) {
  return new Promise(function (resolve, reject) {
    const r = x[fn](Object.assign({}, opts, { success: resolve, fail: reject }))
    // Taro (and uni-app without callbacks) also return a promise: the
    // callbacks settle ours, so its rejection is not left unhandled.
    if (r && typeof r.then === 'function') r.then(null, function () {})
  })
}

// adapter turns the wx, uni or Taro object into what the client uses.
function adapter(x, name) {
  if (!x || typeof x.login !== 'function') {
    throw new InputError('no_platform', 'wxgate: ' + name + ' is not available here; pass platform: adapters.wx(wx), adapters.uni(uni) or adapters.taro(Taro)')
  }
  return {
    name: name,
    login: function () {
      return call(x, 'login', {}).then(function (r) {
        if (!r || !r.code) throw new AuthError('no_code', 'wxgate: ' + name + '.login gave no code: ' + (r && r.errMsg))
        return r.code
      })
    },
    request: function (o) {
      return call(x, 'request', o).then(function (r) {
        return { statusCode: r.statusCode, data: r.data, header: r.header || r.headers || {} }
      })
    },
    uploadFile: function (o) {
      return call(x, 'uploadFile', o).then(function (r) {
        return { statusCode: r.statusCode, data: r.data, header: r.header || {} }
      })
    },
    checkSession: function () {
      return call(x, 'checkSession', {}).then(function () { return true }, function () { return false })
    },
    storage: {
      get: function (k) { return x.getStorageSync(k) },
      set: function (k, v) { return x.setStorageSync(k, v) },
      remove: function (k) { return x.removeStorageSync(k) },
    },
  }
}

const adapters = {
  wx: function (x) { return adapter(x || (typeof wx !== 'undefined' ? wx : null), 'wx') }, // eslint-disable-line no-undef
  uni: function (x) { return adapter(x || (typeof uni !== 'undefined' ? uni : null), 'uni') }, // eslint-disable-line no-undef
  taro: function (x) { return adapter(x, 'Taro') },
}

// ---- the client ------------------------------------------------------------------

const IDEMPOTENT = /^(GET|HEAD|OPTIONS|PUT|DELETE)$/
const MARGIN = 60000 // a token this close to its expiry is renewed first

function parse(d) {
  if (typeof d !== 'string') return d
  try { return JSON.parse(d) } catch (e) { return d }
}

function createClient(o) {
  o = o || {}
  if (!o.baseURL || !/^https?:\/\/[^/]+/.test(o.baseURL)) throw new InputError('missing_field', 'wxgate: set baseURL to the gateway\'s URL, e.g. https://login.example.com')
  if (!o.app) throw new InputError('missing_app', 'wxgate: set app to the gateway\'s name of this mini-program (apps[].name in its configuration)')
  const base = o.baseURL.replace(/\/+$/, '')
  const p = o.platform && o.platform.storage ? o.platform : o.platform ? adapter(o.platform, 'platform') : adapters.wx()
  const store = o.storage || p.storage
  const key = o.storageKey || 'wxgate:' + o.app
  const listeners = { login: [], logout: [] }
  let cur = null
  let loaded = null
  let pending = null
  let offset = 0

  function emit(ev, arg) { listeners[ev].slice().forEach(function (f) { f(arg) }) }
  function on(ev) {
    return function (f) {
      listeners[ev].push(f)
      return function () { listeners[ev] = listeners[ev].filter(function (g) { return g !== f }) }
    }
  }

  function noteClock(res) {
    const t = Date.parse(headerOf(res.header, 'date'))
    if (t) offset = t - Date.now()
  }

  // load reads the stored session once.
  function load() {
    if (!loaded) {
      loaded = Promise.resolve().then(function () { return store.get(key) }).then(function (v) {
        const s = parse(v)
        if (!cur && s && s.token && s.expiresAt > Date.now() + MARGIN) cur = s
      }, function () {})
    }
    return loaded
  }

  function save(s) {
    cur = s
    return Promise.resolve(s ? store.set(key, JSON.stringify(s)) : store.remove(key)).then(null, function () {})
  }

  // exchange is one HTTP request through the platform; it never retries.
  async function exchange(s, method, url, body, header) {
    const h = Object.assign({}, header)
    if (body && !headerOf(h, 'content-type')) h['Content-Type'] = 'application/json'
    if (s) {
      h.Authorization = 'Bearer ' + s.token
      if (s.signingKey && o.sign !== false) Object.assign(h, signHeaders(s.signingKey, method, url.replace(/^[a-z]+:\/\/[^/]*/i, ''), body, Date.now() + offset))
    }
    let res
    try {
      res = await p.request({ url: url, method: method, data: body, header: h, dataType: 'text', responseType: 'text' })
    } catch (e) {
      throw new NetworkError('network_error', 'wxgate: no answer from ' + url + ': ' + ((e && (e.errMsg || e.message)) || e), 0, { cause: e })
    }
    noteClock(res)
    return { statusCode: res.statusCode, data: parse(res.data), header: res.header }
  }

  async function doLogin() {
    const code = await p.login()
    const res = await exchange(null, 'POST', base + '/auth/miniprogram/login', JSON.stringify({ app: o.app, code: code }))
    const d = res.data
    if (res.statusCode !== 200 || !d || !d.token) throw toError(res.statusCode, d, res.header)
    await save({ token: d.token, expiresAt: Date.now() + d.expires_in * 1000, signingKey: d.signing_key || '', user: d.user })
    emit('login', d.user)
    return cur
  }

  // login logs in once for every caller waiting at the same time.
  function login(opts) {
    if (!pending) {
      pending = load().then(function () {
        return !(opts && opts.force) && cur && cur.expiresAt > Date.now() + MARGIN ? cur : doLogin()
      }).then(function (s) { pending = null; return s }, function (e) { pending = null; throw e })
    }
    return pending
  }

  function session() {
    return load().then(function () { return cur && cur.expiresAt > Date.now() + MARGIN ? cur : login() })
  }

  // expire forgets s unless a newer session already replaced it.
  async function expire(s, reason) {
    if (cur && cur.token === s.token) {
      await save(null)
      emit('logout', { reason: reason })
    }
  }

  async function request(r) {
    r = r || {}
    const method = (r.method || 'GET').toUpperCase()
    const idem = r.idempotent != null ? r.idempotent : IDEMPOTENT.test(method)
    const body = r.data == null ? '' : typeof r.data === 'string' ? r.data : JSON.stringify(r.data)
    const url = r.url || base + r.path
    let relogged = false
    let resigned = false
    let resent = false
    for (;;) {
      const s = r.auth === false ? null : await session()
      let res
      try {
        res = await exchange(s, method, url, body, r.header)
      } catch (e) {
        // The answer was lost: the request may have been processed.
        // Only an idempotent one is sent again.
        if (e instanceof NetworkError && idem && !resent) { resent = true; continue }
        if (e instanceof NetworkError) e.maybeProcessed = true
        throw e
      }
      if (res.statusCode === 401 && s) {
        // A 401 means the request was refused, not processed: resending
        // is safe whatever the method.
        const code = res.data && res.data.error
        if (code === 'bad_signature') {
          // Most often a clock far off: noteClock has just corrected it.
          if (!resigned) { resigned = true; continue }
        } else if (!relogged) {
          relogged = true
          await expire(s, 'expired')
          continue
        }
      }
      if (res.statusCode >= 400 || res.statusCode < 200) throw toError(res.statusCode, res.data, res.header)
      return res
    }
  }

  // post calls a gateway endpoint; a stale session_key logs in again (a
  // new wx.login) before the error reaches the caller, who fetches the
  // data again and resends it.
  async function post(path, data) {
    try {
      return (await request({ method: 'POST', path: path, data: data })).data
    } catch (e) {
      if (e instanceof SessionKeyStaleError || e.code === 'decrypt_failed') {
        await login({ force: true })
        e.relogged = true
      }
      throw e
    }
  }

  return {
    login: function (opts) { return login(opts).then(function (s) { return s.user }) },
    request: request,
    decrypt: function (detail) {
      if (!detail || !detail.encryptedData || !detail.iv) {
        return Promise.reject(new InputError('missing_field', 'wxgate: pass the event detail of the button (or wx.getUserProfile\'s answer), with encryptedData and iv'))
      }
      return post('/auth/miniprogram/decrypt', { encrypted_data: detail.encryptedData, iv: detail.iv }).then(function (d) { return d.data })
    },
    phone: function (code) {
      if (code && code.code) code = code.code
      if (!code) return Promise.reject(new InputError('missing_code', 'wxgate: pass the code of the getPhoneNumber button\'s event (e.detail.code)'))
      return post('/auth/miniprogram/phone', { code: code })
    },
    profile: async function (f) {
      f = f || {}
      const s = await session()
      if (!f.avatarFile) return post('/auth/profile', { nickname: f.nickname })
      const h = { Authorization: 'Bearer ' + s.token }
      let res
      try {
        res = await p.uploadFile({ url: base + '/auth/profile', filePath: f.avatarFile, name: 'avatar', formData: f.nickname ? { nickname: f.nickname } : {}, header: h })
      } catch (e) {
        throw new NetworkError('network_error', 'wxgate: the avatar upload got no answer: ' + ((e && e.errMsg) || e), 0, { maybeProcessed: true })
      }
      const d = parse(res.data)
      if (res.statusCode !== 200) throw toError(res.statusCode, d, res.header)
      return d
    },
    logout: async function () {
      await load()
      const s = cur
      if (!s) return
      await save(null)
      try { await exchange(s, 'POST', base + '/auth/logout', '') } catch (e) { /* the session is forgotten here either way */ }
      emit('logout', { reason: 'logout' })
    },
    checkSession: async function () {
      await load()
      return !!(cur && cur.expiresAt > Date.now() + MARGIN) && p.checkSession()
    },
    user: function () { return cur ? cur.user : null },
    onLogin: on('login'),
    onLogout: on('logout'),
  }
}

module.exports = {
  createClient: createClient,
  adapters: adapters,
  WxgateError: WxgateError,
  AuthError: AuthError,
  SessionKeyStaleError: SessionKeyStaleError,
  DecryptError: DecryptError,
  InputError: InputError,
  RateLimitError: RateLimitError,
  UnavailableError: UnavailableError,
  NetworkError: NetworkError,
  errorCodes: Object.keys(CLASS),
  signing: { canonicalString: canonicalString, signHeaders: signHeaders, sha256: sha256, hmac: hmac, hex: hex, utf8: utf8 },
}
