/**
 * Builds the image service from its module context: typed settings, the policy
 * enforcer, the files on disk (files/), the repositories (storage/) and the domain
 * objects; runs crash recovery before the plugin serves anything. Background work (the
 * cache's fills, imports after their 202) runs on the module's task group; close()
 * waits for uploads in flight to finish or clean up.
 */
import { join, resolve } from 'node:path'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import { namedSection } from '../../kernel/config/index.js'
import type { ModuleContext, ServiceInstance } from '../../kernel/host/index.js'
import {
  fileStoreSection,
  httpStoreSection,
  type ImageServiceConfig,
  parseImportMethods,
  parsePorts,
  parseStorageQuota,
} from './config.js'
import { CacheManager } from './domain/cache.js'
import { ImageData } from './domain/image-data.js'
import { ImageCatalog } from './domain/images.js'
import { ImageImports, type RemoteImageService } from './domain/imports.js'
import { MetadefCatalog } from './domain/metadefs.js'
import { ImageQuotas, type LimitsReader } from './domain/quotas.js'
import { TaskCatalog } from './domain/tasks.js'
import type { DataFileOpener } from './files/data-file.js'
import { FileStore } from './files/file-store.js'
import { startHashThreads } from './files/hash-pool.js'
import { ImageCache } from './files/image-cache.js'
import { type HttpReader, overlaps, parseBackends, StoreSet, type StoreSpec } from './files/store-set.js'
import { GuardedFetch, type Resolver } from './files/web-fetch.js'
import type { HandlerDeps } from './handlers/deps.js'
import { imagePlugin } from './plugin.js'
import { imageServicePolicies } from './policies/index.js'
import { type ImageRepos, imageRepos } from './storage/index.js'
import { MetadefRepository } from './storage/metadef.repo.js'
import type { ImageDatabase } from './storage/schema.js'

export interface ImageInstance extends ServiceInstance {
  plugin: FastifyPluginAsync
  catalog: ImageCatalog
  metadefs: MetadefCatalog
  imageCache: ImageCache | undefined
  data: ImageData
  repos: ImageRepos
  stores: StoreSet
  staging: FileStore
  imports: ImageImports
  /** What start-up recovery did. */
  recovered: { reset: string[]; removed: string[] }
  close(): Promise<void>
}

export interface ImageTestHooks {
  /** Replaces how the image store opens the files it writes (tests simulate a full disk). */
  storeFile?: DataFileOpener
  /** Replaces DNS for web-download and http locations (tests fake answers). */
  resolver?: Resolver
}

