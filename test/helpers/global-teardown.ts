import { existsSync } from 'node:fs'
import { pgCtl, readState, removeDir, STATE_FILE } from './test-server.ts'

if (existsSync(STATE_FILE)) {
  const state = readState()
  if (state.embedded) {
    pgCtl(state.embedded, ['stop', '-m', 'fast', '-w'])
    removeDir(state.embedded.dataDir)
  }
  removeDir(STATE_FILE)
}
