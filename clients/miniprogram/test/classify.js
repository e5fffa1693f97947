'use strict'
// classify.js: reads [{code, status}] on stdin and prints, for each code,
// the class of the error the client raises for such an answer, and whether
// index.js names the code. Used by miniprogram_test.go.
const { createClient, adapters, errorCodes } = require('../index.js')

let input = ''
process.stdin.on('data', (d) => { input += d })
process.stdin.on('end', async () => {
  const out = {}
  for (const { code, status } of JSON.parse(input)) {
    const wx = {
      login: (o) => o.success({ code: 'c' }),
      request: (o) => o.success({ statusCode: status, data: JSON.stringify({ error: code, message: 'm' }), header: {} }),
      getStorageSync: () => '',
      setStorageSync: () => {},
      removeStorageSync: () => {},
    }
    try {
      await createClient({ baseURL: 'https://gw.example.com', app: 'a', platform: adapters.wx(wx) }).login()
      out[code] = { class: 'none', named: errorCodes.includes(code) }
    } catch (e) {
      out[code] = { class: e.code === code ? e.name : 'wrong code ' + e.code, named: errorCodes.includes(code) }
    }
  }
  process.stdout.write(JSON.stringify(out))
})
