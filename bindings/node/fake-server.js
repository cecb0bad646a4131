// The loopback HTTP server of `FakeOneInbox#listen` (fake.js): it reads each request, asks the
// fake for the answer and writes it, or destroys the socket when the fake gives none.
'use strict'

const http = require('node:http')

// Listens on `host`:`port` and resolves to `{ server, url }`. `handle({ method, url, headers,
// body })` returns a FakeResponse or `null` (no answer).
/**
 * @param {(request: import('./testing').FakeRequest) => import('./testing').FakeResponse | null} handle
 * @param {number} port
 * @param {string} host
 * @returns {Promise<{ server: http.Server, url: string }>}
 */
async function serve(handle, port, host) {
  const server = http.createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      let response
      try {
        // A server's request always has its method and URL.
        const url = /** @type {string} */ (req.url)
        response = handle({ method: req.method, url, headers: req.headers, body: Buffer.concat(chunks) })
      } catch (err) {
        res.writeHead(500, { 'content-type': 'application/json' })
        const message = err !== null && typeof err === 'object' && 'message' in err ? err.message : undefined
        res.end(JSON.stringify({ detail: `FakeOneInbox: ${message ?? err}` }))
        return
      }
      if (response === null) {
        req.socket.destroy() // no answer: the client sees the connection close
        return
      }
      res.writeHead(response.status, { ...response.headers, 'content-length': String(response.body.length) })
      res.end(response.body)
    })
  })
  await new Promise(
    /** @type {(resolve: (value?: unknown) => void, reject: (reason: unknown) => void) => void} */ (resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    },
  )
  // Listening on a host and port: the address is an AddressInfo.
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())
  const name = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return { server, url: `http://${name}:${address.port}` }
}

module.exports = { serve }
