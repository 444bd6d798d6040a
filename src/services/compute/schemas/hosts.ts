/** The os-hosts update body, as upstream's schema: each key `enable` or `disable` in one case. */
const toggle = { type: 'string', enum: ['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE'] }

export const UPDATE_HOST = {
  type: 'object',
  properties: { status: toggle, maintenance_mode: toggle },
  // NOTE: upstream's schema puts this anyOf among the properties, so an empty body passes
  // there and changes nothing; one of the two keys is what the API means to require.
  anyOf: [{ required: ['status'] }, { required: ['maintenance_mode'] }],
  additionalProperties: false,
}
