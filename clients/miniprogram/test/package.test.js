'use strict'
// The package itself: size budget, plain ES2017, no dependencies, types.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const acorn = require('acorn')
const { measure, BUDGET } = require('../scripts/size.js')
const lib = require('../index.js')

const root = path.join(__dirname, '..')
const src = fs.readFileSync(path.join(root, 'index.js'), 'utf8')

test('minified and gzipped, index.js fits the 6 KB budget', async () => {
  const m = await measure()
  assert.equal(BUDGET, 6144)
  assert.ok(m.gzipped <= BUDGET, m.gzipped + ' B > ' + BUDGET + ' B')
  assert.ok(m.minified < m.source)
})

test('index.js is ES2017 CommonJS without dependencies', () => {
  // acorn refuses syntax newer than the version it is given (object
  // spread, optional catch binding, ?. and ?? are ES2018+).
  acorn.parse(src, { ecmaVersion: 2017, sourceType: 'script' })
  assert.throws(() => acorn.parse('const a = {...b}', { ecmaVersion: 2017 }))
  assert.doesNotMatch(src, /require\(/, 'no require: the package has no dependencies')
  assert.doesNotMatch(src, /\.finally\(|Object\.fromEntries|\.flat\(|globalThis/, 'no ES2018+ library calls')
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))
  assert.equal(pkg.dependencies, undefined)
  assert.equal(pkg.main, 'index.js')
  assert.equal(pkg.types, 'index.d.ts')
})

test('index.d.ts declares every export and every error code', () => {
  const dts = fs.readFileSync(path.join(root, 'index.d.ts'), 'utf8')
  for (const name of Object.keys(lib)) assert.match(dts, new RegExp('export (declare )?(const|function|class|interface|type) ' + name + '\\b'), name)
  for (const code of lib.errorCodes) assert.ok(dts.includes("'" + code + "'"), code)
})

test('index.d.ts type-checks the quick starts (tsc --strict)', () => {
  const { execFileSync } = require('node:child_process')
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  try {
    execFileSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2017', '--moduleResolution', 'node', path.join(__dirname, 'types', 'usage.ts')], { encoding: 'utf8' })
  } catch (e) {
    assert.fail('tsc: ' + e.stdout + e.stderr)
  }
})
