/** MLflow's error codes and the HTTP statuses its tracking server answers them with. */
export const ERROR_STATUS = {
  INVALID_PARAMETER_VALUE: 400,
  BAD_REQUEST: 400,
  MALFORMED_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_STATE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
} as const;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** Thrown by the MLflow API's handlers; answered as `{error_code, message}` with the code's status. */
export class MlflowError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "MlflowError";
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  body() {
    return { error_code: this.code, message: this.message };
  }
}

export const invalid = (message: string) => new MlflowError("INVALID_PARAMETER_VALUE", message);
export const missing = (message: string) => new MlflowError("RESOURCE_DOES_NOT_EXIST", message);
