/**
 * Builds the image service from its dependencies: settings from config, the policy
 * enforcer, the stores, the repository and domain objects; runs crash recovery before
 * the plugin serves anything.
 */
import { join, resolve } from 'node:path'
import type { FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { Enforcer } from '../../kernel/policy/index.js'
import type { ServiceDeps, ServiceInstance } from '../../kernel/service.js'
import { CONTAINER_FORMATS, DISK_FORMATS, parseStorageQuota } from './config.js'
import { CacheManager } from './domain/cache.js'
import { ImageData } from './domain/image-data.js'
import { ImageCatalog } from './domain/images.js'
import { MetadefCatalog } from './domain/metadefs.js'
import type { HandlerDeps } from './handlers/deps.js'
import { imagePlugin } from './plugin.js'
import { cachePolicyDefaults } from './policies/cache.js'
import { imagePolicyDefaults } from './policies/images.js'
import { metadefPolicyDefaults } from './policies/metadefs.js'
import { ImageRepository } from './storage/image.repo.js'
import { MetadefRepository } from './storage/metadef.repo.js'
import type { ImageDatabase } from './storage/schema.js'
import type { DataFileOpener } from './store/data-file.js'
import { FileStore } from './store/file-store.js'
import { startHashThreads } from './store/hash-pool.js'
import { ImageCache } from './store/image-cache.js'

/** The config sections this service reads (its own, plus the host's [DEFAULT] and [oslo_policy]). */
export type ImageServiceConfig = Record<string, Readonly<Record<string, unknown>> | undefined>

export interface ImageInstance extends ServiceInstance {
  catalog: ImageCatalog
  metadefs: MetadefCatalog
  imageCache: ImageCache | undefined
  data: ImageData
  repo: ImageRepository
  store: FileStore
  staging: FileStore
  /** What start-up recovery did. */
  recovered: { reset: string[]; removed: string[] }
}

export interface ImageTestHooks {
  /** Replaces how the image store opens the files it writes (tests simulate a full disk). */
  storeFile?: DataFileOpener
}

const pick = <T>(section: Readonly<Record<string, unknown>> | undefined, name: string, fallback: T): T =>
  (section?.[name] as T | undefined) ?? fallback

export async function createImageService(
  deps: ServiceDeps<ImageServiceConfig, ImageDatabase>,
  hooks: ImageTestHooks = {},
): Promise<ImageInstance> {
  const c = deps.config
  const D = c.DEFAULT
  const policy = c.oslo_policy
  const enforcer = new Enforcer([...imagePolicyDefaults, ...metadefPolicyDefaults, ...cachePolicyDefaults], {
    enforceScope: pick(policy, 'enforce_scope', true),
    enforceNewDefaults: pick(policy, 'enforce_new_defaults', true),
    policyFile: pick<string | undefined>(policy, 'policy_file', undefined),
    forbiddenMessage: (rule) => `You are not authorized to perform ${rule}.`,
  })
  const storeDir = pick(c.glance_store, 'filesystem_store_datadir', join(deps.dataDir, 'images'))
  const stagingDir = pick(
    c.os_glance_staging_store,
    'filesystem_store_datadir',
    join(deps.dataDir, 'staging'),
  )
  const storeId = pick(c.glance_store, 'default_store', 'local')
  const store = new FileStore(storeDir, hooks.storeFile)
  startHashThreads()
  const staging = new FileStore(stagingDir)
  const repo = new ImageRepository(deps.db as Kysely<ImageDatabase>)
  const formats = {
    disk: pick<readonly string[]>(c.image_format, 'disk_formats', DISK_FORMATS),
    container: pick<readonly string[]>(c.image_format, 'container_formats', CONTAINER_FORMATS),
  }
  const storageQuota = parseStorageQuota(pick(D, 'user_storage_quota', '0'))
  const sizeTotalMiB = pick(c.image_quota, 'image_size_total', -1)
  const bytesLimits = [
    storageQuota > 0 ? storageQuota : -1,
    sizeTotalMiB >= 0 ? sizeTotalMiB * 1024 * 1024 : -1,
  ].filter((n) => n >= 0)
  const importMethods = pick<readonly string[]>(D, 'enabled_import_methods', ['glance-direct']).filter(
    (m) => m === 'glance-direct',
  )
  const showLocations = pick(D, 'show_multiple_locations', false)
  const catalog = new ImageCatalog(repo, {
    formats,
    propertyQuota: pick(D, 'image_property_quota', 128),
    tagQuota: pick(D, 'image_tag_quota', 128),
    memberQuota: pick(D, 'image_member_quota', 128),
    countLimit: pick(c.image_quota, 'image_count_total', -1),
    limitDefault: pick(D, 'limit_param_default', 25),
    limitMax: pick(D, 'api_limit_max', 1000),
    showMultipleLocations: showLocations,
  })
  const metadefs = new MetadefCatalog(new MetadefRepository(deps.db as Kysely<ImageDatabase>), {
    limitDefault: pick(D, 'limit_param_default', 25),
    limitMax: pick(D, 'api_limit_max', 1000),
  })
  // A relative image_cache_dir is taken inside the data directory.
  const cacheSetting = pick<string | undefined>(D, 'image_cache_dir', undefined)
  const cacheDir = cacheSetting ? resolve(deps.dataDir, cacheSetting) : undefined
  const imageCache = cacheDir
    ? new ImageCache(
        cacheDir,
        async (id) => {
          const image = await repo.get(id)
          if (!image) return undefined
          const location = image.location
          return {
            status: image.status,
            size: image.size,
            os_hash_value: image.os_hash_value,
            open: () => store.read(location!),
          }
        },
        deps.logger,
      )
    : undefined
  const data = new ImageData(
    catalog,
    store,
    staging,
    {
      sizeCap: pick(D, 'image_size_cap', 1099511627776),
      bytesLimit: bytesLimits.length > 0 ? Math.min(...bytesLimits) : -1,
      importMethods,
      storeId,
    },
    deps.logger,
    imageCache,
  )
  const recovered = await data.recover()
  await imageCache?.start()
  const publicEndpoint = pick<string | undefined>(D, 'public_endpoint', undefined)?.replace(/\/$/, '')
  const prefix = '/image'
  const handlerDeps: HandlerDeps = {
    catalog,
    metadefs,
    cache: new CacheManager(catalog, imageCache),
    data,
    formats,
    importMethods,
    view: { storeId, showDirectUrl: pick(D, 'show_image_direct_url', false), showLocations },
    baseUrl: (req: FastifyRequest) =>
      `${publicEndpoint ?? `${req.protocol}://${req.headers.host ?? 'localhost'}`}${prefix}`,
  }
  return {
    name: 'image',
    serviceType: 'image',
    prefix,
    plugin: imagePlugin({ deps: handlerDeps, tokens: deps.tokens, enforcer }),
    catalog,
    metadefs,
    imageCache,
    data,
    repo,
    store,
    staging,
    recovered,
    async close() {},
  }
}
