/// The reference entry of a call: what it returns and the errors it gives, and why. Shown in free
/// play on a key; written for learners, not copied from manual pages.
public struct CallReference: Sendable {
  public var returns: String
  public var errors: [(name: String, why: String)]

  public init(returns: String, errors: [(name: String, why: String)]) {
    self.returns = returns
    self.errors = errors
  }

  /// The entry for `name`, for every call the language knows.
  public static func entry(for name: String) -> CallReference? { CallCatalog.definition(named: name)?.reference }
}
