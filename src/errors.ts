// The one error type for a request the platform refuses: an HTTP status, Heroku's error id and a message
// a user can act on. Components throw it (or a subclass naming their domain); the API's one error handler
// turns it into Heroku's body `{"id": "...", "message": "..."}`. A leaf: it imports nothing of ours, so
// every component may throw it without depending on the API.

export class PlatformError extends Error {
  constructor(readonly status: number, readonly id: string, message: string, readonly resource?: string) {
    super(message);
  }
}

export const notFound = (resource: string, message: string) => new PlatformError(404, 'not_found', message, resource);
export const invalid = (message: string) => new PlatformError(422, 'invalid_params', message);
export const conflict = (message: string) => new PlatformError(409, 'conflict', message);
