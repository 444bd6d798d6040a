/**
 * What every network resource shares: who is calling (`Caller`), its standard attributes
 * (created_at, updated_at, revision_number, description, tags), visibility (a resource
 * the caller may not `get_` is a 404, never a 403 that would reveal it), attribute
 * policies on show and on write, If-Match revision checks, updates as compare-and-swap on
 * the revision, and the list pipeline (candidates ─▶ visible ─▶ filters ─▶ sort ─▶ page).
 */
import { randomUUID } from 'node:crypto'
import type { RequestContext } from '../../../kernel/auth/index.js'
import { badRequest, concurrentUpdate, notFound, policyNotAuthorized, revisionMismatch } from '../errors.js'
import { NETWORK_POLICY_RULES } from '../policies/index.js'
import type { AttrMap } from '../schemas/attributes.js'
import { policyAttributes } from '../schemas/attributes.js'
import type { Doc, NetworkStore, ResourceRepo } from '../storage/index.js'
import { filterDocs, type ListQuery, type Page, paginate, sortDocs } from './query.js'

/** Neutron's timestamp form: seconds, UTC, `Z`. */
export const now = () => `${new Date().toISOString().slice(0, 19)}Z`
export const newId = () => randomUUID()

/** Rule names the service declares: an attribute without a rule is not policed (as Neutron). */
const KNOWN_RULES = new Set(NETWORK_POLICY_RULES.map((r) => r.name))

/** The caller of a domain operation: project, admin or not, and the policy checks. */
export class Caller {
  private admin?: boolean
  constructor(readonly ctx: RequestContext) {}

  get projectId(): string {
    return this.ctx.who.project_id ?? ''
  }

  get isAdmin(): boolean {
    this.admin ??= this.ctx.allows('context_is_admin', {})
    return this.admin
  }

  allows(rule: string, target: Record<string, unknown>): boolean {
    return this.ctx.allows(rule, target)
  }

  /** 403 in Neutron's words unless the rule passes. */
  can(rule: string, target: Record<string, unknown>): void {
    if (!this.ctx.allows(rule, target)) throw policyNotAuthorized(rule)
  }
}

export interface Kind {
  /** Singular, as bodies spell it: `network`, `security_group_rule`. */
  resource: string
  /** Plural, as URLs spell it: `networks`, `security-group-rules` uses `security_group_rules` in bodies. */
  collection: string
  attrs: AttrMap
  /** Filters accepted beyond the attributes (e.g. ports' `ip_address`). */
  extraFilters?: readonly string[]
  /** The resource has standard attributes (tags, revision_number). */
  standard?: boolean
}

export interface IfMatch {
  /** `If-Match: revision_number=N`, parsed. */
  revision?: number
}

/** Parses If-Match; Neutron accepts only `revision_number=<n>` constraints. */
export function parseIfMatch(header: string | undefined): IfMatch {
  if (!header) return {}
  const m = /^\s*revision_number=(-?\d+)\s*$/.exec(header)
  if (!m) throw badRequest(`Invalid If-Match header: ${header}. Only revision_number=<n> is supported.`)
  return { revision: Number(m[1]) }
}

export function checkRevision(doc: Doc, ifMatch: IfMatch | undefined) {
  if (ifMatch?.revision !== undefined && ifMatch.revision !== doc.revision_number)
    throw revisionMismatch(ifMatch.revision, Number(doc.revision_number))
}

/** Project and tenant ids of a new resource: the caller's unless an admin names another. */
export function ownerOf(caller: Caller, body: Record<string, unknown>): string {
  const t = body.tenant_id as string | undefined
  const p = body.project_id as string | undefined
  if (t !== undefined && p !== undefined && t !== p)
    throw badRequest("'project_id' and 'tenant_id' do not match")
  delete body.tenant_id
  delete body.project_id
  return p ?? t ?? caller.projectId
}

/**
 * A request naming another project than the caller's: only admins (and advsvc) may, as
 * upstream's API layer says before any policy.
 */
export function checkRequestOwner(caller: Caller, body: Record<string, unknown>): void {
  const owner = (body.project_id ?? body.tenant_id) as string | undefined
  if (owner === undefined || owner === caller.projectId) return
  if (caller.isAdmin || caller.allows('context_is_advsvc', {})) return
  throw badRequest(
    "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
  )
}

/** A new document with the standard attributes. */
export function newDoc(projectId: string, fields: Record<string, unknown>, standard = true): Doc {
  const at = now()
  return {
    id: newId(),
    ...fields,
    tenant_id: projectId,
    project_id: projectId,
    ...(standard ? { tags: (fields.tags as string[] | undefined) ?? [] } : {}),
    created_at: at,
    updated_at: at,
    revision_number: 0,
  }
}

/** Reads shared by the items of one list (a network by id, ...). */
export type Memo = Map<string, Promise<unknown>>

/** `read()` once per key within a memo (always when there is no memo). */
export function memoized<T>(memo: Memo | undefined, key: string, read: () => Promise<T>): Promise<T> {
  if (!memo) return read()
  let p = memo.get(key) as Promise<T> | undefined
  if (!p) {
    p = read()
    memo.set(key, p)
  }
  return p
}

export interface DomainDeps {
  store: NetworkStore
}

export abstract class ResourceDomain {
  abstract readonly kind: Kind
  constructor(protected readonly store: NetworkStore) {}

  /** This resource's repository in a store (the database's or a transaction's). */
  protected abstract repo(s: NetworkStore): ResourceRepo

