/**
 * The Image API versions this service answers to. Glance's minor versions are not
 * negotiated per request (there is no microversion header): they only tell clients
 * which features exist. v2.16 is the current one.
 */
export const VERSIONS: readonly { id: string; summary: string }[] = [
  { id: 'v2.0', summary: 'Image v2 API.' },
  { id: 'v2.1', summary: 'Image members.' },
  { id: 'v2.2', summary: 'Image tags.' },
  { id: 'v2.3', summary: 'Metadata definitions.' },
  { id: 'v2.4', summary: 'Tasks.' },
  { id: 'v2.5', summary: 'Image visibility and reserved properties.' },
  { id: 'v2.6', summary: 'Interoperable image import.' },
  { id: 'v2.7', summary: 'Hidden images and multihash.' },
  { id: 'v2.8', summary: 'Multiple stores.' },
  { id: 'v2.9', summary: 'Import to all stores.' },
  { id: 'v2.10', summary: 'Image deletion from a store.' },
  { id: 'v2.11', summary: 'Copying existing images to other stores.' },
  { id: 'v2.12', summary: 'Image tasks (GET /v2/images/{id}/tasks).' },
  { id: 'v2.13', summary: 'Store details.' },
  { id: 'v2.14', summary: 'Cache API.' },
  { id: 'v2.15', summary: 'glance-download import.' },
  { id: 'v2.16', summary: 'Location API additions.' },
]

export function versionsDocument(base: string) {
  const current = VERSIONS[VERSIONS.length - 1]!.id
  return {
    versions: [...VERSIONS].reverse().map((v) => ({
      id: v.id,
      status: v.id === current ? 'CURRENT' : 'SUPPORTED',
      links: [{ rel: 'self', href: `${base}/v2/` }],
    })),
  }
}
