// Starts a throwaway PostgreSQL server on a free loopback port for the store tests, and stops it.
// Debian's `postgresql` package (`.ci/run` installs it): the newest /usr/lib/postgresql/*/bin.
// The server refuses to run as root, so as root `initdb` and `pg_ctl` run as the `postgres` user
// through `runuser`, over a data directory that user owns. Where it is missing the tests that
// need it fail: they never skip. (The same as tests/postgres_server.py on the Python side.)
'use strict'

const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const net = require('node:net')
const os = require('node:os')
const path = require('node:path')

const USER = 'oneinbox'
const DATABASE = 'oneinbox'

function binDir() {
  const root = '/usr/lib/postgresql'
  const versions = (fs.existsSync(root) ? fs.readdirSync(root) : [])
    .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number.parseFloat(a) - Number.parseFloat(b))
  if (versions.length === 0) {
    throw new Error(
      'PostgreSQL is not installed (the Postgres store tests need a real server): `apt-get install postgresql` (.ci/run installs it)',
    )
  }
  return path.join(root, versions[versions.length - 1], 'bin')
}

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

/** Resolves to `{ port, dsn, newDatabase(), stop() }` once the server runs; throws if it cannot. */
async function startPostgres() {
  const bin = binDir()
  const root = process.getuid?.() === 0
  const asUser = root ? ['runuser', '-u', 'postgres', '--'] : []
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'oneinbox-pg-'))
  if (root) {
    const { uid, gid } = userIds('postgres')
    fs.chownSync(base, uid, gid)
  }
  const data = path.join(base, 'data')
  const run = (argv) => {
    const [exe, ...args] = [...asUser, ...argv]
    const done = spawnSync(exe, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    if (done.error || done.status !== 0) {
      const output = `${done.error ?? ''}${done.stdout ?? ''}${done.stderr ?? ''}`
      throw new Error(`${path.basename(argv[0])} failed:\n${output.slice(-2000)}`)
    }
  }
  run([path.join(bin, 'initdb'), '-A', 'trust', '-U', USER, '-E', 'UTF8', '-D', data])
  let lastError = ''
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort()
    const options = `-p ${port} -k ${base} -c listen_addresses=127.0.0.1 -c fsync=off`
    const log = path.join(base, `postgres-${port}.log`)
    try {
      run([path.join(bin, 'pg_ctl'), '-D', data, '-l', log, '-o', options, '-w', '-t', '30', 'start'])
    } catch (err) {
      lastError = `${err.message}${fs.existsSync(log) ? fs.readFileSync(log, 'utf8').slice(-2000) : ''}`
      continue
    }
    let created = 0
    const createdb = (name) => run([path.join(bin, 'createdb'), '-h', '127.0.0.1', '-p', String(port), '-U', USER, name])
    createdb(DATABASE)
    return {
      port,
      dsn: `postgresql://${USER}@127.0.0.1:${port}/${DATABASE}`,
      /** A new empty database (a test's own tables): its DSN. */
      newDatabase() {
        created += 1
        const name = `node_${process.pid}_${created}`
        createdb(name)
        return `postgresql://${USER}@127.0.0.1:${port}/${name}`
      },
      stop() {
        const [exe, ...args] = [...asUser, path.join(bin, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']
        spawnSync(exe, args, { stdio: 'ignore' })
        fs.rmSync(base, { recursive: true, force: true })
      },
    }
  }
  fs.rmSync(base, { recursive: true, force: true })
  throw new Error(`PostgreSQL did not start:\n${lastError}`)
}

function userIds(name) {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`))
  if (!line) throw new Error(`no user ${name}: PostgreSQL runs as it (install the postgresql package)`)
  const [, , uid, gid] = line.split(':')
  return { uid: Number(uid), gid: Number(gid) }
}

module.exports = { startPostgres }
