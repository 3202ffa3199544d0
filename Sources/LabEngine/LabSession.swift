import LabScript
import Lessons
import SocketKit
import WireKit

#if canImport(Glibc)
  import Glibc
#endif

/// How a session is set up.
public struct SessionConfiguration: Sendable {
  /// The port `PORT` stands for; nil lets the lab pick a free one.
  public var port: UInt16?
  /// Whether calls may reach addresses beyond this machine.
  public var allowRemote = false
  /// Who answers the lab's questions about the kernel: the real one, or a fake in tests.
  public var kernel: any KernelInspector

  /// The hosts of a private network, one per actor named (a lesson's `hosts:`); empty keeps
  /// every actor on this machine's loopback.
  public var hosts: [HostSpec] = []

  /// Actors that share one host of the lab's, whose loopback the Wire pane shows (a lesson's
  /// `wire: loopback`), when this machine allows it; otherwise they run on this machine's
  /// loopback as usual, and the session's `wireProblem` says why.
  public var sharedHost: [String] = []

  public init(
    port: UInt16? = nil, allowRemote: Bool = false, kernel: any KernelInspector = Kernel.current, hosts: [HostSpec] = [],
    sharedHost: [String] = []
  ) {
    self.port = port
    self.allowRemote = allowRemote
    self.kernel = kernel
    self.hosts = hosts
    self.sharedHost = sharedHost
  }
}

extension SessionConfiguration {
  /// Where a lesson's actors run: on hosts of their own (`hosts:`), on one host they share whose
  /// loopback is watched (`wire: loopback`), or on this machine's loopback.
  public mutating func place(_ lesson: Lesson) {
    guard hosts.isEmpty, sharedHost.isEmpty else { return }
    hosts = HostSpec.numbered(lesson.hosts)
    // Free play names its actors as it goes: the usual three are listed for `socklab exec`, and
    // any other actor joins the host too.
    if lesson.hosts.isEmpty, lesson.wireOnLoopback { sharedHost = lesson.actors.isEmpty ? ["main", "server", "client"] : lesson.actors }
  }
}

extension LabSession {
  /// The lesson as this session plays it: without its wire lines when it only watches its
  /// loopback and the session could not make the host.
  public func playable(_ lesson: Lesson) -> Lesson {
    lesson.wireOnLoopback && wire == nil ? lesson.withoutWireLines() : lesson
  }

  /// Whether the session's actors run on this machine's own loopback, where ports are shared
  /// with every other program (and with an earlier run's TIME-WAIT).
  public var isOnMachineLoopback: Bool { wire == nil }
}

/// A lab session: actors on their own threads running statements for real, an ordered event
/// log, and the kernel's view of every socket the session made. Ending it closes every socket and
/// ends every thread.
public final class LabSession: @unchecked Sendable {
  public let environment: Environment
  public let evaluator: Evaluator
  public let log = EventLog()
  public let kernel: any KernelInspector
  /// The wire between the session's hosts, when it has hosts and this machine allows them.
  public let wire: SessionWire?
  /// Why the session has no hosts although it asked for them, with the fix.
  public let wireProblem: WireError?
  /// When the session began (monotonic nanoseconds).
  public let began = MonotonicClock.nanoseconds()

  private let lock = ConditionLock()
  private var actors: [String: ActorThread] = [:]
  private var actorOrder: [String] = []
  private var nextTicket = 0
  private var running: [Int: BlockedCall] = [:]
  /// Tickets already reported as blocked, so that each is reported once.
  private var reported: Set<Int> = []
  private var closed = false

  /// The signal that interrupts a blocked call.
  static let interruptSignal = SIGUSR1
  private static let signalInstalled: Bool = {
    SocketAPI.installInterruptSignal(interruptSignal)
    return true
  }()

  public convenience init(configuration: SessionConfiguration, kernel: any KernelInspector) {
    var configuration = configuration
    configuration.kernel = kernel
    self.init(configuration: configuration)
  }

