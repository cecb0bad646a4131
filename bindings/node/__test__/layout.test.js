// The shape of the package: no module uses another module's private names. JavaScript has two
// kinds: `#fields` (the language keeps them private) and the `_name` convention, which this test
// keeps to the module that defines the name.
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const pkg = path.join(__dirname, '..')
// A framework's own private names that an adapter must read, with the reason.
const FRAMEWORK_PRIVATE = new Set([
  // Express's body parsers set `req._body` once they have read the body.
  'express.js:_body',
])

function sources() {
  const files = fs.readdirSync(pkg).filter((f) => f.endsWith('.js') && f !== 'index.js')
  const bin = fs.readdirSync(path.join(pkg, 'bin')).map((f) => path.join('bin', f))
  return [...files, ...bin].sort()
}

// Names a module defines for itself: declarations, parameters, destructured names, members it
// sets on `this`, and members of object literals it writes.
function defined(text) {
  const names = new Set()
  const patterns = [
    /\b(?:const|let|var|function|class)\s+(_[A-Za-z0-9_$]+)/g,
    /\bthis\.(_[A-Za-z0-9_$]+)\s*=(?!=)/g,
    /[{,]\s*(_[A-Za-z0-9_$]+)\s*[:(]/g,
  ]
  for (const re of patterns) for (const m of text.matchAll(re)) names.add(m[1])
  return names
}

function privateUses(file, text) {
  const own = defined(text)
  const found = []
  const lines = text.split('\n')
  lines.forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, '')
    for (const m of code.matchAll(/require\((['"])\.{1,2}\/[^'"]+\1\)\.(_[A-Za-z0-9_$]+)/g)) {
      found.push(`${file}:${i + 1}: requires ${m[2]}`)
    }
    for (const m of code.matchAll(/\{([^}]*)\}\s*=\s*require\((['"])\.{1,2}\/[^'"]+\2\)/g)) {
      for (const name of m[1].split(',').map((s) => s.trim().split(/\s*:\s*/)[0])) {
        if (name.startsWith('_')) found.push(`${file}:${i + 1}: requires ${name}`)
      }
    }
    for (const m of code.matchAll(/(?<![A-Za-z0-9_$#])([A-Za-z_$][A-Za-z0-9_$]*)\??\.(_[A-Za-z0-9_$]+)/g)) {
      const [, owner, name] = m
      if (owner === 'this' || FRAMEWORK_PRIVATE.has(`${path.basename(file)}:${name}`)) continue
      if (!own.has(name)) found.push(`${file}:${i + 1}: uses ${owner}.${name}`)
    }
  })
  return found
}

test('no module uses another module’s private names', () => {
  const files = sources()
  assert.ok(files.length >= 10, files.join(', '))
  const found = files.flatMap((f) => privateUses(f, fs.readFileSync(path.join(pkg, f), 'utf8')))
  assert.deepEqual(found, [])
})

test('the private-name check finds what it looks for', () => {
  const sample = [
    "const { _newId, makeEvent } = require('./testing.js')",
    "const helper = require('./client.js')._internal",
    'function f(store, client) {',
    '  client._ownsHttp = false',
    '  return store._isAsync',
    '}',
  ].join('\n')
  assert.deepEqual(privateUses('sample.js', sample), [
    'sample.js:1: requires _newId',
    'sample.js:2: requires _internal',
    'sample.js:4: uses client._ownsHttp',
    'sample.js:5: uses store._isAsync',
  ])
})
