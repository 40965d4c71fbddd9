import { readFileSync } from 'node:fs'
import t from 'tap'
import { generateOpenApi, OPENAPI_FILE } from '../../src/openapi.ts'
import { problems } from '../../src/plugins/problem-registry.ts'

t.test('openapi/openapi.json is what the code generates (run npm run openapi)', async (t) => {
  const generated = await generateOpenApi()
  t.equal(readFileSync(OPENAPI_FILE, 'utf8'), generated)
})

t.test('every route outside ops declares its key and its error responses', async (t) => {
  const doc = JSON.parse(await generateOpenApi())
  for (const [route, methods] of Object.entries<Record<string, { security?: unknown; responses: Record<string, unknown> }>>(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (route.startsWith('/health')) continue
      t.ok(op.security, `${method} ${route} declares security`)
      t.ok(op.responses['401'], `${method} ${route} documents 401`)
    }
  }
})

t.test('every problem code is documented in docs/errors.md', async (t) => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
  for (const code of Object.keys(problems)) t.match(doc, code.replaceAll('_', '-'), code)
})