export async function createImageService(
  ctx: ModuleContext<ImageServiceConfig, ImageDatabase>,
  hooks: ImageTestHooks = {},
): Promise<ImageInstance> {
  const {
    DEFAULT: D,
    glance_store,
    os_glance_staging_store,
    image_format,
    image_quota,
    oslo_limit,
    import_filtering_opts: F,
    glance_download_properties,
  } = ctx.config
  const enforcer = ctx.enforcer(imageServicePolicies, {
    forbiddenMessage: (rule) => `You are not authorized to perform ${rule}.`,
  })
  const staging = new FileStore(
    os_glance_staging_store.filesystem_store_datadir ?? join(ctx.dataDir, 'staging'),
  )
  const stores = new StoreSet(
    parseBackends(D.enabled_backends).map((b): StoreSpec => {
      // Each store's own section, [<id>], as glance_store reads it.
      const { store_description: description } = namedSection(ctx.config, httpStoreSection, b.id)
      const dir =
        b.type === 'file'
          ? namedSection(ctx.config, fileStoreSection, b.id).filesystem_store_datadir
          : undefined
      return {
        ...b,
        ...(dir ? { dir: resolve(ctx.dataDir, dir) } : {}),
        ...(description ? { description } : {}),
      }
    }),
    glance_store.default_backend,
    glance_store.default_store,
    glance_store.filesystem_store_datadir ?? join(ctx.dataDir, 'images'),
    hooks.storeFile,
  )
  // NOTE: each sweeps its directory at start-up of files it does not know.
  const shared = stores.all.find((store) => overlaps(store.dir, staging.dir))
  if (shared)
    throw new Error(
      `an image store and the staging area share a directory (${shared.dir}, ${staging.dir}); give them their own`,
    )
  const fetcher = new GuardedFetch(
    {
      allowedSchemes: F.allowed_schemes,
      disallowedSchemes: F.disallowed_schemes,
      allowedHosts: F.allowed_hosts,
      disallowedHosts: F.disallowed_hosts,
      allowedPorts: parsePorts('allowed_ports', F.allowed_ports),
      disallowedPorts: parsePorts('disallowed_ports', F.disallowed_ports),
      allowedInternalHosts: F.allowed_internal_hosts,
    },
    hooks.resolver,
  )
  const httpRead: HttpReader = async (url, range) => (await fetcher.get(url, { range })).body
  startHashThreads()
  const repos = imageRepos(ctx.db)
  const formats = { disk: image_format.disk_formats, container: image_format.container_formats }
  const storageQuota = parseStorageQuota(D.user_storage_quota)
  const bytesLimits = [
    storageQuota > 0 ? storageQuota : -1,
    image_quota.image_size_total >= 0 ? image_quota.image_size_total * 1024 * 1024 : -1,
  ].filter((n) => n >= 0)
  const importMethods = parseImportMethods(D.enabled_import_methods)
  const reader = unifiedLimits(ctx)
  if (!reader && D.use_keystone_limits)
    ctx.logger.warn(
      'use_keystone_limits is set but identity does not run in this process: image limits read as 0',
    )
  const quotas = new ImageQuotas(repos.images, {
    enabled: D.use_keystone_limits,
    serviceType: oslo_limit.endpoint_service_type,
    endpointId: oslo_limit.endpoint_id,
    regionName: oslo_limit.endpoint_region_name,
    reader,
  })
  const catalog = new ImageCatalog(
    repos,
    {
      formats,
      propertyQuota: D.image_property_quota,
      tagQuota: D.image_tag_quota,
      memberQuota: D.image_member_quota,
      countLimit: image_quota.image_count_total,
      limitDefault: D.limit_param_default,
      limitMax: D.api_limit_max,
      showMultipleLocations: D.show_multiple_locations,
    },
    quotas,
    {
      checkUrl: (url) => locationSize(fetcher, url),
      removeData: (url) => stores.remove(url),
    },
  )
  const metadefs = new MetadefCatalog(new MetadefRepository(ctx.db), {
    limitDefault: D.limit_param_default,
    limitMax: D.api_limit_max,
  })
  // A relative image_cache_dir is taken inside the data directory.
  const imageCache = D.image_cache_dir
    ? new ImageCache(
        resolve(ctx.dataDir, D.image_cache_dir),
        async (id) => {
          const image = await repos.images.get(id)
          if (!image) return undefined
          const location = image.location
          return {
            status: image.status,
            size: image.size,
            os_hash_value: image.os_hash_value,
            open: () => stores.read(location!, httpRead),
          }
        },
        ctx.logger,
        ctx.tasks,
        D.image_cache_max_size,
      )
    : undefined
  const data = new ImageData(
    catalog,
    stores,
    staging,
    {
      sizeCap: D.image_size_cap,
      bytesLimit: bytesLimits.length > 0 ? Math.min(...bytesLimits) : -1,
      importMethods,
      host: ctx.hostName,
    },
    ctx.logger,
    imageCache,
    httpRead,
  )
  const imports = new ImageImports(
    catalog,
    data,
    { methods: importMethods, extraProperties: glance_download_properties.extra_properties },
    fetcher,
    remoteImages(ctx),
    ctx.logger,
    ctx.tasks,
  )
  const recovered = await data.recover()
  await imageCache?.start()
  const publicEndpoint = ctx.config.DEFAULT.public_endpoint?.replace(/\/$/, '')
  const prefix = '/image'
  const handlerDeps: HandlerDeps = {
    catalog,
    metadefs,
    cache: new CacheManager(catalog, imageCache),
    data,
    imports,
    tasks: new TaskCatalog(repos.tasks, { limitDefault: D.limit_param_default, limitMax: D.api_limit_max }),
    formats,
    importMethods,
    view: { showDirectUrl: D.show_image_direct_url },
    baseUrl: (req: FastifyRequest) =>
      `${publicEndpoint ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`}${prefix}`,
  }
  return {
    plugin: imagePlugin({ deps: handlerDeps, auth: ctx.auth, enforcer }),
    catalog,
    metadefs,
    imageCache,
    data,
    repos,
    stores,
    staging,
    imports,
    recovered,
    // NOTE: the host stops listening first, so no upload starts after this; those in
    // flight end (or fail and put their image back) before the database closes. The
    // cache's fills and running imports are the task group's, which the host closes next.
    async close() {
      await data.drain()
    },
  }
}

/**
 * Identity's unified limits when identity runs in this process (`cloudlet up`), else
 * undefined. NOTE: not in the module's `needs`, so that an image-only process opens no
 * identity database; there, with use_keystone_limits, every limit reads as 0 until the
 * kernel's service clients carry this one-method port between processes.
 */
function unifiedLimits(ctx: ModuleContext<ImageServiceConfig, ImageDatabase>): LimitsReader | undefined {
  try {
    return ctx.need('unifiedLimits')
  } catch {
    return undefined
  }
}

/**
 * glance-download's view of the catalog: the caller's token is validated by identity
 * (GET /v3/auth/tokens, as the caller), and the image endpoint of the region and
 * interface asked for is taken from the catalog it returns.
 */
function remoteImages(ctx: ModuleContext<ImageServiceConfig, ImageDatabase>): RemoteImageService {
  return {
    async endpoint(token, region, iface) {
      const res = await ctx
        .client('identity')
        .request(
          { method: 'GET', path: '/v3/auth/tokens', headers: { 'x-subject-token': token } },
          { userToken: token, accept: [200, 401, 403, 404] },
        )
      if (res.status !== 200) return undefined
      const catalog = ((res.body as { token?: { catalog?: unknown[] } }).token?.catalog ?? []) as {
        type: string
        endpoints: { interface: string; region_id?: string; region?: string; url: string }[]
      }[]
      const service = catalog.find((s) => s.type === 'image')
      const ep = service?.endpoints.find(
        (e) => e.interface === iface && (e.region_id === region || e.region === region),
      )
      return ep?.url
    },
  }
}

/**
 * The size of an http location's data, as Glance's http store asks it: HEAD's
 * Content-Length, else the total of a one-byte range (servers that answer HEAD without it).
 */
async function locationSize(fetcher: GuardedFetch, url: string): Promise<number | undefined> {
  const head = await fetcher.get(url, { method: 'HEAD' })
  head.body.resume()
  if (head.length !== undefined) return head.length
  const probe = await fetcher.get(url, { range: { start: 0, end: 0 } })
  const total = /\/(\d+)\s*$/.exec(String(probe.body.headers['content-range'] ?? ''))
  const length = total ? Number(total[1]) : probe.status === 200 ? probe.length : undefined
  probe.body.destroy()
  return length
}
