/**
 * Every change after which Keystone ends existing tokens ends them here too, through
 * the resource half's revocation events: one case per event, each with a fresh user
 * whose token works before and gets 401 after, while a bystander's token keeps working.
 * Plus the deletions Keystone makes alongside: a disabled user's application
 * credentials, a deleted role's application credentials.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { enabledDialects } from '../../../kernel/db/testing.js'
import { type ResourceHarness, startResourceHarness } from './resources-harness.js'

let h: ResourceHarness
const rnd = () => Math.random().toString(36).slice(2, 8)
const roleIds = new Map<string, string>()

interface Subject {
  user: string
  name: string
  password: string
  domain: string
  project: string
}

async function post(url: string, body: unknown) {
  const r = await h.call('POST', url, body)
  assert.equal(r.status, 201, `${url}: ${JSON.stringify(r.json)}`)
  return r.json
}

/** A user in `domain` with a project there; the role grant is the case's business. */
async function subject(domain = 'default'): Promise<Subject> {
  const name = `u-${rnd()}`
  const password = `pw-${rnd()}`
  const user = (await post('/v3/users', { user: { name, password, domain_id: domain } })).user.id
  const project = (await post('/v3/projects', { project: { name: `p-${rnd()}`, domain_id: domain } })).project
    .id
  return { user, name, password, domain, project }
}

async function grant(url: string) {
  const r = await h.call('PUT', url)
  assert.equal(r.status, 204, `${url}: ${JSON.stringify(r.json)}`)
}

const projectToken = (s: Subject) => h.token(s.name, s.password, { project: { id: s.project } }, s.domain)
const alive = async (token: string) => (await h.call('GET', '/v3/auth/projects', undefined, token)).status

interface Case {
  name: string
  /** Sets up the subject's grant and returns a scoped token. */
  setup(s: Subject): Promise<string>
  /** The change that must end the token. */
  act(s: Subject): Promise<unknown>
  domain?: boolean
}

const memberOnProject = async (s: Subject) => {
  await grant(`/v3/projects/${s.project}/users/${s.user}/roles/${roleIds.get('member')}`)
  return projectToken(s)
}

const CASES: Case[] = [
  {
    name: 'user disabled',
    setup: memberOnProject,
    act: (s) => h.call('PATCH', `/v3/users/${s.user}`, { user: { enabled: false } }),
  },
  { name: 'user deleted', setup: memberOnProject, act: (s) => h.call('DELETE', `/v3/users/${s.user}`) },
  {
    name: 'password reset by an administrator',
    setup: memberOnProject,
    act: (s) => h.call('PATCH', `/v3/users/${s.user}`, { user: { password: `new-${rnd()}` } }),
  },
  {
    name: 'password changed by the user',
    setup: memberOnProject,
    act: async (s) => {
      const r = await h.call(
        'POST',
        `/v3/users/${s.user}/password`,
        { user: { original_password: s.password, password: `new-${rnd()}` } },
        null,
      )
      assert.equal(r.status, 204, JSON.stringify(r.json))
    },
  },
  {
    name: 'project disabled',
    setup: memberOnProject,
    act: (s) => h.call('PATCH', `/v3/projects/${s.project}`, { project: { enabled: false } }),
  },
  {
    name: 'project deleted',
    setup: memberOnProject,
    act: (s) => h.call('DELETE', `/v3/projects/${s.project}`),
  },
  {
    name: 'domain disabled (then deleted)',
    domain: true,
    setup: memberOnProject,
    act: async (s) => {
      await h.call('PATCH', `/v3/domains/${s.domain}`, { domain: { enabled: false } })
      assert.equal((await h.call('DELETE', `/v3/domains/${s.domain}`)).status, 204)
    },
  },
  {
    name: 'project role assignment removed',
    setup: memberOnProject,
    act: (s) => h.call('DELETE', `/v3/projects/${s.project}/users/${s.user}/roles/${roleIds.get('member')}`),
  },
  {
    name: 'domain role assignment removed (domain-scoped token)',
    domain: true,
    setup: async (s) => {
      await grant(`/v3/domains/${s.domain}/users/${s.user}/roles/${roleIds.get('reader')}`)
      return h.token(s.name, s.password, { domain: { id: s.domain } }, s.domain)
    },
    act: (s) => h.call('DELETE', `/v3/domains/${s.domain}/users/${s.user}/roles/${roleIds.get('reader')}`),
  },
  {
    name: 'inherited domain assignment removed (project token)',
    domain: true,
    setup: async (s) => {
      await grant(
        `/v3/OS-INHERIT/domains/${s.domain}/users/${s.user}/roles/${roleIds.get('member')}/inherited_to_projects`,
      )
      return projectToken(s)
    },
    act: (s) =>
      h.call(
        'DELETE',
        `/v3/OS-INHERIT/domains/${s.domain}/users/${s.user}/roles/${roleIds.get('member')}/inherited_to_projects`,
      ),
  },
  {
    name: 'system role assignment removed',
    setup: async (s) => {
      await grant(`/v3/system/users/${s.user}/roles/${roleIds.get('reader')}`)
      return h.token(s.name, s.password, { system: { all: true } })
    },
    act: (s) => h.call('DELETE', `/v3/system/users/${s.user}/roles/${roleIds.get('reader')}`),
  },
  {
    name: 'group role assignment removed',
    setup: async (s) => {
      const g = (await post('/v3/groups', { group: { name: `g-${rnd()}`, domain_id: s.domain } })).group.id
      await grant(`/v3/groups/${g}/users/${s.user}`)
      await grant(`/v3/projects/${s.project}/groups/${g}/roles/${roleIds.get('member')}`)
      ;(s as Subject & { group?: string }).group = g
      return projectToken(s)
    },
    act: (s) =>
      h.call(
        'DELETE',
        `/v3/projects/${s.project}/groups/${(s as Subject & { group?: string }).group}/roles/${roleIds.get('member')}`,
      ),
  },
  {
    name: 'removed from the group that grants the role',
    setup: async (s) => {
      const g = (await post('/v3/groups', { group: { name: `g-${rnd()}`, domain_id: s.domain } })).group.id
      await grant(`/v3/groups/${g}/users/${s.user}`)
      await grant(`/v3/projects/${s.project}/groups/${g}/roles/${roleIds.get('member')}`)
      ;(s as Subject & { group?: string }).group = g
      return projectToken(s)
    },
    act: (s) => h.call('DELETE', `/v3/groups/${(s as Subject & { group?: string }).group}/users/${s.user}`),
  },
  {
    name: 'the group that grants the role deleted',
    setup: async (s) => {
      const g = (await post('/v3/groups', { group: { name: `g-${rnd()}`, domain_id: s.domain } })).group.id
      await grant(`/v3/groups/${g}/users/${s.user}`)
      await grant(`/v3/projects/${s.project}/groups/${g}/roles/${roleIds.get('member')}`)
      ;(s as Subject & { group?: string }).group = g
      return projectToken(s)
    },
    act: (s) => h.call('DELETE', `/v3/groups/${(s as Subject & { group?: string }).group}`),
  },
  {
    name: 'the granted role deleted',
    setup: async (s) => {
      const role = (await post('/v3/roles', { role: { name: `r-${rnd()}` } })).role.id
      await grant(`/v3/projects/${s.project}/users/${s.user}/roles/${role}`)
      ;(s as Subject & { role?: string }).role = role
      return projectToken(s)
    },
    act: (s) => h.call('DELETE', `/v3/roles/${(s as Subject & { role?: string }).role}`),
  },
  {
    name: 'the implication that gave a role deleted',
    setup: async (s) => {
      const role = (await post('/v3/roles', { role: { name: `r-${rnd()}` } })).role.id
      const rule = await h.call('PUT', `/v3/roles/${role}/implies/${roleIds.get('member')}`)
      assert.equal(rule.status, 201)
      await grant(`/v3/projects/${s.project}/users/${s.user}/roles/${role}`)
      ;(s as Subject & { role?: string }).role = role
      return projectToken(s)
    },
    act: (s) =>
      h.call(
        'DELETE',
        `/v3/roles/${(s as Subject & { role?: string }).role}/implies/${roleIds.get('member')}`,
      ),
  },
]

