import { execFileSync } from 'node:child_process'
import path from 'node:path'
import t from 'tap'
import { heapGrowingFlag } from '../../src/heap-policy.ts'
import { loadConfig } from '../../src/config.ts'

t.test('the flag for a growth percentage; 0 leaves V8 its own policy', async (t) => {
  t.equal(heapGrowingFlag(100), '--heap-growing-percent=100')
  t.equal(heapGrowingFlag(0), null)
  t.throws(() => heapGrowingFlag(-1), RangeError)
  t.throws(() => heapGrowingFlag(1.5), RangeError)
  t.equal(loadConfig({}).LANELIST_HEAP_GROWING_PERCENT, 100)
  t.equal(loadConfig({ LANELIST_HEAP_GROWING_PERCENT: '0' }).LANELIST_HEAP_GROWING_PERCENT, 0)
  t.throws(() => loadConfig({ LANELIST_HEAP_GROWING_PERCENT: '-5' }), /LANELIST_HEAP_GROWING_PERCENT/)
})

// Node documents setting V8 flags after start-up as possibly doing nothing: this checks that on
// the running Node the setting does bound the heap (a Node upgrade that ignores it fails here).
t.test('set at run time, it bounds the garbage the old generation keeps', async (t) => {
  const root = path.resolve(import.meta.dirname, '../..')
  const peak = (percent: number) =>
    (JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', path.join(root, 'test/fixtures/heap-churn.mjs'), path.join(root, 'src/heap-policy.ts'), String(percent)], { cwd: root, encoding: 'utf8' })) as { peakMiB: number }).peakMiB
  const own = peak(0)
  const bounded = peak(100)
  t.ok(bounded < own * 0.8, `peak heap ${bounded} MiB with 100%, ${own} MiB with V8's own policy`)
})
