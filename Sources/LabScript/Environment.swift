import SocketKit
import Synchronization

/// Where a socket was connected, remembered so that `tcp_state` can still find it in the kernel
/// after `close` (TIME-WAIT has no descriptor any more).
public struct Endpoints: Sendable, Equatable {
  public var local: SocketAddress?
  public var peer: SocketAddress?
}

/// The memory a session's actors share: variables, the descriptors the session opened, and the
/// ports it uses. Safe to use from every actor's thread.
public final class Environment: Sendable {
  /// The lab's ports, chosen free at the start: `PORT`, `PORT2`.
  public let ports: [String: UInt16]
  /// Whether calls may reach addresses other than this machine's.
  public let allowRemote: Bool

  private struct State {
    var variables: [String: Variable] = [:]
    var openDescriptors: Set<Int32> = []
    var owners: [Int32: String] = [:]
    var departed: [Departed] = []
    var endpoints: [Int32: Endpoints] = [:]
    var closedDescriptors: Set<Int32> = []
    var usedPorts: Set<UInt16> = []
    var sharedBuffers: [String: [UInt8]] = [:]
  }

  private let state = Mutex(State())
  private let sleepQuery = Mutex<(@Sendable (Int32) -> String?)?>(nil)

  /// Set by the engine: the kernel function in which the thread blocked on `fd` sleeps.
  public func setSleepQuery(_ query: @escaping @Sendable (Int32) -> String?) {
    sleepQuery.withLock { $0 = query }
  }

  /// The kernel function a call blocked on `fd` sleeps in, nil when none is blocked there.
  public func sleepingIn(fd: Int32) -> String? {
    let query = sleepQuery.withLock { $0 }
    return query?(fd)
  }

  private let wireLink = Mutex<(any WireLink)?>(nil)
  private let hostActors = Mutex<Set<String>>([])

  /// Set by the engine when the session has hosts: the relay between them, and the actors that
  /// live on them. Their sockets are in namespaces that reach nothing but each other, so the
  /// loopback-only rule does not apply to them.
  public func setWire(_ link: any WireLink, hostActors actors: Set<String>) {
    wireLink.withLock { $0 = link }
    hostActors.withLock { $0 = actors }
  }

  /// Whether `actor` runs on a host of the lab's private network.
  public func isOnHost(_ actor: String) -> Bool { hostActors.withLock { $0.contains(actor) } }

  /// The wire, or the reason a wire line cannot run.
  func requireWire(at place: SourceLocation) throws(ScriptError) -> any WireLink {
    guard let link = wireLink.withLock({ $0 }) else {
      throw ScriptError(
        "this session has no wire: its actors all run on this machine's loopback", at: place,
        hint: "a lesson asks for hosts with `hosts:` in its front matter; in free play, type :hosts")
    }
    return link
  }

  public init(ports: [String: UInt16], allowRemote: Bool = false) {
    self.ports = ports
    self.allowRemote = allowRemote
    state.withLock { $0.usedPorts = Set(ports.values) }
  }

  // MARK: - Variables

  public func variable(_ name: String) -> Variable? {
    if let port = ports[name] { return Variable(value: .int(Int(port)), cType: "int") }
    if name == "V6loopback" { return Variable(value: .in6Addr(Libowfat.loopback), cType: "const char[16]") }
    if name == "V6any" { return Variable(value: .in6Addr(Libowfat.any), cType: "const char[16]") }
    return state.withLock { $0.variables[name] }
  }

  public func set(_ name: String, _ variable: Variable) {
    state.withLock { $0.variables[name] = variable }
  }

  /// All variables by name, for display.
  public var variables: [String: Variable] { state.withLock { $0.variables } }

  /// What a static buffer (such as inet_ntoa's for one actor) holds now.
  public func sharedBuffer(_ key: String) -> [UInt8] { state.withLock { $0.sharedBuffers[key] ?? [] } }

  public func setSharedBuffer(_ key: String, _ bytes: [UInt8]) {
    state.withLock { $0.sharedBuffers[key] = bytes }
  }

  // MARK: - Descriptors

  /// Descriptors the session opened and has not closed.
  public var openDescriptors: Set<Int32> { state.withLock { $0.openDescriptors } }

  /// Records that `actor`'s call opened `fd`, whichever call it was (`socket`, `accept`,
  /// `BIO_socket`, libowfat's `socket_tcp6`, …): the Sockets pane shows it as that actor's.
  public func opened(by actor: String, _ fd: Int32) {
    state.withLock {
      $0.owners[fd] = actor
      $0.openDescriptors.insert(fd)
      $0.closedDescriptors.remove(fd)
      $0.endpoints[fd] = nil
    }
  }

  public func closed(_ fd: Int32) {
    state.withLock {
      $0.openDescriptors.remove(fd)
      $0.closedDescriptors.insert(fd)
      if let endpoints = $0.endpoints[fd], let local = endpoints.local, let peer = endpoints.peer {
        $0.departed.append(Departed(fd: fd, local: local, peer: peer))
      }
    }
  }

  /// A connection whose descriptor was closed while the kernel may still keep it (TIME-WAIT,
  /// FIN-WAIT-2, LAST-ACK): its exact addresses, to ask the kernel about it alone.
  public struct Departed: Sendable, Equatable {
    public var fd: Int32
    public var local: SocketAddress
    public var peer: SocketAddress
  }

  /// Connections closed by the session that the kernel may still keep, oldest first.
  public var departed: [Departed] { state.withLock { $0.departed } }

  /// Stops asking about connections the kernel has let go of.
  public func forget(_ gone: [Departed]) {
    guard !gone.isEmpty else { return }
    state.withLock { $0.departed.removeAll { gone.contains($0) } }
  }

  /// The actor whose call opened `fd`.
  public func owner(of fd: Int32) -> String? { state.withLock { $0.owners[fd] } }

  public func owns(_ fd: Int32) -> Bool { state.withLock { $0.openDescriptors.contains(fd) } }

  public func wasClosed(_ fd: Int32) -> Bool { state.withLock { $0.closedDescriptors.contains(fd) } }

  public func endpoints(of fd: Int32) -> Endpoints? { state.withLock { $0.endpoints[fd] } }

  /// Remembers where `fd` is bound and connected, and counts its port as one of the session's.
  /// An address the kernel no longer reports (a peer after the connection closed) keeps its
  /// last known value, so that the connection can still be found in the kernel's tables.
  public func note(_ endpoints: Endpoints, for fd: Int32) {
    state.withLock {
      let known = $0.endpoints[fd]
      let endpoints = Endpoints(local: endpoints.local ?? known?.local, peer: endpoints.peer ?? known?.peer)
      $0.endpoints[fd] = endpoints
      if let port = endpoints.local?.port, port != 0 { $0.usedPorts.insert(port) }
    }
  }

  /// The ports this session has bound or chosen, for finding its sockets in the kernel's tables.
  public var usedPorts: Set<UInt16> { state.withLock { $0.usedPorts } }
}
