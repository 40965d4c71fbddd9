// Ops: readiness (the same probe the orchestrator uses), job queue depth and recent errors,
// refreshed every few seconds while the page is open.
import { api } from '../api.js'
import { count, h, notice, table, time, fill } from '../dom.js'
import { errorNotice } from '../ui.js'

const REFRESH_MS = 5000

async function readiness() {
  // Health routes take no key: ask exactly as a load balancer would.
  try {
    const res = await fetch('/health/ready', { cache: 'no-store', credentials: 'omit' })
    return { httpStatus: res.status, ...(await res.json()) }
  } catch {
    return { httpStatus: 0, status: 'not_ready', checks: null }
  }
}

export function render(view) {
  const updated = h('p', { class: 'muted', 'aria-live': 'off' })
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading…'))
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh now')
  view.append(h('div', { class: 'page-head' }, h('h1', null, 'Ops'), refresh), updated, body)

  let timer
  const load = async () => {
    clearTimeout(timer)
    const [ready, status] = await Promise.all([readiness(), api('/v1/ops/status').catch((err) => err)])
    const parts = [readySection(ready)]
    if (status instanceof Error) parts.push(errorNotice(status, 'Could not read the queue and errors'))
    else parts.push(queueSection(status), errorsSection(status))
    fill(body, ...parts)
    updated.textContent = `Updated ${time(new Date().toISOString())}; refreshes every ${REFRESH_MS / 1000} seconds.`
    timer = setTimeout(load, REFRESH_MS)
  }
  refresh.addEventListener('click', load)
  load()
  return () => clearTimeout(timer)
}

function readySection(r) {
  const ok = r.status === 'ready'
  const check = (label, value, good) => h('div', { class: 'card' }, h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat' }, h('span', { class: `badge ${good ? 'good' : 'bad'}` }, String(value))))
  return h('section', { class: 'block', 'aria-labelledby': 'ready-h' },
    h('h2', { id: 'ready-h' }, 'Readiness'),
    ok ? notice('Ready: the database is reachable and migrated.') : notice(`Not ready (HTTP ${r.httpStatus || 'no answer'}).`, 'error'),
    r.checks
      ? h('div', { class: 'cards' },
          check('Database', r.checks.database, r.checks.database === 'ok'),
          check('Migrations', r.checks.migrations, r.checks.migrations === 'ok'),
          check('Shutting down', r.checks.shuttingDown ? 'yes' : 'no', !r.checks.shuttingDown))
      : null)
}

function queueSection(s) {
  const t = s.queue.total
  const stat = (label, value, warn) => h('div', { class: 'card' }, h('div', { class: 'stat-label' }, label), h('div', { class: `stat ${warn ? 'warn' : ''}` }, value))
  return h('section', { class: 'block', 'aria-labelledby': 'queue-h' },
    h('h2', { id: 'queue-h' }, 'Job queue'),
    h('div', { class: 'cards' },
      stat('Waiting (due now)', count(t.ready)),
      stat('Running', count(t.running)),
      stat('Scheduled or backing off', count(t.scheduled)),
      stat('Failed, needs a person', count(t.failed)),
      stat('Oldest waiting job', s.queue.oldestReadySeconds === null ? 'none' : `${count(s.queue.oldestReadySeconds)} s`),
      stat('List runs in progress', count(s.listRuns.active))),
    table({
      caption: 'Queue depth per task',
      columns: [
        { label: 'Task', value: (r) => r.task, header: true },
        { label: 'Waiting', value: (r) => count(r.ready), num: true },
        { label: 'Running', value: (r) => count(r.running), num: true },
        { label: 'Scheduled', value: (r) => count(r.scheduled), num: true },
        { label: 'Retrying', value: (r) => count(r.retrying), num: true },
        { label: 'Failed', value: (r) => count(r.failed), num: true },
      ],
      rows: s.queue.tasks,
      empty: 'The queue is empty: every job is done.',
    }))
}

function errorsSection(s) {
  return h('section', { class: 'block', 'aria-labelledby': 'errors-h' },
    h('h2', { id: 'errors-h' }, 'Recent errors'),
    h('h3', null, 'Server errors answered by this instance'),
    table({
      caption: 'Newest first; find the full error in the log by its request id',
      columns: [
        { label: 'When', value: (e) => time(e.at) },
        { label: 'Request', value: (e) => `${e.method} ${e.route}` },
        { label: 'Status', value: (e) => e.status, num: true },
        { label: 'Message', value: (e) => e.message },
        { label: 'Request id', value: (e) => h('span', { class: 'mono' }, e.requestId) },
      ],
      rows: s.requestErrors,
      empty: 'No server errors since this instance started.',
    }),
    h('h3', null, 'Background jobs that failed'),
    table({
      caption: 'Jobs whose last attempt failed',
      columns: [
        { label: 'When', value: (e) => time(e.at) },
        { label: 'Task', value: (e) => e.task },
        { label: 'Attempts', value: (e) => `${e.attempts} of ${e.maxAttempts}`, num: true },
        { label: 'Error', value: (e) => e.error },
      ],
      rows: s.jobErrors,
      empty: 'No failing jobs.',
    }),
    h('h3', null, 'List runs with errors (last 7 days)'),
    table({
      caption: 'Runs that recorded an error',
      columns: [
        { label: 'Run', value: (e) => h('a', { href: `#/runs/${e.generationId}` }, `Run ${e.generationId}`) },
        { label: 'Status', value: (e) => e.status },
        { label: 'When', value: (e) => time(e.at) },
        { label: 'Error', value: (e) => e.error },
      ],
      rows: s.runErrors,
      empty: 'No run errors.',
    }))
}
