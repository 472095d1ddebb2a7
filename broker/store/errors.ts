/** The store could not be reached or failed transiently; maps to gRPC UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}
