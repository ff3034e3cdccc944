/** The operations of the PSP-facing APIs, as the request journal and fault injection name them. */
export const API_OPERATIONS = [
  'TOKEN',
  'INIT',
  'DETAILS',
  'UPDATESTATUS',
  'FORCE_APPROVE',
  'MERCHANT_LIST',
  'MERCHANT_CREATE',
  'MERCHANT_GET',
  'MERCHANT_UPDATE',
] as const;
export type ApiOperation = (typeof API_OPERATIONS)[number];
