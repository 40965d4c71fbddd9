// Serves the back-office console: plain HTML, CSS and ES modules from src/console, read once at
// start-up (no build step, no framework, nothing fetched at run time). The pages hold no data
// of their own and need no key; every figure they show comes from the JSON API with the key the
// person typed in, exactly as an integrator would call it.
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { AppError } from '../../lib/errors.ts'
import { CONSOLE_HEADERS } from './console-headers.ts'

export const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url))

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

interface Asset {
  body: Buffer
  type: string
  etag: string
}

async function loadAssets(dir: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>()
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const type = TYPES[path.extname(entry.name)]
    if (!type) continue
    const full = path.join(entry.parentPath, entry.name)
    const body = await readFile(full)
    const rel = path.relative(dir, full).split(path.sep).join('/')
    assets.set(rel, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` })
  }
  return assets
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset) {
  reply.headers(CONSOLE_HEADERS).header('etag', asset.etag)
  if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send()
  return reply.type(asset.type).send(asset.body)
}

export const consoleRoutes: FastifyPluginAsync<{ dir?: string }> = async (app, opts) => {
  const assets = await loadAssets(opts.dir ?? CONSOLE_DIR)
  const index = assets.get('index.html')
  if (!index) throw new Error(`console: index.html missing in ${opts.dir ?? CONSOLE_DIR}`)

  // Whoever opens the service's address in a browser lands on the console, not on a 404.
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console', 302))
  app.get('/console', { schema: { hide: true } }, (request, reply) => send(request, reply, index))
  app.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true } }, (request, reply) => {
    const asset = request.params['*'] === '' ? index : assets.get(request.params['*'])
    if (!asset) throw new AppError('not_found', `the console has no file ${request.params['*'].slice(0, 100)}`)
    return send(request, reply, asset)
  })
}
