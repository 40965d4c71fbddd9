// Where the service allocated during a `BENCH_TRACE=DIR BENCH_ALLOC=1 npm run bench:redeem` run:
// the sampled bytes by function (self) and by the nearest function of src/ on the stack.
//   node --import tsx bench/alloc-report.ts DIR [sales]
import { readdirSync, readFileSync } from 'node:fs'

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children: Node[] }
const dir = process.argv[2]!
const sales = Number(process.argv[3] ?? NaN)
for (const f of readdirSync(dir).filter((f) => f.endsWith('.heapprofile'))) {
  const { head, samples } = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as { head: Node; samples: { size: number; nodeId: number }[] }
  const byId = new Map<number, { node: Node; stack: Node[] }>()
  const walk = (n: Node, stack: Node[]) => {
    const s = [...stack, n]
    byId.set(n.id, { node: n, stack: s })
    for (const c of n.children) walk(c, s)
  }
  walk(head, [])
  const short = (u: string) => u.replace(/^.*node_modules\//, '').replace(/^.*\/src\//, 'src/').replace(/^file:\/\//, '')
  const self = new Map<string, number>()
  const inSrc = new Map<string, number>()
  let total = 0
  for (const { size, nodeId } of samples) {
    const e = byId.get(nodeId)
    if (!e) continue
    total += size
    const cf = e.node.callFrame
    const key = `${cf.functionName || '(anonymous)'} ${short(cf.url)}:${cf.lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + size)
    const src = [...e.stack].reverse().find((n) => /\/src\//.test(n.callFrame.url) && !/node_modules/.test(n.callFrame.url))
    const sk = src ? `${src.callFrame.functionName || '(anonymous)'} ${short(src.callFrame.url)}:${src.callFrame.lineNumber + 1}` : '(no src frame: framework, pg, GC of startup)'
    inSrc.set(sk, (inSrc.get(sk) ?? 0) + size)
  }
  const mb = (b: number) => `${(b / 1048576).toFixed(0)} MB`
  console.log(`${f}: ${mb(total)} sampled${Number.isFinite(sales) ? `, ${(total / sales / 1024).toFixed(0)} kB per sale` : ''}`)
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n')
  console.log('by function (self):\n' + top(self, 25))
  console.log('by the nearest src/ function on the stack:\n' + top(inSrc, 25))
}
