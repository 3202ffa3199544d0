import SocketKit

/// What one call is at each layer: the POSIX call, its OpenSSL BIO counterpart, and what the
/// kernel does for it (OpenBSD's in-kernel interface, and where Linux sleeps).
public struct CallLayers: Sendable, Hashable {
  public var posix: String
  public var bio: String
  public var kernel: String

  public init(posix: String, bio: String, kernel: String) {
    self.posix = posix
    self.bio = bio
    self.kernel = kernel
  }
}

/// What a call does to the descriptors an actor owns.
public enum Ownership: Sendable, Hashable {
  case none
  /// A result of 0 or more is a new descriptor, owned by the actor that made the call.
  case opensDescriptor
  /// The first argument's descriptor is released when the call succeeds.
  case closesDescriptor
}

/// How a call says that it failed, so that C checks it the way its manual says.
public enum FailureConvention: Sendable, Hashable {
  /// -1 and errno: socket(), bind(), send() and most system calls.
  case minusOne
  /// OpenSSL's 1 on success and 0 on failure, with errno.
  case zeroIsFailure
  /// 1 for a valid address, 0 for text that is not one (inet_aton, inet_pton); no errno.
  case zeroIsInvalid
  /// 0, or an EAI_ code (getaddrinfo).
  case errorCode
  /// A pointer, NULL on failure (inet_ntop).
  case nullPointer
  /// Cannot fail: htons(), inet_ntoa(), strlen().
  case never
}

/// What else a call is, for the panes and the lesson checks.
public struct CallTraits: OptionSet, Sendable, Hashable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }

  /// Its last result is shown in the Address pane (inet_aton, getsockname).
  public static let showsInAddressPane = CallTraits(rawValue: 1)
  /// The C library answers it in the process; the kernel is not asked.
  public static let libraryCall = CallTraits(rawValue: 2)
  /// OpenSSL answers it.
  public static let openSSL = CallTraits(rawValue: 4)
  /// Ends the sending side of a connection (a FIN follows), as shutdown() and close() do.
  public static let endsSending = CallTraits(rawValue: 8)
  /// Its result is a pointer to text, as inet_ntoa's static buffer.
  public static let returnsText = CallTraits(rawValue: 16)
  /// It may sleep in the kernel until the peer acts (accept, recv, connect, poll).
  public static let mayBlock = CallTraits(rawValue: 32)
  /// libowfat's API, which exports carry as SocketLab's own C (libowfat is GPL; it is not linked).
  public static let libowfat = CallTraits(rawValue: 64)
  /// Its text lives in a static buffer of the thread, which the next call overwrites (inet_ntoa).
  public static let staticBuffer = CallTraits(rawValue: 128)
  /// Reports a TCP state, so a line can expect one: `tcp_state(s) = LISTEN`.
  public static let reportsTCPState = CallTraits(rawValue: 256)
}

/// How a call is written in C.
public struct CForm: Sendable {
  /// The C type of what the call returns, for a variable that first takes it.
  public var resultType: String
  /// Arguments that are a `struct sockaddr *` in C: `&addr` gets its cast there.
  public var addressArguments: Set<Int>
  /// For a queue query: the ioctl request that reads the same count (FIONREAD, TIOCOUTQ).
  public var kernelRequest: String?
  /// The lab's short forms written out as C: extra declarations and the full argument list.
  var shortForm: (@Sendable (inout CRenderer, [Expr]) -> (declarations: [CLine], arguments: [String])?)?
  /// For a builder: the C statements that fill `target`.
  var build: (@Sendable (inout CRenderer, [Expr], String) -> [CLine])?
  /// For a kernel query: the C that asks the kernel the same question.
  var query: (@Sendable (inout CRenderer, [Expr], Expr?) -> [CLine])?

  public init(resultType: String = "int", addressArguments: Set<Int> = []) {
    self.resultType = resultType
    self.addressArguments = addressArguments
  }

