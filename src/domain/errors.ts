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
