/**
 * Nova's list paging: `limit` (capped by `[api] max_limit`) and `marker` (the last
 * item of the previous page, which must exist), applied to an already sorted list.
 */
import { MarkerNotFound } from '../errors.js'

export interface PageRequest {
  limit?: number
  marker?: string
}

export interface Page<T> {
  items: T[]
  /** The marker of the next page when this one is full. */
  next?: string
}

export function page<T>(
  sorted: readonly T[],
  req: PageRequest,
  maxLimit: number,
  keyOf: (item: T) => string,
  markerMessage: (marker: string) => string,
): Page<T> {
  let start = 0
  if (req.marker !== undefined) {
    const i = sorted.findIndex((item) => keyOf(item) === req.marker)
    if (i < 0) throw new MarkerNotFound(markerMessage(req.marker))
    start = i + 1
  }
  const limit = Math.min(req.limit ?? maxLimit, maxLimit)
  const items = sorted.slice(start, start + limit)
  const full = items.length === limit && limit > 0 && req.limit !== undefined
  return full ? { items, next: keyOf(items[items.length - 1]!) } : { items }
}
