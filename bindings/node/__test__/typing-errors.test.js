// Misuse that `tsc --strict` must reject: typing-errors/*.ts mark each line that must fail with
// `// E: <code> <text>`; tsc must report exactly those lines, each with that code and a message
// containing that text (typing.ts has the right usage, and `@ts-expect-error` lines of its own).
// Checked with TypeScript 5.9, 6 and 7 (devDependencies typescript, typescript-6, typescript-7).
'use strict'

const { test } = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')
const DIR = path.join(__dirname, 'typing-errors')

function compile(typescript) {
  // TypeScript 7's package.json "exports" hides bin/tsc from require.resolve; the file is there.
  const tsc = path.join(ROOT, 'node_modules', typescript, 'bin', 'tsc')
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(DIR, 'tsconfig.json'), '--pretty', 'false'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  } catch (err) {
    // Errors found: TypeScript 5.9 and 6 exit 2, TypeScript 7 exits 1 (a crash would print no diagnostics).
    assert.ok(err.status === 1 || err.status === 2, `tsc exited ${err.status}: ${err.stdout}${err.stderr}`)
    return err.stdout
  }
  assert.fail('tsc accepted every misuse in typing-errors/')
}

// { 'router.ts:8': [{ code, message }] }, the message with its indented continuation lines.
function parseErrors(output) {
  const errors = {}
  let last = null
  for (const line of output.split('\n')) {
    const m = /^(?:.*\/)?typing-errors\/([\w.-]+)\((\d+),\d+\): error (TS\d+): (.*)$/.exec(line.replace(/\\/g, '/'))
    if (m) {
      last = { code: m[3], message: m[4] }
      ;(errors[`${m[1]}:${m[2]}`] ??= []).push(last)
    } else if (last && line.startsWith(' ')) {
      last.message += `\n${line.trim()}`
    } else if (line.trim() !== '') {
      assert.fail(`unexpected tsc output: ${line}`)
    }
  }
  return errors
}

function expectedErrors() {
  const { files } = JSON.parse(fs.readFileSync(path.join(DIR, 'tsconfig.json'), 'utf8'))
  const expected = {}
  for (const file of files) {
    fs.readFileSync(path.join(DIR, file), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const m = /\/\/ E: (TS\d+) (.*)$/.exec(line)
        if (m) expected[`${file}:${i + 1}`] = { code: m[1], text: m[2] }
      })
  }
  return expected
}

for (const typescript of ['typescript', 'typescript-6', 'typescript-7']) {
  test(`tsc (${typescript}) rejects each marked misuse with the expected error, and nothing else`, () => {
    check(parseErrors(compile(typescript)))
  })
}

function check(errors) {
  const expected = expectedErrors()
  assert.ok(Object.keys(expected).length >= 10)
  assert.deepEqual(Object.keys(errors).sort(), Object.keys(expected).sort())
  for (const [where, { code, text }] of Object.entries(expected)) {
    assert.ok(
      errors[where].some((e) => e.code === code && e.message.includes(text)),
      `${where}: expected ${code} with ${JSON.stringify(text)}, got ${JSON.stringify(errors[where])}`,
    )
  }
}
