// The API throws the platform's one error type (src/errors.ts); re-exported for the route files.
export { PlatformError, conflict, invalid, notFound } from '../errors.ts';
