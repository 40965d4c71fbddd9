// The JSON API with the key the person signed in with. The key lives in sessionStorage only
// (gone when the tab closes), travels only in the Authorization header, never in a URL.

const KEY = 'lanelist.console.key'

export const getKey = () => sessionStorage.getItem(KEY)
export const setKey = (key) => sessionStorage.setItem(KEY, key)
export const clearKey = () => sessionStorage.removeItem(KEY)

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`)
    this.status = status
    this.problem = problem ?? null
  }
  /** [{ path, message }] from a 400, else [] */
  get fieldErrors() {
    return this.problem?.errors ?? []
  }
}

async function request(path, { method = 'GET', body, accept = 'application/json', key = getKey() } = {}) {
  const headers = { accept }
  if (key) headers.authorization = `Bearer ${key}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' })
  } catch {
    throw new ApiError(0, { title: 'No connection', detail: 'lanelist did not answer. Check the network and try again.' })
  }
  if (!res.ok) {
    let problem = null
    try {
      problem = await res.json()
    } catch {}
    const err = new ApiError(res.status, problem)
    // A revoked or expired key signs the person out everywhere at once.
    if (res.status === 401 && key === getKey()) window.dispatchEvent(new CustomEvent('lanelist:unauthorized'))
    throw err
  }
  return res
}

export async function api(path, opts) {
  const res = await request(path, opts)
  if (res.status === 204) return null
  return res.json()
}

export async function apiText(path, opts) {
  return (await request(path, opts)).text()
}

export async function apiBlob(path, opts) {
  return (await request(path, opts)).blob()
}

/** Downloads what a route returns (NDJSON, CSV) as a file, without putting the key in a URL. */
export async function download(path, filename, accept) {
  const blob = await apiBlob(path, { accept })
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return blob
}
