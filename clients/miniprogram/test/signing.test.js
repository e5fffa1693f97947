'use strict'
// Request signing against the known-answer vectors shared with the Go
// tests (signing/testdata/vectors.json) and against Node's crypto.
const test = require('node:test')
const assert = require('node:assert/strict')
const crypto = require('node:crypto')
const path = require('node:path')
const { signing } = require('../index.js')

const vectors = require(path.join(__dirname, '..', '..', '..', 'signing', 'testdata', 'vectors.json'))

test('known-answer vectors of docs/signing.md', () => {
  assert.ok(vectors.requests.length >= 2)
  for (const v of vectors.requests) {
    assert.equal(signing.canonicalString(v.method, v.path_and_query, v.timestamp, v.nonce, v.body), v.canonical, v.name)
    const h = signing.signHeaders(vectors.key, v.method, v.path_and_query, v.body, Number(v.timestamp) * 1000, v.nonce)
    assert.equal(h['X-Wxgate-Timestamp'], v.timestamp)
    assert.equal(h['X-Wxgate-Nonce'], v.nonce)
    assert.equal(h['X-Wxgate-Signature'], v.signature, v.name)
  }
})

test('normal forms of paths and queries', () => {
  for (const v of vectors.normal_forms) {
    const lines = signing.canonicalString('GET', v.path + (v.query ? '?' + v.query : ''), '1', '0123456789abcdef', '').split('\n')
    assert.equal(lines[1], v.want_path, v.name)
    assert.equal(lines[2], v.want_query, v.name)
  }
})

test('SHA-256 and HMAC-SHA256 agree with node:crypto', () => {
  for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 200, 4096]) {
    const b = crypto.randomBytes(n)
    assert.equal(signing.hex(signing.sha256([...b])), crypto.createHash('sha256').update(b).digest('hex'), 'length ' + n)
    const k = crypto.randomBytes(n % 80)
    assert.equal(signing.hex(signing.hmac([...k], [...b])), crypto.createHmac('sha256', k).update(b).digest('hex'), 'hmac length ' + n)
  }
  const s = 'ä咖啡😀\u0000x'
  assert.deepEqual(signing.utf8(s), [...Buffer.from(s, 'utf8')])
})

test('every request gets a fresh, well-formed nonce', () => {
  const seen = new Set()
  for (let i = 0; i < 1000; i++) {
    const h = signing.signHeaders(vectors.key, 'GET', '/', '', Date.now())
    assert.match(h['X-Wxgate-Nonce'], /^[A-Za-z0-9_-]{16,64}$/)
    assert.match(h['X-Wxgate-Signature'], /^[0-9a-f]{64}$/)
    seen.add(h['X-Wxgate-Nonce'])
  }
  assert.equal(seen.size, 1000)
})

test('a malformed signing key is a clear error', () => {
  assert.throws(() => signing.signHeaders('not base64url!', 'GET', '/', '', 0), (e) => e.code === 'malformed_signing_key')
})
