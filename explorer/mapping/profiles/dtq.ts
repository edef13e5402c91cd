/** The `dtq` profile: lines already in the contract's shape. The explorer reads them untouched. */
import type { MappingSpec } from '../spec.ts';

/** The default: no mapping step at all. */
export const dtqProfile: MappingSpec = { name: 'dtq' };
