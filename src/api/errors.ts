// Heroku-style API errors: a status and a body `{"id": "...", "message": "..."}` a user can act on.

export class ApiError extends Error {
  constructor(readonly status: number, readonly id: string, message: string, readonly resource?: string) {
    super(message);
  }
}

export const notFound = (resource: string, message: string) => new ApiError(404, 'not_found', message, resource);
export const invalid = (message: string) => new ApiError(422, 'invalid_params', message);
export const conflict = (message: string) => new ApiError(409, 'conflict', message);
