/**
 * Every block storage policy rule, by upstream name, with Zed's default check string:
 * what `ctx.enforcer(...)` is built from.
 */
import type { RuleDefault } from '../../../kernel/policy/index.js'
import { ADMIN_RULES } from './admin.js'
import { BACKUP_RULES } from './backups.js'
import { BASE_RULES } from './base.js'
import { GROUP_RULES } from './groups.js'
import { SNAPSHOT_RULES } from './snapshots.js'
import { TYPE_RULES } from './types.js'
import { VOLUME_RULES } from './volumes.js'

export { ADMIN, ATTACHMENT, MESSAGE, QOS, TRANSFER, WORKERS } from './admin.js'
export { BACKUP } from './backups.js'
export { GROUP } from './groups.js'
export { SNAPSHOT } from './snapshots.js'
export { TYPE, USER_VISIBLE_EXTRA_SPECS } from './types.js'
export { VOLUME } from './volumes.js'

export const VOLUME_SERVICE_RULES: readonly RuleDefault[] = [
  ...BASE_RULES,
  ...VOLUME_RULES,
  ...SNAPSHOT_RULES,
  ...TYPE_RULES,
  ...ADMIN_RULES,
  ...BACKUP_RULES,
  ...GROUP_RULES,
]
