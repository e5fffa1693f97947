'use strict'
// size.js prints (and, with --check, enforces) the size of index.js once
// minified with terser and gzipped: the budget is 6 KB (6144 bytes), as a
// mini-program's whole package is capped at 2 MB.
const fs = require('fs')
const path = require('path')
const zlib = require('zlib')
const { minify } = require('terser')

const BUDGET = 6144

async function measure() {
  const src = fs.readFileSync(path.join(__dirname, '..', 'index.js'), 'utf8')
  const out = await minify(src, { ecma: 2017, module: false, compress: { passes: 2 }, mangle: true })
  const gz = zlib.gzipSync(out.code, { level: 9 })
  return { source: Buffer.byteLength(src), minified: Buffer.byteLength(out.code), gzipped: gz.length, budget: BUDGET }
}

module.exports = { measure, BUDGET }

if (require.main === module) {
  measure().then(function (m) {
    console.log('index.js: ' + m.source + ' B source, ' + m.minified + ' B minified, ' + m.gzipped + ' B minified+gzipped (budget ' + m.budget + ' B)')
    if (process.argv.includes('--check') && m.gzipped > m.budget) {
      console.error('over budget by ' + (m.gzipped - m.budget) + ' B: make index.js smaller')
      process.exit(1)
    }
  }, function (e) { console.error(e); process.exit(2) })
}
