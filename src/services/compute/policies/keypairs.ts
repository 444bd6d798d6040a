/** Keypair rules: a user manages their own key pairs; an admin anyone's (2.10). */
import { ADMIN, rule } from './base.js'

export const KEYPAIR = {
  INDEX: 'os_compute_api:os-keypairs:index',
  CREATE: 'os_compute_api:os-keypairs:create',
  SHOW: 'os_compute_api:os-keypairs:show',
  DELETE: 'os_compute_api:os-keypairs:delete',
} as const

const OWNER = `(${ADMIN}) or user_id:%(user_id)s`
const LEGACY = 'rule:admin_api or user_id:%(user_id)s'

export const KEYPAIR_RULES = [
  rule(KEYPAIR.INDEX, OWNER, 'List all keypairs', [{ method: 'GET', path: '/os-keypairs' }], LEGACY),
  rule(KEYPAIR.CREATE, OWNER, 'Create a keypair', [{ method: 'POST', path: '/os-keypairs' }], LEGACY),
  rule(
    KEYPAIR.DELETE,
    OWNER,
    'Delete a keypair',
    [{ method: 'DELETE', path: '/os-keypairs/{keypair_name}' }],
    LEGACY,
  ),
  rule(
    KEYPAIR.SHOW,
    OWNER,
    'Show details of a keypair',
    [{ method: 'GET', path: '/os-keypairs/{keypair_name}' }],
    LEGACY,
  ),
]