  /** The policy target of a document: the document, its tenant, and related objects. */
  async target(doc: Doc): Promise<Record<string, unknown>> {
    return { ...doc, tenant_id: doc.project_id }
  }

  /**
   * The target as one caller sees it (RBAC grants to the caller's project count). `memo`
   * lives for one list, so the rows items share (their network) are read once.
   */
  async targetFor(_caller: Caller, doc: Doc, _memo?: Memo): Promise<Record<string, unknown>> {
    return this.target(doc)
  }

  /** Rows a non-admin caller could see (a superset; policy decides). */
  protected candidates(caller: Caller, _q: ListQuery): Promise<Doc[]> {
    return caller.isAdmin
      ? this.repo(this.store).find()
      : this.repo(this.store).find({ project_id: caller.projectId })
  }

  /** Computed attributes, filled for a batch of documents at once. */
  protected async decorate(_docs: Doc[]): Promise<void> {}

  protected rule(action: 'create' | 'get' | 'update' | 'delete', attr?: string): string {
    return `${action}_${this.kind.resource}${attr ? `:${attr}` : ''}`
  }

  /** The view a caller gets: attributes whose `get_` policy fails are left out. */
  view(caller: Caller, doc: Doc, target: Record<string, unknown>): Doc {
    const out = { ...doc }
    // Fields starting with `_` are the service's own bookkeeping (a router's gateway port).
    for (const k of Object.keys(out)) if (k.startsWith('_')) delete out[k]
    for (const a of policyAttributes(this.kind.attrs)) {
      if (!(a in out) || !KNOWN_RULES.has(this.rule('get', a))) continue
      if (!caller.allows(this.rule('get', a), target)) delete out[a]
    }
    return out
  }

  /** The document if the caller may see it, else 404. */
  async load(caller: Caller, id: string, s: NetworkStore = this.store): Promise<Doc> {
    const doc = await this.repo(s).get(id)
    if (!doc || !caller.allows(this.rule('get'), await this.targetFor(caller, doc)))
      throw notFound(this.kind.resource, id)
    return doc
  }

  async show(caller: Caller, id: string): Promise<Doc> {
    const doc = await this.load(caller, id)
    await this.decorate([doc])
    return this.view(caller, doc, await this.targetFor(caller, doc))
  }

  /**
   * `keep` filters on the policy target, for filters on what the view does not show
   * (a subnet's `shared` is its network's).
   */
  async list(
    caller: Caller,
    q: ListQuery,
    keep?: (target: Record<string, unknown>) => boolean,
  ): Promise<Page> {
    const docs = await this.candidates(caller, q)
    const visible: Doc[] = []
    const targets = new Map<string, Record<string, unknown>>()
    const memo: Memo = new Map()
    for (const d of docs) {
      const t = await this.targetFor(caller, d, memo)
      if (caller.allows(this.rule('get'), t) && (!keep || keep(t))) {
        visible.push(d)
        targets.set(d.id, t)
      }
    }
    await this.decorate(visible)
    const views = visible.map((d) => this.view(caller, d, targets.get(d.id)!))
    return paginate(sortDocs(filterDocs(views, q), q), q)
  }

  /** Checks the attribute rules of the attributes a request sets. */
  protected checkAttributes(
    caller: Caller,
    action: 'create' | 'update',
    given: Record<string, unknown>,
    target: Record<string, unknown>,
    explicit: ReadonlySet<string>,
  ) {
    for (const a of policyAttributes(this.kind.attrs)) {
      if (!explicit.has(a) || !KNOWN_RULES.has(this.rule(action, a))) continue
      const def = this.kind.attrs[a]?.default
      if (action === 'create' && def !== undefined && JSON.stringify(given[a]) === JSON.stringify(def))
        continue
      caller.can(this.rule(action, a), target)
    }
  }

  /**
   * Read-modify-write under the revision: `change` gets the current document and answers
   * the new one; the write succeeds only if nobody changed it meanwhile (retried a few
   * times, then 409).
   */
  protected async modify(
    id: string,
    change: (doc: Doc, s: NetworkStore) => Promise<Doc | undefined> | Doc | undefined,
    s: NetworkStore = this.store,
    bump = true,
  ): Promise<Doc> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const doc = await this.repo(s).get(id)
      if (!doc) throw notFound(this.kind.resource, id)
      const next = await change(structuredClone(doc), s)
      if (!next) return doc
      const expected = Number(doc.revision_number)
      if (bump) {
        next.revision_number = expected + 1
        next.updated_at = now()
      }
      if (await this.repo(s).update(next, expected)) return next
    }
    throw concurrentUpdate('Another request changed the resource at the same time; try again.')
  }

  // --- tags (standard-attr-tag)

  /** The rule that changing tags answers to (the resource's update rule, unless told). */
  protected tagRule(): string {
    return this.rule('update')
  }

  async tags(caller: Caller, id: string): Promise<string[]> {
    const doc = await this.load(caller, id)
    return (doc.tags as string[]) ?? []
  }

  async setTags(
    caller: Caller,
    id: string,
    tags: string[] | ((old: string[]) => string[]),
  ): Promise<string[]> {
    const doc = await this.load(caller, id)
    caller.can(this.tagRule(), await this.target(doc))
    const saved = await this.modify(id, (d) => {
      const next = typeof tags === 'function' ? tags((d.tags as string[]) ?? []) : tags
      d.tags = [...new Set(next)]
      return d
    })
    return saved.tags as string[]
  }
}
