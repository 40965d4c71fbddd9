import { readFileSync } from 'node:fs'
import t from 'tap'
import { parse } from 'yaml'

// No Docker engine runs where the suite runs; these checks keep the files parseable and wired.
const root = new URL('../../', import.meta.url)

t.test('docker-compose.yml wires lanelist to PostgreSQL with healthchecks', async (t) => {
  const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'))
  const { postgres, lanelist } = compose.services
  t.ok(postgres.healthcheck && lanelist.healthcheck, 'both services have healthchecks')
  t.match(lanelist.environment.DATABASE_URL, /@postgres:5432\//)
  t.same(lanelist.depends_on, { postgres: { condition: 'service_healthy' } })
  t.match(lanelist.healthcheck.test.join(' '), /health\/ready/)
})

t.test('Dockerfile is multi-stage, production-only, non-root, with a healthcheck', async (t) => {
  const docker = readFileSync(new URL('Dockerfile', root), 'utf8')
  t.equal(docker.match(/^FROM /gm)?.length, 2)
  t.match(docker, /npm ci --omit=dev/)
  t.match(docker, /^USER node$/m)
  t.match(docker, /^HEALTHCHECK /m)
  t.match(docker, /CMD \["node", "--import", "tsx", "src\/server.ts"\]/)
  for (const dir of ['src', 'migrations']) t.match(docker, new RegExp(`COPY ${dir} `))
})
