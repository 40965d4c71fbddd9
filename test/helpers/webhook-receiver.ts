// A real HTTP receiver on loopback for webhook tests: records every request with its raw body
// and answers as the test tells it (status, delay), per request.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

interface Tap {
  teardown(fn: () => unknown): void
}

export interface Received {
  at: number
  path: string
  headers: IncomingHttpHeaders
  body: string
}

export interface Reply {
  status?: number
  delayMs?: number
}

export interface Receiver {
  url: string
  received: Received[]
  /** Decides each answer; the default answers 200 at once. */
  respond: (req: Received, index: number) => Reply
}

export async function startReceiver(t: Tap, respond: Receiver['respond'] = () => ({ status: 200 })): Promise<Receiver> {
  const receiver: Receiver = { url: '', received: [], respond }
  const timers = new Set<NodeJS.Timeout>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r: Received = { at: Date.now(), path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      const index = receiver.received.push(r) - 1
      const reply = receiver.respond(r, index)
      const send = () => {
        if (res.destroyed) return
        res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain' }).end('ok')
      }
      if (reply.delayMs) {
        const timer = setTimeout(() => {
          timers.delete(timer)
          send()
        }, reply.delayMs)
        timers.add(timer)
      } else send()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  t.teardown(async () => {
    for (const timer of timers) clearTimeout(timer)
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return receiver
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
