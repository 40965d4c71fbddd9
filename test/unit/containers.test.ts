import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
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

t.test('docker-compose.yml scales: replicas publish no port, HAProxy finds them and checks readiness', async (t) => {
  const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'))
  const { lanelist, proxy } = compose.services
  t.notOk(lanelist.ports, 'no host port on the scaled service (replicas would collide on it)')
  t.same(proxy.ports, ['3000:3000'])
  t.same(proxy.depends_on, { lanelist: { condition: 'service_healthy' } })
  t.same(proxy.configs, [{ source: 'haproxy', target: '/usr/local/etc/haproxy/haproxy.cfg' }])
  const cfg: string = compose.configs.haproxy.content
  t.match(cfg, /option httpchk GET \/health\/ready/)
  t.match(cfg, /server-template \S+ 1-\d+ lanelist:3000 check resolvers docker/)
  t.match(cfg, /retry-on conn-failure/, 'a request already sent is never replayed on another replica')
  t.match(cfg, /log-format ".* %HM %HP"/, 'requests logged by path')
  const directives = cfg.split('\n').filter((line) => !line.trim().startsWith('#')).join('\n')
  t.notMatch(directives, /option httplog|%r\b|%HU|%HQ/, 'never with the query string (a card lookup carries the card number)')

  // HAProxy's own check of the file, as the container would load it.
  const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-haproxy-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(path.join(dir, 'haproxy.cfg'), cfg)
  const check = spawnSync('/usr/sbin/haproxy', ['-c', '-f', path.join(dir, 'haproxy.cfg')], { encoding: 'utf8' })
  t.equal(check.status, 0, `haproxy -c: ${check.stdout}${check.stderr}`)
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
