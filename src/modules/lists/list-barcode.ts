import bwipjs from 'bwip-js'
import { classifyScannedCode } from '../../lib/codes.ts'

// The list's barcode as the lane scanner reads it: Code 128 (its own mod-103 check character
// on top of the payload's GS1 check digit), with the payload printed underneath so a cashier
// can key it in when the print is smudged. Code 128 needs a quiet zone of ten modules each side.

const SYMBOL = {
  bcid: 'code128',
  includetext: true,
  textxalign: 'center',
  textsize: 11,
  height: 14,
  paddingwidth: 10,
  paddingheight: 2,
  backgroundcolor: 'FFFFFF',
} as const

function assertListPayload(payload: string): void {
  const code = classifyScannedCode(payload)
  if (code.kind !== 'list' || code.barcode !== payload) throw new RangeError(`${JSON.stringify(payload)} is not a list barcode`)
}

/**
 * Standalone SVG (with width and height, so a browser or a mail-merge tool shows it at its
 * natural size) or, with `inline`, the bare scalable SVG with an accessible name for the page.
 */
export function listBarcodeSvg(payload: string, opts: { inline?: boolean } = {}): string {
  assertListPayload(payload)
  const svg = bwipjs.toSVG({ ...SYMBOL, text: payload, scale: 2 })
  const box = /viewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"/.exec(svg)
  const label = `List barcode ${payload}`
  const attrs = opts.inline
    ? `role="img" aria-label="${label}" class="barcode-svg" preserveAspectRatio="xMidYMid meet"`
    : `width="${box?.[1] ?? 300}" height="${box?.[2] ?? 90}" role="img" aria-label="${label}"`
  return svg.replace('<svg ', `<svg ${attrs} `).replace(/(<svg[^>]*>)/, `$1<title>${label}</title>`)
}

/** PNG at 3 px per module: about 0.4 mm modules at 200 dpi, sharp on a receipt or laser printer. */
export function listBarcodePng(payload: string): Promise<Buffer> {
  assertListPayload(payload)
  return bwipjs.toBuffer({ ...SYMBOL, text: payload, scale: 3 })
}