for (const dialect of enabledDialects()) {
  describe(`on ${dialect}`, () => {
    before(async () => {
      h = await startResourceHarness({ dialect })
      for (const r of (await h.call('GET', '/v3/roles')).json.roles) roleIds.set(r.name, r.id)
    })
    after(async () => h?.close())

    describe('revocation: every event ends the tokens it concerns, and only those', () => {
      for (const c of CASES) {
        it(c.name, async () => {
          const domain = c.domain
            ? (await post('/v3/domains', { domain: { name: `d-${rnd()}` } })).domain.id
            : 'default'
          const s = await subject(domain)
          const token = await c.setup(s)
          const bystander = await memberOnProject(await subject())
          assert.equal(await alive(token), 200, 'works before')
          const r = (await c.act(s)) as { status?: number; json?: unknown } | undefined
          if (r?.status !== undefined)
            assert.ok(r.status < 300, `${c.name}: ${r.status} ${JSON.stringify(r.json)}`)
          assert.equal(await alive(token), 401, 'ended after')
          assert.equal(await alive(bystander), 200, 'a bystander keeps working')
        })
      }
    })

    describe('what Keystone deletes with them', () => {
      it('disabling a user deletes their application credentials (re-enabling brings none back)', async () => {
        const s = await subject()
        const token = await memberOnProject(s)
        const ac = await h.call(
          'POST',
          `/v3/users/${s.user}/application_credentials`,
          { application_credential: { name: `ac-${rnd()}` } },
          token,
        )
        assert.equal(ac.status, 201)
        await h.call('PATCH', `/v3/users/${s.user}`, { user: { enabled: false } })
        await h.call('PATCH', `/v3/users/${s.user}`, { user: { enabled: true } })
        const list = await h.call('GET', `/v3/users/${s.user}/application_credentials`)
        assert.deepEqual(list.json.application_credentials, [])
      })

      it('deleting a role deletes the application credentials made on projects where it was granted', async () => {
        const s = await subject()
        const role = (await post('/v3/roles', { role: { name: `r-${rnd()}` } })).role.id
        await grant(`/v3/projects/${s.project}/users/${s.user}/roles/${role}`)
        await grant(`/v3/projects/${s.project}/users/${s.user}/roles/${roleIds.get('member')}`)
        const token = await projectToken(s)
        const ac = await h.call(
          'POST',
          `/v3/users/${s.user}/application_credentials`,
          { application_credential: { name: `ac-${rnd()}` } },
          token,
        )
        assert.equal(ac.status, 201)
        assert.equal((await h.call('DELETE', `/v3/roles/${role}`)).status, 204)
        const list = await h.call('GET', `/v3/users/${s.user}/application_credentials`)
        assert.deepEqual(list.json.application_credentials, [])
      })
    })
  })
}
