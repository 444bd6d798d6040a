/**
 * Identity v3 through the real openstack CLI (Debian python3-openstackclient) against a
 * cloud started with `cloudlet up`, as a user would drive it.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import {
  type CloudProcess,
  openstack,
  openstackJson,
  openstackOk,
  startCloudProcess,
} from '../support/cloud-process.js'

type Row = Record<string, unknown>

describe('identity with the openstack CLI', () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  const asUser = (user: string, password: string, project?: string): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = {
      ...cloud.env,
      OS_AUTH_URL: cloud.authUrl,
      OS_USERNAME: user,
      OS_PASSWORD: password,
      OS_USER_DOMAIN_NAME: 'Default',
      OS_IDENTITY_API_VERSION: '3',
      OS_REGION_NAME: 'RegionOne',
    }
    if (project) {
      env.OS_PROJECT_NAME = project
      env.OS_PROJECT_DOMAIN_NAME = 'Default'
    }
    return env
  }

  before(async () => {
    cloud = await startCloudProcess()
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
  })
  after(async () => {
    await cloud?.stop()
  })

  it('issues and revokes tokens', async () => {
    const token = await openstackJson<Row>(admin, ['token', 'issue'])
    assert.match(String(token.id), /.{20,}/)
    assert.ok(token.expires && token.project_id && token.user_id)
    await openstackOk(admin, ['token', 'revoke', String(token.id)])
    // A revoked token no longer authenticates.
    const r = await openstack(
      {
        ...cloud.env,
        OS_AUTH_TYPE: 'token',
        OS_TOKEN: String(token.id),
        OS_AUTH_URL: cloud.authUrl,
        OS_PROJECT_ID: String(token.project_id),
      },
      ['project', 'list'],
    )
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /401|not authorized|authenticat/i)
  })

  it('lists and shows the catalog, endpoints, services and regions', async () => {
    const catalog = await openstackJson<Row[]>(admin, ['catalog', 'list'])
    const types = catalog.map((c) => c.Type)
    assert.ok(types.includes('identity'), `catalog types: ${types}`)
    const identity = await openstackJson<Row>(admin, ['catalog', 'show', 'identity'])
    assert.match(JSON.stringify(identity.endpoints), /identity/)
    const endpoints = await openstackJson<Row[]>(admin, ['endpoint', 'list'])
    assert.ok(endpoints.some((e) => e['Service Type'] === 'identity' && e.Interface === 'public'))
    const services = await openstackJson<Row[]>(admin, ['service', 'list'])
    assert.ok(services.some((s) => s.Type === 'identity'))
    const regions = await openstackJson<Row[]>(admin, ['region', 'list'])
    assert.ok(regions.some((r) => r.Region === 'RegionOne'))
  })

  it('creates, lists, shows, sets and deletes domains, projects, users, groups and roles', async () => {
    const domain = await openstackJson<Row>(admin, [
      'domain',
      'create',
      '--description',
      'cli test',
      'clidomain',
    ])
    assert.equal(domain.name, 'clidomain')
    await openstackOk(admin, ['domain', 'set', '--description', 'changed', 'clidomain'])
    assert.equal((await openstackJson<Row>(admin, ['domain', 'show', 'clidomain'])).description, 'changed')
    assert.ok((await openstackJson<Row[]>(admin, ['domain', 'list'])).some((d) => d.Name === 'clidomain'))

    const project = await openstackJson<Row>(admin, [
      'project',
      'create',
      '--domain',
      'clidomain',
      '--tag',
      'blue',
      'cliproject',
    ])
    assert.equal(project.domain_id, domain.id)
    const child = await openstackJson<Row>(admin, [
      'project',
      'create',
      '--domain',
      'clidomain',
      '--parent',
      String(project.id),
      'clichild',
    ])
    assert.equal(child.parent_id, project.id)
    await openstackOk(admin, [
      'project',
      'set',
      '--domain',
      'clidomain',
      '--description',
      'p',
      '--disable',
      'clichild',
    ])
    const shownChild = await openstackJson<Row>(admin, [
      'project',
      'show',
      '--domain',
      'clidomain',
      'clichild',
    ])
    assert.equal(shownChild.enabled, false)
    assert.ok((await openstackJson<Row[]>(admin, ['project', 'list', '--domain', 'clidomain'])).length >= 2)

    const user = await openstackJson<Row>(admin, [
      'user',
      'create',
      '--domain',
      'clidomain',
      '--password',
      'pw-one',
      '--email',
      'u@example.com',
      'cliuser',
    ])
    assert.equal(user.name, 'cliuser')
    await openstackOk(admin, [
      'user',
      'set',
      '--domain',
      'clidomain',
      '--description',
      'described',
      'cliuser',
    ])
    assert.equal(
      (await openstackJson<Row>(admin, ['user', 'show', '--domain', 'clidomain', 'cliuser'])).description,
      'described',
    )
    assert.ok(
      (await openstackJson<Row[]>(admin, ['user', 'list', '--domain', 'clidomain'])).some(
        (u) => u.Name === 'cliuser',
      ),
    )

    const group = await openstackJson<Row>(admin, ['group', 'create', '--domain', 'clidomain', 'cligroup'])
    await openstackOk(admin, [
      'group',
      'add',
      'user',
      '--group-domain',
      'clidomain',
      '--user-domain',
      'clidomain',
      'cligroup',
      'cliuser',
    ])
    const contains = await openstack(admin, [
      'group',
      'contains',
      'user',
      '--group-domain',
      'clidomain',
      '--user-domain',
      'clidomain',
      'cligroup',
      'cliuser',
    ])
    assert.equal(contains.code, 0, contains.stderr)
    assert.match(contains.stdout, /^cliuser in group cligroup/)
    await openstackOk(admin, ['group', 'set', '--domain', 'clidomain', '--description', 'g', 'cligroup'])
    assert.ok(
      (await openstackJson<Row[]>(admin, ['group', 'list', '--domain', 'clidomain'])).some(
        (g) => g.ID === group.id,
      ),
    )

    const role = await openstackJson<Row>(admin, ['role', 'create', 'clirole'])
    await openstackOk(admin, ['role', 'set', '--name', 'clirole2', 'clirole'])
    assert.equal((await openstackJson<Row>(admin, ['role', 'show', 'clirole2'])).id, role.id)
    assert.ok((await openstackJson<Row[]>(admin, ['role', 'list'])).some((r) => r.Name === 'clirole2'))

    // Deletes, children first.
    await openstackOk(admin, ['role', 'delete', 'clirole2'])
    await openstackOk(admin, ['group', 'delete', '--domain', 'clidomain', 'cligroup'])
    await openstackOk(admin, ['user', 'delete', '--domain', 'clidomain', 'cliuser'])
    await openstackOk(admin, ['project', 'delete', '--domain', 'clidomain', 'clichild'])
    await openstackOk(admin, ['project', 'delete', '--domain', 'clidomain', 'cliproject'])
    await openstackOk(admin, ['domain', 'set', '--disable', 'clidomain'])
    await openstackOk(admin, ['domain', 'delete', 'clidomain'])
    const gone = await openstack(admin, ['domain', 'show', 'clidomain'])
    assert.notEqual(gone.code, 0)
  })

  it('grants, lists and removes role assignments on projects, domains and the system', async () => {
    await openstackOk(admin, ['user', 'create', '--password', 'pw', 'assignee'])
    await openstackOk(admin, ['project', 'create', 'assignproject'])
    await openstackOk(admin, ['group', 'create', 'assigngroup'])
    await openstackOk(admin, ['group', 'add', 'user', 'assigngroup', 'assignee'])
    await openstackOk(admin, ['role', 'add', '--user', 'assignee', '--project', 'assignproject', 'member'])
    await openstackOk(admin, [
      'role',
      'add',
      '--group',
      'assigngroup',
      '--project',
      'assignproject',
      'reader',
    ])
    await openstackOk(admin, ['role', 'add', '--user', 'assignee', '--domain', 'default', 'reader'])
    await openstackOk(admin, ['role', 'add', '--user', 'assignee', '--system', 'all', 'reader'])

    const named = await openstackJson<Row[]>(admin, [
      'role',
      'assignment',
      'list',
      '--user',
      'assignee',
      '--names',
    ])
    const scopes = named.map((a) => `${a.Role}@${a.Project || a.Domain || a.System}`)
    assert.ok(scopes.includes('member@assignproject@Default'), JSON.stringify(named))
    assert.ok(scopes.includes('reader@Default'), JSON.stringify(named))
    assert.ok(scopes.includes('reader@all'), JSON.stringify(named))

    // Effective: the group's reader role shows up as the user's own, and member implies reader.
    const effective = await openstackJson<Row[]>(admin, [
      'role',
      'assignment',
      'list',
      '--user',
      'assignee',
      '--project',
      'assignproject',
      '--effective',
      '--names',
    ])
    const roles = new Set(effective.map((a) => a.Role))
    assert.ok(roles.has('member') && roles.has('reader'), JSON.stringify(effective))
    assert.ok(
      effective.every((a) => a.User === 'assignee@Default'),
      JSON.stringify(effective),
    )

    await openstackOk(admin, ['role', 'remove', '--user', 'assignee', '--project', 'assignproject', 'member'])
    await openstackOk(admin, ['role', 'remove', '--user', 'assignee', '--domain', 'default', 'reader'])
    await openstackOk(admin, ['role', 'remove', '--user', 'assignee', '--system', 'all', 'reader'])
    const left = await openstackJson<Row[]>(admin, [
      'role',
      'assignment',
      'list',
      '--user',
      'assignee',
      '--names',
    ])
    assert.equal(left.length, 0, JSON.stringify(left))
  })

  it('creates and lists implied roles', async () => {
    await openstackOk(admin, ['role', 'create', 'prior'])
    await openstackOk(admin, ['role', 'create', 'implied'])
    const made = await openstackJson<Row>(admin, [
      'implied',
      'role',
      'create',
      '--implied-role',
      'implied',
      'prior',
    ])
    assert.match(String(made.prior_role), /^[0-9a-f]{32}$/)
    assert.match(String(made.implies), /^[0-9a-f]{32}$/)
    const list = await openstackJson<Row[]>(admin, ['implied', 'role', 'list'])
    assert.ok(
      list.some((r) => r['Prior Role Name'] === 'prior' && r['Implied Role Name'] === 'implied'),
      JSON.stringify(list),
    )
    // The bootstrap's chain (Keystone 2023.2): admin > manager > member > reader.
    const pairs = list.map((r) => `${r['Prior Role Name']}>${r['Implied Role Name']}`).sort()
    assert.deepEqual(pairs, ['admin>manager', 'manager>member', 'member>reader', 'prior>implied'])
  })

  it('creates an application credential and authenticates with it', async () => {
    const cred = await openstackJson<Row>(admin, [
      'application',
      'credential',
      'create',
      '--description',
      'ci',
      'clicred',
    ])
    assert.ok(cred.secret && cred.id)
    const env: NodeJS.ProcessEnv = {
      ...cloud.env,
      OS_AUTH_TYPE: 'v3applicationcredential',
      OS_AUTH_URL: cloud.authUrl,
      OS_APPLICATION_CREDENTIAL_ID: String(cred.id),
      OS_APPLICATION_CREDENTIAL_SECRET: String(cred.secret),
      OS_REGION_NAME: 'RegionOne',
    }
    const token = await openstackJson<Row>(env, ['token', 'issue'])
    assert.ok(token.id)
    const wrong = await openstack({ ...env, OS_APPLICATION_CREDENTIAL_SECRET: 'nope' }, ['token', 'issue'])
    assert.notEqual(wrong.code, 0)
    assert.ok(
      (await openstackJson<Row[]>(admin, ['application', 'credential', 'list'])).some(
        (c) => c.Name === 'clicred',
      ),
    )
    await openstackOk(admin, ['application', 'credential', 'delete', 'clicred'])
    const after = await openstack(env, ['token', 'issue'])
    assert.notEqual(after.code, 0)
  })

  it('changes a password; the old one stops working', async () => {
    await openstackOk(admin, ['project', 'create', 'pwproject'])
    await openstackOk(admin, ['user', 'create', '--password', 'first-pw', '--project', 'pwproject', 'pwuser'])
    await openstackOk(admin, ['role', 'add', '--user', 'pwuser', '--project', 'pwproject', 'member'])
    const user = asUser('pwuser', 'first-pw', 'pwproject')
    await openstackOk(user, ['token', 'issue'])
    await openstackOk(user, [
      'user',
      'password',
      'set',
      '--original-password',
      'first-pw',
      '--password',
      'second-pw',
    ])
    assert.notEqual((await openstack(user, ['token', 'issue'])).code, 0)
    await openstackOk(asUser('pwuser', 'second-pw', 'pwproject'), ['token', 'issue'])
    // An admin may set a password directly too.
    await openstackOk(admin, ['user', 'set', '--password', 'third-pw', 'pwuser'])
    await openstackOk(asUser('pwuser', 'third-pw', 'pwproject'), ['token', 'issue'])
  })

  it('a disabled user can no longer authenticate and its old tokens stop working', async () => {
    await openstackOk(admin, ['project', 'create', 'disproject'])
    await openstackOk(admin, ['user', 'create', '--password', 'pw', 'disuser'])
    await openstackOk(admin, ['role', 'add', '--user', 'disuser', '--project', 'disproject', 'member'])
    const user = asUser('disuser', 'pw', 'disproject')
    const token = await openstackJson<Row>(user, ['token', 'issue'])
    const withToken = {
      ...cloud.env,
      OS_AUTH_TYPE: 'token',
      OS_TOKEN: String(token.id),
      OS_AUTH_URL: cloud.authUrl,
      OS_PROJECT_ID: String(token.project_id),
    }
    await openstackOk(withToken, ['token', 'issue'])
    await openstackOk(admin, ['user', 'set', '--disable', 'disuser'])
    const login = await openstack(user, ['token', 'issue'])
    assert.notEqual(login.code, 0)
    const old = await openstack(withToken, ['token', 'issue'])
    assert.notEqual(old.code, 0)
  })

  it('registered limits and project limits: create, list, show, set, delete', async () => {
    const none = await openstackJson<Row[]>(admin, ['limit', 'list'])
    assert.deepEqual(none, [])
    const reg = await openstackJson<Row>(admin, [
      'registered',
      'limit',
      'create',
      '--service',
      'glance',
      '--region',
      'RegionOne',
      '--default-limit',
      '5',
      '--description',
      'images per project',
      'image_count_total',
    ])
    assert.equal(reg.resource_name, 'image_count_total')
    assert.equal(reg.default_limit, 5)
    assert.equal(reg.region_id, 'RegionOne')
    const regId = String(reg.id)
    const regs = await openstackJson<Row[]>(admin, ['registered', 'limit', 'list', '--service', 'glance'])
    assert.ok(
      regs.some((r) => r.ID === regId && r['Default Limit'] === 5),
      JSON.stringify(regs),
    )
    const shownReg = await openstackJson<Row>(admin, ['registered', 'limit', 'show', regId])
    assert.equal(shownReg.description, 'images per project')
    const setReg = await openstackJson<Row>(admin, [
      'registered',
      'limit',
      'set',
      '--default-limit',
      '6',
      regId,
    ])
    assert.equal(setReg.default_limit, 6)

    await openstackOk(admin, ['project', 'create', 'limitedproject'])
    const limit = await openstackJson<Row>(admin, [
      'limit',
      'create',
      '--project',
      'limitedproject',
      '--service',
      'glance',
      '--region',
      'RegionOne',
      '--resource-limit',
      '3',
      'image_count_total',
    ])
    assert.equal(limit.resource_limit, 3)
    const limitId = String(limit.id)
    const limits = await openstackJson<Row[]>(admin, [
      'limit',
      'list',
      '--service',
      'glance',
      '--project',
      'limitedproject',
    ])
    assert.deepEqual(
      limits.map((l) => [l.ID, l['Resource Limit']]),
      [[limitId, 3]],
    )
    const shown = await openstackJson<Row>(admin, ['limit', 'show', limitId])
    assert.equal(shown.resource_name, 'image_count_total')
    const set = await openstackJson<Row>(admin, ['limit', 'set', '--resource-limit', '4', limitId])
    assert.equal(set.resource_limit, 4)
    // A registered limit with limits on it cannot be deleted (403), as upstream.
    const refused = await openstack(admin, ['registered', 'limit', 'delete', regId])
    assert.notEqual(refused.code, 0)
    await openstackOk(admin, ['limit', 'delete', limitId])
    await openstackOk(admin, ['registered', 'limit', 'delete', regId])
    const after = await openstackJson<Row[]>(admin, ['registered', 'limit', 'list', '--service', 'glance'])
    assert.ok(!after.some((r) => r.ID === regId))
  })
})

describe('a federated login, set up with the openstack CLI', () => {
  let cloud: CloudProcess
  let admin: NodeJS.ProcessEnv
  before(async () => {
    // The test's own requests come from 127.0.0.1: it plays the front proxy that
    // authenticated the user and passes the asserted attributes as headers.
    cloud = await startCloudProcess({ env: { OS_FEDERATION__TRUSTED_PROXY_ADDRESSES: '127.0.0.1' } })
    admin = { ...cloud.env, OS_CLOUD: 'cloudlet-admin' }
  })
  after(async () => {
    await cloud?.stop()
  })

  it('creates an identity provider, a mapping and a protocol; an assertion gets a token that rescopes', async () => {
    const domain = await openstackJson<Row>(admin, ['domain', 'create', 'fed-domain'])
    const idp = await openstackJson<Row>(admin, [
      'identity',
      'provider',
      'create',
      '--remote-id',
      'https://idp.example.org',
      '--domain',
      'fed-domain',
      '--enable',
      'corp-idp',
    ])
    assert.equal(idp.domain_id, domain.id)
    assert.equal(idp.enabled, true)
    await openstackOk(admin, ['group', 'create', '--domain', 'fed-domain', 'engineers'])
    await openstackOk(admin, ['project', 'create', '--domain', 'fed-domain', 'eng-project'])
    await openstackOk(admin, [
      'role',
      'add',
      '--group',
      'engineers',
      '--group-domain',
      'fed-domain',
      '--project',
      'eng-project',
      '--project-domain',
      'fed-domain',
      'member',
    ])
    const rules = [
      {
        local: [{ user: { name: '{0}' } }, { groups: '{1}', domain: { name: 'fed-domain' } }],
        remote: [{ type: 'REMOTE_USER' }, { type: 'OIDC-groups', whitelist: ['engineers'] }],
      },
    ]
    const rulesFile = join(cloud.dataDir, 'rules.json')
    writeFileSync(rulesFile, JSON.stringify(rules))
    const mapping = await openstackJson<Row>(admin, [
      'mapping',
      'create',
      '--rules',
      rulesFile,
      'corp-mapping',
    ])
    assert.equal(mapping.id, 'corp-mapping')
    const protocol = await openstackJson<Row>(admin, [
      'federation',
      'protocol',
      'create',
      '--identity-provider',
      'corp-idp',
      '--mapping',
      'corp-mapping',
      'openid',
    ])
    assert.equal(protocol.mapping, 'corp-mapping')

    const auth = await fetch(
      `${cloud.authUrl}/OS-FEDERATION/identity_providers/corp-idp/protocols/openid/auth`,
      {
        method: 'POST',
        headers: {
          'X-Federation-REMOTE_USER': 'dana',
          'X-Federation-OIDC-groups': 'engineers;visitors',
        },
      },
    )
    const body = (await auth.json()) as { token: Row & { user: Row } }
    assert.equal(auth.status, 201, JSON.stringify(body))
    assert.deepEqual(body.token.methods, ['mapped'])
    assert.equal(
      (body.token.user['OS-FEDERATION'] as Row & { identity_provider: Row }).identity_provider.id,
      'corp-idp',
    )
    const unscoped = auth.headers.get('x-subject-token')!

    // The CLI with the unscoped token: the projects it may scope to, then a token rescoped to one.
    const asFederated = {
      ...cloud.env,
      OS_AUTH_TYPE: 'v3token',
      OS_TOKEN: unscoped,
      OS_AUTH_URL: cloud.authUrl,
    }
    const projects = await fetch(`${cloud.authUrl}/auth/projects`, { headers: { 'x-auth-token': unscoped } })
    const names = ((await projects.json()) as { projects: Row[] }).projects.map((p) => p.name)
    assert.deepEqual(names, ['eng-project'])
    const scoped = await openstackJson<Row>(
      { ...asFederated, OS_PROJECT_NAME: 'eng-project', OS_PROJECT_DOMAIN_NAME: 'fed-domain' },
      ['token', 'issue'],
    )
    const project = await openstackJson<Row>(admin, [
      'project',
      'show',
      '--domain',
      'fed-domain',
      'eng-project',
    ])
    assert.equal(scoped.project_id, project.id)
    const shadow = await openstackJson<Row[]>(admin, ['user', 'list', '--domain', 'fed-domain'])
    assert.ok(shadow.some((u) => u.Name === 'dana' && u.ID === scoped.user_id))
  })
})
