/**
 * Recognises driver errors the domain cares about, the same way on every dialect.
 */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; errno?: number; message?: string }
  return (
    e?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    e?.code === '23505' || // PostgreSQL unique_violation
    e?.code === 'ER_DUP_ENTRY' ||
    e?.errno === 1062
  )
}

export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: string; errno?: number }
  return (
    e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY' ||
    e?.code === '23503' ||
    e?.code === 'ER_ROW_IS_REFERENCED_2' ||
    e?.code === 'ER_NO_REFERENCED_ROW_2' ||
    e?.errno === 1451 ||
    e?.errno === 1452
  )
}

/** Serialization failures and deadlocks: the transaction may simply be retried. */
export function isRetryableTransactionError(error: unknown): boolean {
  const e = error as { code?: string; errno?: number }
  return (
    e?.code === '40001' || // PostgreSQL serialization_failure
    e?.code === '40P01' || // PostgreSQL deadlock_detected
    e?.code === 'ER_LOCK_DEADLOCK' ||
    e?.errno === 1213 ||
    e?.code?.startsWith('SQLITE_BUSY') === true // SQLITE_BUSY, _SNAPSHOT, _RECOVERY, _TIMEOUT
  )
}

/**
 * A value the column cannot hold: a string longer than its declared length, a number
 * beyond its type's range, characters outside its character set. The request, not the
 * server, is at fault; validators should have refused it, and this is the net below.
 */
export function isValueOutOfRange(error: unknown): boolean {
  const e = error as { code?: string; errno?: number }
  return (
    e?.code === '22001' || // PostgreSQL string_data_right_truncation
    e?.code === '22003' || // PostgreSQL numeric_value_out_of_range
    e?.code === '22021' || // PostgreSQL character_not_in_repertoire
    e?.code === 'ER_DATA_TOO_LONG' ||
    e?.code === 'ER_WARN_DATA_OUT_OF_RANGE' ||
    e?.code === 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD' ||
    e?.errno === 1406 ||
    e?.errno === 1264 ||
    e?.errno === 1366
  )
}