  public init(configuration: SessionConfiguration = SessionConfiguration()) {
    let kernel = configuration.kernel
    _ = Self.signalInstalled
    var picked = SocketAPI.freeLoopbackPorts(count: 2)
    // Pad first: when the kernel has no free port to offer, the list is shorter than asked.
    while picked.count < 2 { picked.append(0) }
    if let port = configuration.port { picked[0] = port }
    self.kernel = kernel
    environment = Environment(ports: ["PORT": picked[0], "PORT2": picked[1]], allowRemote: configuration.allowRemote)
    evaluator = Evaluator(environment: environment, kernel: kernel)
    var wire: SessionWire?
    var problem: WireError?
    if !configuration.hosts.isEmpty || !configuration.sharedHost.isEmpty {
      do {
        let network =
          configuration.hosts.isEmpty
          ? try HostNetwork(sharing: configuration.sharedHost) : try HostNetwork(hosts: configuration.hosts)
        // So that `socklab exec HOST -- COMMAND` can join a host from another terminal.
        network.publish(in: StatePaths.current().runtime)
        wire = SessionWire(network: network, began: MonotonicClock.nanoseconds())
        environment.setWire(wire!, hostActors: Set(network.hosts.map(\.name)))
      } catch {
        problem = error
      }
    }
    self.wire = wire
    wireProblem = problem
    wire?.isRunning = { [weak self] ticket in
      guard let self else { return false }
      return self.lock.withLock { self.running.values.contains { $0.ticket >= ticket && $0.actor != WireLanguage.actor } }
    }
    wire?.hasUnacknowledged = { [weak self] in
      guard let self else { return false }
      return self.environment.openDescriptors.contains { (self.kernel.unsentBytes(fd: $0) ?? 0) > 0 }
    }
    environment.setSleepQuery { [weak self] fd in self?.sleepingIn(fd: fd) }
    if let wire, wire.network.isShared {
      let owners = LoopbackOwners(environment: environment)
      wire.relay.resolveEnds { owners.ends(of: $0) }
    }
  }

  /// The kernel function in which the call blocked on `fd` sleeps (the call's first argument).
  func sleepingIn(fd: Int32) -> String? {
    // Not the query itself, which is running too and names the same descriptor.
    let calls = lock.withLock { Array(running.values) }.filter {
      $0.statement.expression.callName.flatMap { CallCatalog.spec(named: $0)?.kind } != .kernelQuery
    }
    guard let call = calls.first(where: { firstDescriptor(of: $0.statement) == fd }), let thread = threadID(of: call.actor) else {
      return nil
    }
    return kernel.sleepingIn(threadID: thread)
  }

  deinit { close() }

  /// The port `PORT` stands for.
  public var port: UInt16 { environment.ports["PORT"] ?? 0 }

  /// Actors in the order they first ran something.
  public var actorNames: [String] { lock.withLock { actorOrder } }

  // MARK: - Running statements

  /// Starts `statement` on its actor's thread, after that actor's earlier statements, and returns
  /// a ticket to wait on. Nothing blocks the caller.
  @discardableResult
  public func submit(_ statement: Statement) -> Int {
    let actorName = statement.actorName
    let (ticket, actor) = lock.withLock { () -> (Int, ActorThread?) in
      guard !closed else { return (-1, nil) }
      let ticket = nextTicket
      nextTicket += 1
      if actors[actorName] == nil {
        actors[actorName] = ActorThread(
          name: actorName, interruptSignal: Self.interruptSignal, namespace: wire?.network.namespace(of: actorName))
        actorOrder.append(actorName)
      }
      return (ticket, actors[actorName])
    }
    guard let actor else { return ticket }
    actor.enqueue { [self] in execute(statement, ticket: ticket, actor: actor) }
    return ticket
  }

  private func execute(_ statement: Statement, ticket: Int, actor: ActorThread) {
    let call = BlockedCall(
      actor: actor.name, ticket: ticket, statement: statement, since: MonotonicClock.nanoseconds(), kernelFunction: nil)
    lock.withLock { running[ticket] = call }
    log.append(actor: actor.name, ticket: ticket, .started(statement))
    let isWire = statement.actorName == WireLanguage.actor
    let isQuestion = isWire && statement.expression.callName != "wire:"
    if !isWire { wire?.lineStarted(ticket: ticket) }
    do {
      let outcome = try evaluator.run(statement)
      if isWire { wire?.wireLineDone(ticket: ticket, question: isQuestion) }
      lock.withLock { running[ticket] = nil }
      log.append(actor: actor.name, ticket: ticket, .finished(statement, outcome))
    } catch {
      if isWire { wire?.wireLineDone(ticket: ticket, question: isQuestion) }
      lock.withLock { running[ticket] = nil }
      log.append(actor: actor.name, ticket: ticket, .refused(statement, error))
    }
  }

  /// Whether the statement behind `ticket` has run to its end (finished or refused).
  public func isDone(_ ticket: Int) -> Bool { log.isComplete(ticket) }

  /// Waits up to `timeout` nanoseconds for `ticket` to finish; true if it did.
  public func wait(for ticket: Int, timeout: UInt64) -> Bool {
    log.waitForCompletion(of: ticket, timeout: timeout)
  }

  /// Whether `actor` is in the middle of a call.
  public func isBusy(_ actor: String) -> Bool {
    lock.withLock { running.values.contains { $0.actor == actor } }
  }

  /// Calls that have not returned yet, with where each thread sleeps in the kernel.
  public var runningCalls: [BlockedCall] {
    let calls = lock.withLock { Array(running.values) }.sorted { $0.ticket < $1.ticket }
    return calls.map { call in
      var call = call
      call.kernelFunction = threadID(of: call.actor).flatMap { kernel.sleepingIn(threadID: $0) }
      return call
    }
  }

