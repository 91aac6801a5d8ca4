/**
 * Domain errors. They know nothing of SOAP: src/soap/faults.ts maps them to Marketo codes and
 * src/admin maps them to HTTP statuses.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class LeadNotFoundError extends DomainError {
  readonly kind = "leadNotFound";
}

export class InvalidLeadKeyError extends DomainError {
  readonly kind = "invalidLeadKey";
}

export class UnknownFieldError extends DomainError {
  readonly kind = "unknownField";
  constructor(readonly fields: string[]) {
    super(`unknown fields for import: ${fields.join(", ")}`);
  }
}

export class InvalidValueError extends DomainError {
  readonly kind = "invalidValue";
}

export class MissingParameterError extends DomainError {
  readonly kind = "missingParameter";
}

/** The caller may not do this (a workspace outside its own, a re-subscribe it is not allowed). */
export class AccessDeniedError extends DomainError {
  readonly kind = "accessDenied";
}

/** A write the rules cannot accept (e.g. a lead write without a channel). A bug, not bad input. */
export class InvalidWriteError extends DomainError {
  readonly kind = "invalidWrite";
}

/** Another transaction changed the row between read and lock: the transaction is retried. */
export class ConcurrentChangeError extends DomainError {
  readonly kind = "concurrentChange";
}

/** mergeLeads could not merge (a lead missing, ambiguous or on both sides). */
export class MergeFailedError extends DomainError {
  readonly kind = "mergeFailed";
}

/**
 * An error the request explains (bad value, unknown lead, not allowed): a batch record with one
 * is FAILED and the others go on. ConcurrentChangeError (retried) and InvalidWriteError (a bug)
 * are not: they end the unit of work. The one list of which is which.
 */
export function isRequestError(error: unknown): error is DomainError {
  return error instanceof DomainError && !(error instanceof ConcurrentChangeError) && !(error instanceof InvalidWriteError);
}
