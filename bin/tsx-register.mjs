// Loaded with `node --import` before the entry: registers tsx (through its public API) so Node runs
// the TypeScript sources as they are.
import { register } from 'tsx/esm/api';

register();