  private func threadID(of actor: String) -> Int32? {
    lock.withLock { actors[actor]?.threadID }
  }

  /// Reports `ticket` as blocked, unless it finished meanwhile; returns the blocked call.
  @discardableResult
  public func markBlocked(_ ticket: Int) -> BlockedCall? {
    guard var call = lock.withLock({ running[ticket] }) else { return nil }
    // The thread may not have reached the kernel's wait yet; look a few times.
    for _ in 0..<10 {
      call.kernelFunction = threadID(of: call.actor).flatMap { kernel.sleepingIn(threadID: $0) }
      if call.kernelFunction != nil || isDone(ticket) { break }
      kernel.pause(milliseconds: 1)
    }
    guard !isDone(ticket) else { return nil }
    let first = lock.withLock { reported.insert(ticket).inserted }
    if first { log.append(actor: call.actor, ticket: ticket, .blocked(call)) }
    return call
  }

  /// Reports as blocked every call that has run longer than `grace` nanoseconds and was not
  /// reported yet.
  public func reportOverdueCalls(grace: UInt64) {
    let now = MonotonicClock.nanoseconds()
    let overdue = lock.withLock {
      // A wire question waits for the line before it and for the wire to go quiet: it is slow,
      // never blocked.
      running.values.filter { now >= $0.since + grace && !reported.contains($0.ticket) && $0.actor != WireLanguage.actor }
        .map(\.ticket)
    }
    for ticket in overdue.sorted() { markBlocked(ticket) }
  }

  /// Makes `actor`'s blocked call return: first with a signal (the call returns -1 EINTR), and if
  /// that does not work, by shutting its socket down. Returns what was done, nil if nothing was
  /// blocked.
  @discardableResult
  public func interrupt(_ actor: String) -> String? {
    guard let call = lock.withLock({ running.values.first { $0.actor == actor } }),
      let thread = lock.withLock({ actors[actor] })
    else { return nil }
    var how = "sent a signal; the call returned -1 EINTR"
    var done = false
    for _ in 0..<25 where !done {
      thread.send(signal: Self.interruptSignal)
      done = wait(for: call.ticket, timeout: 20_000_000)
    }
    if !done, let fd = firstDescriptor(of: call.statement) {
      SocketAPI.wake(fd: fd)
      how = "shut descriptor \(fd) down (SHUT_RDWR) to wake the call"
      done = wait(for: call.ticket, timeout: 1_000_000_000)
    }
    if !done { how = "could not wake the call" }
    log.append(actor: actor, ticket: call.ticket, .interrupted(call, how: how))
    return how
  }

  private func firstDescriptor(of statement: Statement) -> Int32? {
    guard case .call(_, let arguments, _) = statement.expression, let first = arguments.first else { return nil }
    switch first {
    case .name(let name, _):
      if case .int(let fd)? = environment.variable(name)?.value { return Int32(fd) }
    case .integer(let fd, _):
      return Int32(fd)
    default:
      break
    }
    return nil
  }

  // MARK: - Kernel state