  init(
    resultType: String = "int", addressArguments: Set<Int> = [], kernelRequest: String? = nil,
    shortForm: (@Sendable (inout CRenderer, [Expr]) -> (declarations: [CLine], arguments: [String])?)? = nil,
    build: (@Sendable (inout CRenderer, [Expr], String) -> [CLine])? = nil,
    query: (@Sendable (inout CRenderer, [Expr], Expr?) -> [CLine])? = nil
  ) {
    self.resultType = resultType
    self.addressArguments = addressArguments
    self.kernelRequest = kernelRequest
    self.shortForm = shortForm
    self.build = build
    self.query = query
  }
}

/// How the lab runs a call.
enum Perform: Sendable {
  /// A real call: its record goes in the log.
  case system(@Sendable (inout CallContext, [Expr], SourceLocation) throws(ScriptError) -> CallRecord)
  /// Builds a value in the lab's memory.
  case builder(@Sendable (inout CallContext, [Expr], SourceLocation) throws(ScriptError) -> Value)
  /// Asks the kernel about descriptor `fd`: the result and how it is shown.
  case query(@Sendable (CallContext, Int32, SourceLocation) throws(ScriptError) -> (ReturnValue, String))
  /// `value(expr)`: shows what an expression holds.
  case value
  /// A wire line: it acts on the lab's relay or reads what crossed it.
  case wire(@Sendable (inout CallContext, [Expr], SourceLocation) throws(ScriptError) -> CallRecord)
}

/// Everything the lab knows of one call: how it is typed, explained, layered, owned, run and
/// written in C. The catalog is the list of these; nothing else names a call.
public struct CallDefinition: Sendable, Equatable {
  public let spec: CallSpec
  public let reference: CallReference
  /// nil for the lab's builders and for the C library's calls, which have no kernel layer.
  public let layers: CallLayers?
  public let ownership: Ownership
  public let failure: FailureConvention
  public let traits: CallTraits
  public let c: CForm
  let perform: Perform
  /// What is certainly wrong in the arguments as written, caught before anything runs.
  let checkLiterals: (@Sendable ([Expr]) throws(ScriptError) -> Void)?

  public var name: String { spec.name }

  /// `value(expr)`: a line that shows what an expression holds, not a call.
  public var isValueCheck: Bool {
    if case .value = perform { return true }
    return false
  }

  public static func == (a: CallDefinition, b: CallDefinition) -> Bool { a.name == b.name }

  init(
    _ name: String, _ parameters: [String], arities: Set<Int>? = nil, out: [Int: OutParameter] = [:], summary: String,
    returns: String, errors: [(name: String, why: String)] = [], layers: CallLayers? = nil,
    ownership: Ownership = .none, failure: FailureConvention = .minusOne, traits: CallTraits = [], c: CForm = CForm(),
    literals: (@Sendable ([Expr]) throws(ScriptError) -> Void)? = nil, _ perform: Perform
  ) {
    let kind: CallKind
    switch perform {
    case .system: kind = .system
    case .builder, .value: kind = .builder
    case .query: kind = .kernelQuery
    case .wire: kind = .wire
    }
    spec = CallSpec(
      name: name, parameters: parameters, arities: arities ?? [parameters.count], kind: kind, outParameters: out,
      summary: summary)
    reference = CallReference(returns: returns, errors: errors)
    self.layers = layers
    self.ownership = ownership
    self.failure = failure
    self.traits = traits
    self.c = c
    self.perform = perform
    self.checkLiterals = literals
  }

  /// Whether a result means the call succeeded, by its failure convention.
  public func succeeded(_ record: CallRecord) -> Bool {
    switch failure {
    case .minusOne: return record.error == nil && (record.result.intValue ?? 0) >= 0
    case .zeroIsFailure: return record.result.intValue == 1
    case .zeroIsInvalid: return record.result.intValue == 1
    case .errorCode: return record.result.intValue == 0
    case .nullPointer:
      if case .string(nil) = record.result { return false }
      return true
    case .never: return true
    }
  }
}
