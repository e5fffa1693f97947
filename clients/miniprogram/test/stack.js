'use strict'
// stack.js: the gateway and emulator the Go test (miniprogram_test.go)
// started, given in the environment.
const { createWx } = require('./shim.js')

const gatewayURL = process.env.WXGATE_URL
const emulatorURL = process.env.WXGATE_EMULATOR_URL
const apps = process.env.WXGATE_APPS ? JSON.parse(process.env.WXGATE_APPS) : {}
// skip is the reason the tests that need the stack cannot run; the Go test
// always sets the environment and fails on any skipped test.
const skip = gatewayURL && emulatorURL ? false : 'needs a gateway and emulator: run `go test ./clients/miniprogram`'

let n = 0
// newUser creates an emulator user and returns a wx shim for them.
async function newUser(app, fields) {
  const res = await fetch(emulatorURL + '/_emulator/users', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(Object.assign({ nickname: 'User ' + (++n) + ' ' + process.pid, phone: '1380013' + String(1000 + n).slice(-4) }, fields)),
  })
  const u = await res.json()
  if (res.status !== 201) throw new Error('creating a user: ' + JSON.stringify(u))
  const wx = createWx({ emulatorURL: emulatorURL, appid: apps[app], userId: u.user_id })
  wx.userId = u.user_id
  return wx
}

// logins returns the number of successful gateway logins per app so far.
async function logins(app) {
  const res = await fetch(gatewayURL + '/_test/logins')
  return (await res.json())[app] || 0
}

// raw sends a request to the gateway without the client.
async function raw(method, path, token, body) {
  const headers = {}
  if (token) headers.Authorization = 'Bearer ' + token
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(gatewayURL + path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  let data = text
  try { data = JSON.parse(text) } catch (e) { /* not JSON */ }
  return { status: res.status, data: data }
}

module.exports = { gatewayURL, emulatorURL, apps, skip, newUser, logins, raw }
