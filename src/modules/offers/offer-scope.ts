import { normaliseGtin } from '../../lib/codes.ts'
import type { Offer, OfferScope, ProductFacts } from './offer.types.ts'

/** "Health" covers "Health" and "Health/Pain relief", never "Healthy snacks". */
export function categoryCovers(scopeCategory: string, productCategory: string): boolean {
  // Without building `${scopeCategory}/`: a list's allocation asks this for every offer against
  // every predicted category, and the joined strings were its largest allocation (docs/lists.md).
  if (productCategory === scopeCategory) return true
  const n = scopeCategory.length
  return productCategory.length > n && productCategory.charCodeAt(n) === 47 && productCategory.startsWith(scopeCategory)
}

export function scopeCoversProduct(scope: OfferScope | null, product: ProductFacts): boolean {
  if (!scope) return false
  if ('gtins' in scope) {
    if (!product.gtin) return false
    // Callers may hold a GTIN-13 or UPC-A; scopes are stored as GTIN-14.
    const n = normaliseGtin(product.gtin)
    return 'gtin' in n && scope.gtins.includes(n.gtin)
  }
  if (scope.brandType && scope.brandType !== product.brandType) return false
  return categoryCovers(scope.category, product.category)
}

/**
 * Whether the offer's product scope covers the product. Scope only: status, validity,
 * targeting and budget are the caller's to check. A perk without a scope covers no product.
 */
export function offerAppliesToProduct(offer: Pick<Offer, 'scope'>, product: ProductFacts): boolean {
  return scopeCoversProduct(offer.scope, product)
}
