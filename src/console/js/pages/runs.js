// List runs: start one, watch it progress live, export its lists (NDJSON) and print them all.
import { api, download } from '../api.js'
import { announce, count, day, field, h, notice, table, time, today, fill } from '../dom.js'
import { busy, errorNotice, showPrintable } from '../ui.js'

const POLL_MS = 1000
const FINISHED = new Set(['succeeded', 'failed'])

const statusBadge = (s) =>
  h('span', { class: `badge ${s === 'succeeded' ? 'good' : s === 'failed' ? 'bad' : 'warn'}` }, s)

export function render(view, { params: [runId] }) {
  return runId ? renderRun(view, runId) : renderIndex(view)
}

function renderIndex(view) {
  const asOf = h('input', { type: 'date', id: 'run-asof', value: today(), required: true })
  const force = h('input', { type: 'checkbox', id: 'run-force' })
  const ids = h('textarea', { id: 'run-ids', rows: '2', spellcheck: 'false' })
  const status = h('div', { 'aria-live': 'polite' })
  const start = h('button', { type: 'submit' }, 'Start run')
  const form = h('form', { class: 'card', novalidate: true },
    h('h2', null, 'Start a run'),
    h('div', { class: 'row' },
      field({ label: 'First day of the lists', hint: 'Lists are valid 14 days', input: asOf, className: 'narrow' }),
      field({ label: 'Only these customer ids (optional)', hint: 'Separated by spaces, commas or new lines; empty = every customer', input: ids })),
    h('div', { class: 'choices' }, h('label', null, force, 'Also redo customers whose list is still current')),
    start, status)
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const customerIds = ids.value.split(/[\s,;]+/).filter(Boolean)
    busy(start, status, async () => {
      const res = await api('/v1/list-generations', {
        method: 'POST',
        body: { asOf: asOf.value, ...(force.checked ? { force: true } : {}), ...(customerIds.length ? { customerIds } : {}) },
      })
      announce(`Run ${res.id} started`)
      location.hash = `#/runs/${res.id}`
    })
  })

  const list = h('div', null, h('p', { class: 'loading' }, 'Loading runs…'))
  view.append(h('h1', null, 'List runs'),
    h('p', null, 'A run makes a personal list for every eligible customer, highest-value customers first so shared budgets go where they earn most. Runs continue in the background; you can leave this page.'),
    form, h('h2', null, 'Recent runs'), list)

  let timer
  const load = async () => {
    try {
      const page = await api('/v1/list-generations?limit=20')
      fill(list, runsTable(page.items))
      if (page.items.some((r) => !FINISHED.has(r.status))) timer = setTimeout(load, POLL_MS * 2)
    } catch (err) {
      fill(list, errorNotice(err, 'Could not load the runs'))
    }
  }
  load()
  return () => clearTimeout(timer)
}

function runsTable(runs) {
  return table({
    caption: 'Newest first',
    columns: [
      { label: 'Run', value: (r) => h('a', { href: `#/runs/${r.id}` }, `Run ${r.id}`), header: true },
      { label: 'Lists from', value: (r) => day(r.asOf) },
      { label: 'Status', value: (r) => statusBadge(r.status) },
      { label: 'Done', value: (r) => `${count(r.done)} of ${count(r.total)}`, num: true },
      { label: 'Lists made', value: (r) => count(r.listsCreated), num: true },
      { label: 'Skipped', value: (r) => count(r.skipped.notEligible + r.skipped.listStillCurrent), num: true },
      { label: 'Started', value: (r) => time(r.startedAt ?? r.createdAt) },
    ],
    rows: runs,
    empty: 'No runs yet.',
  })
}

function renderRun(view, id) {
  const progress = h('progress', { max: '1', value: '0', id: 'run-progress', 'aria-describedby': 'run-progress-text' })
  const text = h('p', { id: 'run-progress-text', class: 'stat' }, 'Loading…')
  const live = h('p', { 'aria-live': 'polite', class: 'muted' })
  const details = h('div')
  const status = h('div', { 'aria-live': 'polite' })
  const exportBtn = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Export lists (NDJSON)')
  const printBtn = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Print all lists')
  exportBtn.addEventListener('click', () => busy(exportBtn, status, async () => {
    const blob = await download(`/v1/list-generations/${id}/lists`, `lanelist-run-${id}.ndjson`, 'application/x-ndjson')
    fill(status, notice(`Downloaded lanelist-run-${id}.ndjson (${count(blob.size)} bytes).`))
  }))
  printBtn.addEventListener('click', () => busy(printBtn, status, () => showPrintable(`/v1/list-generations/${id}/print`, `All lists of run ${id}`)))

  view.append(h('p', null, h('a', { href: '#/runs' }, '← All runs')), h('h1', null, `Run ${id}`),
    h('div', { class: 'card' }, h('label', { for: 'run-progress' }, 'Progress'), progress, text, live),
    details, h('div', { class: 'actions' }, exportBtn, printBtn), status)

  let timer
  let lastStatus
  const load = async () => {
    let run
    try {
      run = await api(`/v1/list-generations/${id}`)
    } catch (err) {
      fill(details, err.status === 404 ? notice(`There is no run ${id}.`, 'error') : errorNotice(err, 'Could not load the run'))
      return
    }
    progress.max = Math.max(run.total, 1)
    progress.value = FINISHED.has(run.status) && run.total === 0 ? 1 : run.done
    text.textContent = `${run.status === 'succeeded' ? 'Finished' : run.status === 'failed' ? 'Failed' : run.status === 'queued' ? 'Waiting to start' : 'Running'}: ${count(run.done)} of ${count(run.total)} customers`
    if (run.status !== lastStatus) {
      live.textContent = `Run ${id} ${{ queued: 'is waiting to start', running: 'is running', succeeded: 'has finished', failed: 'has failed' }[run.status] ?? run.status}.`
      lastStatus = run.status
    }
    fill(details, 
      h('div', { class: 'cards' },
        stat('Status', statusBadge(run.status)),
        stat('Lists made', count(run.listsCreated)),
        stat('Skipped: below the spend threshold', count(run.skipped.notEligible)),
        stat('Skipped: list still current', count(run.skipped.listStillCurrent))),
      h('dl', { class: 'facts' },
        h('dt', null, 'Lists valid from'), h('dd', null, day(run.asOf)),
        h('dt', null, 'Customers'), h('dd', null, run.customerIds ? `${count(run.customerIds.length)} chosen` : 'everyone'),
        h('dt', null, 'Redo current lists'), h('dd', null, run.force ? 'yes' : 'no'),
        h('dt', null, 'Requested'), h('dd', null, time(run.createdAt)),
        h('dt', null, 'Started'), h('dd', null, time(run.startedAt)),
        h('dt', null, 'Finished'), h('dd', null, time(run.finishedAt))),
      run.error ? notice(`${run.status === 'failed' ? 'The run failed' : 'The last attempt failed and will be retried'}: ${run.error}`, 'error') : null,
    )
    const finished = FINISHED.has(run.status)
    exportBtn.disabled = printBtn.disabled = !(finished && run.listsCreated > 0)
    if (!finished) timer = setTimeout(load, POLL_MS)
  }
  load()
  return () => clearTimeout(timer)
}

const stat = (label, value) => h('div', { class: 'card' }, h('div', { class: 'stat-label' }, label), h('div', { class: 'stat' }, value))
