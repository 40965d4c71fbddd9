import { gtinProblemText, normaliseGtin } from '../../lib/codes.ts'
import { columnIndex, copyText, type CsvRecord, type RowErrors } from './csv-input.ts'
import { MAX_ID_LENGTH, RowProblem, text, wholeNumber } from './row-checks.ts'

/**
 * A catalog row needs a category and a GTIN or the chain's product id. name, brand,
 * brand_type, regular_price_cents, manufacturer and size are optional; an empty cell keeps
 * what is stored (a new product gets "Product <id>", brand type national). A department
 * column, when present, becomes the first level of the category path ("Grocery/Frozen").
 */
export const PRODUCT_REQUIRED_COLUMNS = ['category', ['gtin', 'product_id']]

export const PRODUCT_STAGE_COLUMNS = [
  'line',
  'gtin',
  'external_id',
  'name',
  'category',
  'brand',
  'brand_type',
  'regular_price_cents',
  'manufacturer',
  'size',
] as const

const FIELDS = ['gtin', 'product_id', 'name', 'department', 'category', 'brand', 'brand_type', 'regular_price_cents', 'manufacturer', 'size']

export class ProductRowEncoder {
  rows = 0
  good = 0
  private readonly col: Record<string, number | undefined>

  constructor(
    private readonly columns: string[],
    private readonly errors: RowErrors,
  ) {
    const at = columnIndex(columns)
    this.col = Object.fromEntries(FIELDS.map((c) => [c, at(c)]))
  }

  /** COPY text lines for the good records; bad ones go to the error list. */
  encode(records: CsvRecord[]): string[] {
    const out: string[] = []
    for (const record of records) {
      this.rows++
      try {
        out.push(this.encodeOne(record))
        this.good++
      } catch (err) {
        if (!(err instanceof RowProblem)) throw err
        this.errors.add(record.line, err.message)
      }
    }
    return out
  }

  /** "gtin or product_id", naming only the columns the file has. */
  private present(...names: string[]): string {
    return names.filter((n) => this.col[n] !== undefined).join(' or ')
  }

  private encodeOne({ line, fields }: CsvRecord): string {
    if (fields.length !== this.columns.length) {
      throw new RowProblem(`expected ${this.columns.length} columns, found ${fields.length}`)
    }
    const get = (name: string) => {
      const i = this.col[name]
      return i === undefined ? '' : (fields[i] ?? '')
    }
    let gtin: string | null = null
    const rawGtin = get('gtin').trim()
    if (rawGtin) {
      const n = normaliseGtin(rawGtin)
      if ('problem' in n) throw new RowProblem(`gtin ${rawGtin}: ${gtinProblemText[n.problem]}`)
      gtin = n.gtin
    }
    const externalId = text('product_id', get('product_id'), MAX_ID_LENGTH)
    if (!gtin && !externalId) throw new RowProblem(`${this.present('gtin', 'product_id')} is missing`)

    const department = text('department', get('department'))
    const category = text('category', get('category'))
    const path = department && category ? `${department}/${category}` : (category ?? department)
    if (!path) throw new RowProblem('category is missing')
    if (path.length > 300) throw new RowProblem('category is longer than 300 characters')

    const rawBrandType = get('brand_type').trim().toLowerCase()
    if (rawBrandType && rawBrandType !== 'national' && rawBrandType !== 'store') {
      throw new RowProblem(`brand_type must be national or store (got ${JSON.stringify(rawBrandType.slice(0, 40))})`)
    }
    const price = wholeNumber('regular_price_cents', get('regular_price_cents'))

    return [
      String(line),
      gtin ?? '\\N',
      copyText(externalId),
      copyText(text('name', get('name'))),
      copyText(path),
      copyText(text('brand', get('brand'))),
      rawBrandType || '\\N',
      price === null ? '\\N' : String(price),
      copyText(text('manufacturer', get('manufacturer'))),
      copyText(text('size', get('size'), 50)),
    ].join('\t') + '\n'
  }
}
