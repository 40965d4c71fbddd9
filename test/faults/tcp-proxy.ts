// A TCP proxy between the service and PostgreSQL that a test can break the way networks and
// servers break: 'down' resets every connection and refuses new ones (a database restart or
// crash), 'blackhole' keeps connections open but passes nothing (a partition), 'up' heals.
import net from 'node:net'

export type ProxyMode = 'up' | 'down' | 'blackhole'

export interface TcpProxy {
  port: number
  set(mode: ProxyMode): void
  close(): Promise<void>
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: ProxyMode = 'up'
  const pairs = new Set<{ client: net.Socket; server: net.Socket }>()
  const server = net.createServer((client) => {
    if (mode !== 'up') {
      // Refused for 'down'; for 'blackhole' the connection hangs, as a SYN to a dead route does.
      if (mode === 'down') client.resetAndDestroy()
      else pairs.add({ client, server: new net.Socket() })
      return
    }
    const upstream = net.connect(target.port, target.host)
    const pair = { client, server: upstream }
    pairs.add(pair)
    const forward = (from: net.Socket, to: net.Socket) =>
      from.on('data', (d) => {
        if (mode === 'up') to.write(d)
      })
    forward(client, upstream)
    forward(upstream, client)
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    set(next) {
      const healing = mode === 'blackhole' && next === 'up'
      mode = next
      // What passed into the void is lost: connections from before the partition are reset when
      // it heals (their server gave up on them), new ones work.
      if (next === 'down' || healing) {
        for (const p of pairs) {
          p.client.resetAndDestroy()
          p.server.destroy()
        }
        pairs.clear()
      }
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy()
        p.server.destroy()
      }
      await new Promise((r) => server.close(r))
    },
  }
}
