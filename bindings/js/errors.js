// The errors entitle-core throws: plain `Error`s named `Rejected` or `InvalidInput`, carrying the core's
// typed reason in `reason` and its fields in `details`. These classes make `instanceof` work on them.

/** An action the core refused; the request is unchanged. */
export class Rejected extends Error {
  static [Symbol.hasInstance](value) {
    return value instanceof Error && value.name === "Rejected";
  }
}

/** Input the core does not know: an unknown status or action, a malformed id, an inconsistent request. */
export class InvalidInput extends Error {
  static [Symbol.hasInstance](value) {
    return value instanceof Error && value.name === "InvalidInput";
  }
}
