/** The body of Cloudlet's `POST /v2.1/cloudlet-scheduler/explain` (no upstream counterpart). */
const hintValue = { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }

export const EXPLAIN = {
  type: 'object',
  properties: {
    request: {
      type: 'object',
      properties: {
        flavorRef: { type: ['string', 'integer'], minLength: 1, maxLength: 255 },
        imageRef: { type: 'string', minLength: 1, maxLength: 255 },
        project_id: { type: 'string', minLength: 1, maxLength: 255 },
        availability_zone: { type: 'string', minLength: 1, maxLength: 255 },
        scheduler_hints: { type: 'object', additionalProperties: hintValue },
        count: { type: 'integer', minimum: 1, maximum: 1000 },
      },
      required: ['flavorRef'],
      additionalProperties: false,
    },
  },
  required: ['request'],
  additionalProperties: false,
}