  /// The kernel's view of every socket of the session, and of connections it still keeps.
  ///
  /// The cost does not grow with the host's other sockets: the session's descriptors are asked
  /// directly (TCP_INFO and friends), connections whose descriptor is gone are looked up by their
  /// exact addresses, and so are the connections queued for a listener by the lab's own clients.
  /// Only when a listener's accept queue holds more than those (a program outside the lab
  /// connected) does the lab ask the kernel for every socket on that port.
  public func snapshot() -> SessionSnapshot {
    let open = environment.openDescriptors.sorted()
    var rows = open.map { fd in SocketRow(actor: environment.owner(of: fd) ?? "?", snapshot: kernel.snapshot(fd: fd)) }
    let ours = Set(open.compactMap { kernel.inode(fd: $0) })
    var lingering: [KernelSocket] = []
    var gone: [Environment.Departed] = []
    for connection in environment.departed {
      if let twin = kernel.tcpSocket(local: connection.local, peer: connection.peer), twin.inode == 0 {
        lingering.append(twin)
      } else {
        gone.append(connection)
      }
    }
    environment.forget(gone)
    // An open descriptor whose connection the kernel moved to a TIME-WAIT twin reads CLOSED:
    // its row says both, and the twin gets no row of its own.
    for index in rows.indices where rows[index].snapshot.tcpState == .closed {
      guard let endpoints = environment.endpoints(of: rows[index].snapshot.fd), let local = endpoints.local,
        let peer = endpoints.peer, let twin = kernel.tcpSocket(local: local, peer: peer), twin.inode == 0
      else { continue }
      rows[index].twin = twin
      lingering.removeAll { $0 == twin }
    }
    var queued: [KernelSocket] = []
    var outside: [KernelSocket] = []
    let waitingStates: Set<TCPState> = [.established, .synReceived, .closeWait]
    for listener in rows where listener.snapshot.tcpState == .listen {
      guard let address = listener.snapshot.local, let waiting = kernel.acceptQueueLength(fd: listener.snapshot.fd),
        waiting > 0
      else { continue }
      var mine = ownQueued(on: address.port, among: rows.map(\.snapshot), states: waitingStates)
      if waiting > mine.count {
        // A client of the lab's may have connected since its row was read: look once more
        // before asking for the whole port.
        let fresh = environment.openDescriptors.sorted().map { kernel.snapshot(fd: $0) }
        mine = ownQueued(on: address.port, among: fresh, states: waitingStates)
      }
      queued += mine
      guard (kernel.acceptQueueLength(fd: listener.snapshot.fd) ?? 0) > mine.count else { continue }
      for socket in kernel.tcpSockets(onPort: address.port) where !ours.contains(socket.inode) {
        if socket.inode == 0 && socket.local.port == address.port && waitingStates.contains(socket.state) {
          if !queued.contains(socket) { queued.append(socket) }
        } else if socket.inode != 0 && socket.state != .listen {
          outside.append(socket)
        }
      }
    }
    // The far end of every connection whose peer is no socket of the lab: an outside program.
    let localAddresses = Set(rows.compactMap { $0.snapshot.local?.endpoint })
    for row in rows {
      guard let local = row.snapshot.local, let peer = row.snapshot.peer, !localAddresses.contains(peer.endpoint),
        let far = kernel.tcpSocket(local: peer, peer: local), far.inode != 0, !ours.contains(far.inode), !outside.contains(far)
      else { continue }
      outside.append(far)
    }
    let limit = SessionSnapshot.rowLimit
    let omitted = max(0, queued.count - limit) + max(0, lingering.count - limit) + max(0, outside.count - limit)
    return SessionSnapshot(
      sockets: rows, lingering: Array(lingering.prefix(limit)), blocked: runningCalls, queued: Array(queued.prefix(limit)),
      outsidePeers: Array(outside.prefix(limit)), omitted: omitted)
  }

  /// The server side of each of the lab's own clients connected to `port` and waiting in its
  /// listener's accept queue, found by their exact addresses.
  private func ownQueued(on port: UInt16, among sockets: [SocketSnapshot], states: Set<TCPState>) -> [KernelSocket] {
    sockets.compactMap { socket -> KernelSocket? in
      guard let local = socket.local, let peer = socket.peer, peer.port == port,
        let server = kernel.tcpSocket(local: peer, peer: local), server.inode == 0, states.contains(server.state)
      else { return nil }
      return server
    }
  }

  /// Why `port` cannot be bound on loopback now, if it cannot: a connection of an earlier run
  /// that waits in TIME-WAIT on it, or another program's listener. Nil when it is free.
  public static func whyPortIsTaken(_ port: UInt16, kernel: any KernelInspector = Kernel.current) -> String? {
    let holders = kernel.tcpSockets(onPort: port).filter { $0.local.port == port }
    if holders.contains(where: { $0.state == .listen }) {
      return "port \(port) is taken: another program listens on it"
    }
    guard let waiting = holders.first(where: { $0.state == .timeWait || $0.state == .finWait2 || $0.state == .lastAck })
    else { return nil }
    return
      "port \(port) is still held by a connection that ended a moment ago (\(waiting.local.endpoint) → \(waiting.peer.endpoint), in \(waiting.state)); the kernel lets it go within a minute, and until then a bind() to it fails with EADDRINUSE. Leave out --port and the lab picks a free port each time, or choose another one"
  }

  /// Takes a snapshot and records it in the log.
  @discardableResult
  public func sample() -> SessionSnapshot {
    let snapshot = snapshot()
    log.append(actor: nil, ticket: nil, .sampled(snapshot))
    return snapshot
  }

  // MARK: - Ending

  /// Interrupts blocked calls, ends every actor's thread and closes every socket the session
  /// still holds. Safe to call more than once.
  public func close() {
    let alreadyClosed = lock.withLock { () -> Bool in
      defer { closed = true }
      return closed
    }
    guard !alreadyClosed else { return }
    let threads = lock.withLock { Array(actors.values) }
    for actor in threads { actor.requestStop() }
    // A call may start just as the queue is dropped, so interrupt until every thread has ended.
    for _ in 0..<50 {
      for call in lock.withLock({ Array(running.values) }) { interrupt(call.actor) }
      if threads.allSatisfy({ $0.join(timeout: 20_000_000) }) { break }
    }
    for fd in environment.openDescriptors {
      SocketAPI.release(fd: fd)
      environment.closed(fd)
    }
    wire?.close()
  }
}
