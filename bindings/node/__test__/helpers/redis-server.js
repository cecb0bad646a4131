// Starts a throwaway redis-server on a free loopback port for the store tests, and stops it.
// Debian's `redis-server` (`.ci/run` installs it); where it is missing the tests that need it
// fail: they never skip.
'use strict'

const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' })
    let answer = ''
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1')
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'))
    })
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Resolves to `{ port, url, stop() }` once the server answers PING; throws if it cannot start. */
async function startRedis() {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error(
      'redis-server is not installed (the store tests need a real Redis server): ' + '`apt-get install redis-server` (.ci/run installs it)',
    )
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oneinbox-redis-'))
  let lastError = ''
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const logfile = path.join(dir, `redis-${port}.log`)
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--logfile',
        logfile,
        '--daemonize',
        'no',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    let exited = false
    child.once('exit', () => {
      exited = true
    })
    const deadline = Date.now() + 15_000
    while (!exited && Date.now() < deadline) {
      if (await ping(port)) {
        const stop = async () => {
          if (!exited) {
            const gone = new Promise((resolve) => child.once('exit', resolve))
            child.kill('SIGTERM')
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
            await gone
            clearTimeout(timer)
          }
          fs.rmSync(dir, { recursive: true, force: true })
        }
        return { port, url: `redis://127.0.0.1:${port}`, stop }
      }
      await sleep(20)
    }
    if (!exited) child.kill('SIGKILL')
    lastError = stderr + (fs.existsSync(logfile) ? fs.readFileSync(logfile, 'utf8') : '')
  }
  fs.rmSync(dir, { recursive: true, force: true })
  throw new Error(`redis-server did not start:\n${lastError.slice(-2000)}`)
}

/**
 * For a test file: a redis-server started before its tests and a connected node-redis client,
 * both closed after them. Returns an object whose `server` and `client` are set once started.
 */
function useRedis() {
  const { before, after } = require('node:test')
  const { createClient } = require('redis')
  const shared = { server: null, client: null }
  before(async () => {
    shared.server = await startRedis()
    shared.client = createClient({ url: shared.server.url })
    shared.client.on('error', () => {})
    await shared.client.connect()
  })
  after(async () => {
    await shared.client?.close()
    await shared.server?.stop()
  })
  return shared
}

module.exports = { startRedis, useRedis }
