// A one-time message carried across a navigation (e.g. "that card was replaced").
let flash = null
export const setFlash = (text) => (flash = text)
export function takeFlash() {
  const f = flash
  flash = null
  return f
}
