import CShims
import CWire
import SocketKit
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Whether this process may build hosts: it must have entered a user namespace of its own at
/// start-up, while it had one thread. When it could not, the reason and the fix, in words a
/// learner can act on.
public enum WireSupport {
  public enum Availability: Sendable, Equatable {
    case available
    case unavailable(reason: String, fix: String)
    /// Nobody asked at start-up (a command that never builds hosts).
    case notTried
  }

  private static let state = Mutex<Availability>(.notTried)

  public static var availability: Availability { state.withLock { $0 } }

  /// Enters a user namespace of the process's own, so that it may make network namespaces
  /// later. Call it first thing in `main`, before any thread is started: the kernel refuses
  /// `unshare(CLONE_NEWUSER)` to a process with more than one thread. `SOCKLAB_NO_HOSTS=1`
  /// skips it, as a kernel that forbids it would.
  @discardableResult
  public static func enterAtStartup() -> Availability {
    let result: Availability
    if let forced = getenv("SOCKLAB_NO_HOSTS"), String(cString: forced) == "1" {
      result = .unavailable(
        reason: "SOCKLAB_NO_HOSTS=1 is set, so the lab did not make a user namespace",
        fix: "unset SOCKLAB_NO_HOSTS")
    } else {
      let status = socklab_wire_enter_userns()
      result = status == 0 ? .available : explain(errno: -status)
    }
    state.withLock { $0 = result }
    return result
  }

  /// Records that host set-up failed after start-up (AppArmor lets the namespace be made but
  /// refuses what is done inside it).
  static func markUnavailable(_ error: WireError) {
    state.withLock { $0 = .unavailable(reason: error.reason, fix: error.fix) }
  }

  static func explain(errno code: Int32) -> Availability {
    if readSetting("/proc/sys/kernel/unprivileged_userns_clone") == "0" {
      return .unavailable(
        reason: "this kernel forbids unprivileged user namespaces (kernel.unprivileged_userns_clone = 0)",
        fix: "sudo sysctl kernel.unprivileged_userns_clone=1")
    }
    if readSetting("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1" {
      return .unavailable(
        reason: "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1, as on Ubuntu 23.10 and later)",
        fix: "sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile for socklab that allows userns")
    }
    if code == ENOSPC || readSetting("/proc/sys/user/max_user_namespaces") == "0" {
      return .unavailable(
        reason: "no more user namespaces may be made here (user.max_user_namespaces is used up or 0)",
        fix: "sudo sysctl user.max_user_namespaces=15000")
    }
    if code == EINVAL {
      return .unavailable(
        reason: "the lab already had several threads when it asked for a user namespace",
        fix: "report this: the lab must ask before it starts any thread")
    }
    return .unavailable(
      reason: "the kernel refused a user namespace: \(String(cString: strerror(code)))",
      fix: "allow unprivileged user namespaces (a container may need --security-opt seccomp=unconfined)")
  }

  private static func readSetting(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 32)
    let got = read(fd, &buffer, buffer.count)
    guard got > 0 else { return nil }
    return String(decoding: buffer[0..<got], as: UTF8.self).trimmingCharacters(in: " \n")
  }
}

extension String {
  func trimmingCharacters(in set: String) -> String {
    var text = Substring(self)
    while let first = text.first, set.contains(first) { text = text.dropFirst() }
    while let last = text.last, set.contains(last) { text = text.dropLast() }
    return String(text)
  }
}

public struct WireError: Error, Sendable, CustomStringConvertible {
  public var reason: String
  public var fix: String
  /// The errno of the system call that failed, when one did.
  public var code: Int32?
  public init(_ reason: String, fix: String = "", code: Int32? = nil) {
    self.reason = reason
    self.fix = fix
    self.code = code
  }
  public var description: String { fix.isEmpty ? reason : "\(reason) (fix: \(fix))" }
}

/// A host of the lab's private network: a name (the actor's) and its address.
public struct HostSpec: Sendable, Equatable {
  public var name: String
  public var address: IPv4Address
  public init(name: String, address: IPv4Address) {
    self.name = name
    self.address = address
  }

  /// The hosts a lesson asks for by actor name: the first is 10.50.0.1, the next 10.50.0.2, …
  public static func numbered(_ names: [String]) -> [HostSpec] {
    names.enumerated().map { HostSpec(name: $1, address: IPv4Address(10, 50, 0, UInt8(1 + $0))) }
  }
}

/// The lab's private network: each host in a network namespace of its own, with its own
/// address and TCP/IP stack, and a veth whose other end sits in a middle namespace where the
/// relay forwards every frame. Or, shared by several actors, one host whose loopback the lab
/// watches (it cannot change what crosses a loopback, only see it). Everything lives in this
/// process: when it ends, the namespaces, links and threads end with it.
public final class HostNetwork: @unchecked Sendable {
  public let hosts: [HostSpec]
  public let relay: WireRelay
  /// Whether the actors share one host and the wire is its loopback.
  public let isShared: Bool
  /// How long building the network took, in nanoseconds.
  public let setupNanoseconds: UInt64
  private let namespaces: [String: Int32]
  private let middle: Int32
  /// sock_diag sockets made in each host, so that the lab's kernel queries see its hosts'
  /// connections (TIME-WAIT, accept queues) as well as the machine's.
  private let diagSockets: [Int32]
  private let closed = Atomic<Bool>(false)
  private let published = Mutex<String?>(nil)

  /// The link inside every host.
  public static let hostLink = "eth0"

  /// Builds the network. Throws the reason when this machine does not allow it.
  public convenience init(hosts: [HostSpec], mtu: Int = 1500) throws(WireError) {
    try self.init(hosts: hosts, shared: false, mtu: mtu)
  }

  /// One host for every actor named, each with the address 127.0.0.1: their connections cross
  /// the host's loopback, which the relay watches. Throws the reason when this machine does not
  /// allow it.
  public convenience init(sharing names: [String]) throws(WireError) {
    try self.init(hosts: names.map { HostSpec(name: $0, address: IPv4Address(127, 0, 0, 1)) }, shared: true, mtu: 65_536)
  }

  private init(hosts: [HostSpec], shared: Bool, mtu: Int) throws(WireError) {
    let began = MonotonicClock.nanoseconds()
    if case .unavailable(let reason, let fix) = WireSupport.availability { throw WireError(reason, fix: fix) }
    if case .notTried = WireSupport.availability {
      throw WireError("the lab did not make its user namespace at start-up", fix: "report this")
    }
    self.hosts = hosts
    isShared = shared
    let result = Mutex<Result<Built, WireError>>(.failure(WireError("not built")))
    // Namespaces are a thread's: this thread moves into each in turn and then ends, which no
    // other thread of the lab could do (none of them may ever come back).
    guard
      let builder = startThread({
        let built = shared ? Self.buildShared(hosts: hosts) : Self.build(hosts: hosts, mtu: mtu)
        result.withLock { $0 = built }
      })
    else { throw WireError("no thread to build the hosts") }
    pthread_join(builder, nil)
    let built: Built
    switch result.withLock({ $0 }) {
    case .success(let done): built = done
    case .failure(let error):
      // Refused inside the namespace (AppArmor lets it be made, then forbids what is done in it).
      if error.code == EPERM { WireSupport.markUnavailable(error) }
      throw error
    }
    middle = built.middle
    namespaces = built.namespaces
    diagSockets = built.diag
    do {
      if shared {
        relay = try WireRelay(tapping: "lo", in: built.middle)
      } else {
        relay = try WireRelay(middle: built.middle, ports: hosts.enumerated().map { (Self.peerLink($0.offset), $0.element.name) })
      }
    } catch {
      built.release()
      throw error
    }
    for fd in diagSockets { _ = socklab_diag_add_namespace(fd) }
    setupNanoseconds = MonotonicClock.nanoseconds() - began
  }

  /// What the builder thread made: the namespaces (the wire's is the shared host itself when
  /// the actors share one) and a sock_diag socket in each host.
  private struct Built: Sendable {
    var middle: Int32
    var namespaces: [String: Int32]
    var diag: [Int32]

    func release() {
      for fd in diag { Glibc.close(fd) }
      for fd in Set(namespaces.values) where fd != middle { Glibc.close(fd) }
      if middle >= 0 { Glibc.close(middle) }
    }
  }

  /// Moves the calling thread into the network namespace `fd` names, for good: sockets it
  /// creates from then on belong to that host. Returns 0 or an errno.
  public static func enter(namespace fd: Int32) -> Int32 {
    let status = socklab_wire_setns(fd)
    return status == 0 ? 0 : -status
  }

  /// The descriptor of `host`'s network namespace, for `setns()`.
  /// On a host the actors share, every actor joins it, named in advance or not (free play names
  /// its actors as it goes).
  public func namespace(of host: String) -> Int32? { isShared ? middle : namespaces[host] }

  public func address(of host: String) -> IPv4Address? { hosts.first { $0.name == host }?.address }

  /// The host an address belongs to.
  public func host(at address: IPv4Address) -> String? { hosts.first { $0.address == address }?.name }

  /// Sets the MTU of every host's link and of the wire's; returns why not, when it cannot.
  public func setMTU(_ bytes: Int) -> String? {
    if isShared { return "the actors share one host here: its loopback's MTU is not the lab's to change" }
    let failure = Mutex<String?>(nil)
    let hosts = self.hosts
    let namespaces = self.namespaces
    let middle = self.middle
    guard
      let worker = startThread({
        for host in hosts {
          guard let fd = namespaces[host.name], socklab_wire_setns(fd) == 0 else { continue }
          let status = socklab_wire_set_mtu(Self.hostLink, Int32(bytes))
          if status < 0 { failure.withLock { $0 = "mtu \(bytes) on \(host.name): \(String(cString: strerror(-status)))" } }
        }
        guard socklab_wire_setns(middle) == 0 else { return }
        for index in hosts.indices { _ = socklab_wire_set_mtu(Self.peerLink(index), Int32(bytes)) }
      })
    else { return "no thread to set the MTU" }
    pthread_join(worker, nil)
    relay.allowFrames(ofMTU: bytes)
    return failure.withLock { $0 }
  }

  /// Stops the relay and lets the namespaces go; returns how long that took (nanoseconds).
  @discardableResult
  public func close() -> UInt64 {
    guard !closed.exchange(true, ordering: .sequentiallyConsistent) else { return 0 }
    let began = MonotonicClock.nanoseconds()
    unpublish()
    relay.stop()
    for fd in diagSockets { socklab_diag_remove_namespace(fd) }
    Built(middle: middle, namespaces: namespaces, diag: diagSockets).release()
    return MonotonicClock.nanoseconds() - began
  }

  deinit { close() }

  static func peerLink(_ index: Int) -> String { "wire\(index)" }

  private static func check(_ status: Int32, _ what: String) throws(WireError) {
    guard status >= 0 else {
      throw WireError("\(what): \(String(cString: strerror(-status)))", code: -status)
    }
  }

  /// A sock_diag socket answering for the namespace the calling thread is in.
  private static func diagSocket() throws(WireError) -> Int32 {
    let fd = socklab_private_fd(socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 4 /* NETLINK_SOCK_DIAG */))
    try check(fd < 0 ? -errno : fd, "a sock_diag socket")
    return fd
  }

  private static func build(hosts: [HostSpec], mtu: Int) -> Result<Built, WireError> {
    var built = Built(middle: -1, namespaces: [:], diag: [])
    do throws(WireError) {
      built.middle = socklab_wire_new_netns()
      try check(built.middle, "a network namespace for the wire")
      try check(socklab_wire_link_up("lo", 0), "lo up on the wire")
      _ = socklab_wire_quiet_ipv6()
      for (index, host) in hosts.enumerated() {
        let fd = socklab_wire_new_netns()
        try check(fd, "a network namespace for \(host.name)")
        built.namespaces[host.name] = fd
        try check(socklab_wire_link_up("lo", 0), "lo up on \(host.name)")
        _ = socklab_wire_quiet_ipv6()
        built.diag.append(try diagSocket())
        try check(socklab_wire_veth(hostLink, peerLink(index), built.middle), "a veth for \(host.name)")
        try check(socklab_wire_tx_checksum_off(hostLink), "checksum offload off on \(host.name)")
        try check(socklab_wire_add_ipv4(hostLink, host.address.networkOrder, 24), "\(host.address) on \(host.name)")
        try check(socklab_wire_link_up(hostLink, Int32(mtu)), "\(hostLink) up on \(host.name)")
      }
      try check(socklab_wire_setns(built.middle), "into the wire's namespace")
      for index in hosts.indices {
        try check(socklab_wire_tx_checksum_off(peerLink(index)), "checksum offload off on the wire")
        try check(socklab_wire_link_up(peerLink(index), Int32(mtu)), "the wire's link \(index) up")
      }
      return .success(built)
    } catch {
      built.release()
      return .failure(error)
    }
  }

  /// One namespace with its loopback up, for every host named: the relay watches that loopback.
  private static func buildShared(hosts: [HostSpec]) -> Result<Built, WireError> {
    var built = Built(middle: -1, namespaces: [:], diag: [])
    do throws(WireError) {
      built.middle = socklab_wire_new_netns()
      try check(built.middle, "a network namespace for the lab's host")
      try check(socklab_wire_link_up("lo", 0), "lo up on the lab's host")
      built.diag.append(try diagSocket())
      for host in hosts { built.namespaces[host.name] = built.middle }
      return .success(built)
    } catch {
      built.release()
      return .failure(error)
    }
  }
}

extension HostNetwork {
  /// How long the kernel takes to make one bare network namespace (`unshare(CLONE_NEWNET)`) and
  /// let it go, on a thread of its own: the benchmark's anchor for the hosts' set-up time.
  public static func bareNamespaceNanoseconds() -> UInt64? {
    let spent = Mutex<UInt64?>(nil)
    guard
      let worker = startThread({
        let began = MonotonicClock.nanoseconds()
        let fd = socklab_wire_new_netns()
        guard fd >= 0 else { return }
        Glibc.close(fd)
        let took = MonotonicClock.nanoseconds() - began
        spent.withLock { $0 = took }
      })
    else { return nil }
    pthread_join(worker, nil)
    return spent.withLock { $0 }
  }

  /// The segments a TCP socket has sent and received, as its kernel counts them (TCP_INFO).
  public static func segmentCounts(fd: Int32) -> (sent: UInt32, received: UInt32)? {
    var sent: UInt32 = 0
    var received: UInt32 = 0
    return socklab_wire_segments(fd, &sent, &received) == 0 ? (sent, received) : nil
  }
}

extension HostNetwork {
  /// The file in `folder` that tells `socklab exec` where this process's hosts are: one line
  /// per host, "NAME ADDRESS FD", FD being this process's descriptor of the host's namespace.
  public static func directoryFile(in folder: String, pid: Int32 = getpid()) -> String { "\(folder)/hosts-\(pid)" }

  /// Writes the directory file (mode 0600); returns its path, or nil when it cannot.
  @discardableResult
  public func publish(in folder: String) -> String? {
    _ = mkdir(folder, 0o700)
    let path = Self.directoryFile(in: folder)
    let text = hosts.compactMap { host in namespace(of: host.name).map { "\(host.name) \(host.address) \($0)\n" } }.joined()
    let fd = open(path + ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return nil }
    let bytes = Array(text.utf8)
    let written = write(fd, bytes, bytes.count)
    Glibc.close(fd)
    guard written == bytes.count, rename(path + ".tmp", path) == 0 else { return nil }
    published.withLock { $0 = path }
    return path
  }

  /// Removes the directory file, if this network wrote it.
  func unpublish() {
    if let path = published.withLock({ value -> String? in defer { value = nil }; return value }) { unlink(path) }
  }
}

/// `socklab exec HOST -- COMMAND`: a program outside the lab joins one of a running lab's hosts.
public enum HostVisit {
  public struct Found: Sendable {
    public var pid: Int32
    public var address: String
    public var descriptor: Int32
  }

  /// What a learner types in another terminal to run `command` on `host`.
  public static func command(_ command: String, on host: String) -> String { "socklab exec \(host) -- \(command)" }

  /// The newest running lab in `folder` that has a host named `host`.
  public static func find(_ host: String, in folder: String) -> (found: Found?, hosts: [String]) {
    guard let directory = opendir(folder) else { return (nil, []) }
    defer { closedir(directory) }
    var candidates: [(Found, time_t)] = []
    var names: Set<String> = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      guard name.hasPrefix("hosts-"), let pid = Int32(name.dropFirst(6)), kill(pid, 0) == 0 || errno == EPERM else { continue }
      let path = "\(folder)/\(name)"
      var info = stat()
      guard stat(path, &info) == 0, let text = readSmall(path) else { continue }
      for line in text.split(separator: "\n") {
        let parts = line.split(separator: " ").map(String.init)
        guard parts.count == 3, let fd = Int32(parts[2]) else { continue }
        names.insert(parts[0])
        if parts[0] == host { candidates.append((Found(pid: pid, address: parts[1], descriptor: fd), info.st_mtim.tv_sec)) }
      }
    }
    return (candidates.max { $0.1 < $1.1 }?.0, names.sorted())
  }

  /// Joins the lab's user namespace and the host's network namespace, then runs `command` there;
  /// returns only when that fails, with why. Call it while the process has one thread.
  public static func run(_ found: Found, command: [String]) -> String {
    let user = open("/proc/\(found.pid)/ns/user", O_RDONLY | O_CLOEXEC)
    let net = open("/proc/\(found.pid)/fd/\(found.descriptor)", O_RDONLY | O_CLOEXEC)
    guard user >= 0, net >= 0 else { return "cannot reach the lab's namespaces (process \(found.pid)): \(String(cString: strerror(errno)))" }
    guard socklab_wire_setns_user(user) == 0 else { return "cannot join the lab's user namespace: \(String(cString: strerror(errno)))" }
    guard socklab_wire_setns(net) == 0 else { return "cannot join the host's network namespace: \(String(cString: strerror(errno)))" }
    Glibc.close(user)
    Glibc.close(net)
    var arguments = command.map { strdup($0) }
    arguments.append(nil)
    execvp(command[0], &arguments)
    return "cannot run \(command[0]): \(String(cString: strerror(errno)))"
  }

  private static func readSmall(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { Glibc.close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let got = read(fd, &buffer, buffer.count)
    return got > 0 ? String(decoding: buffer[0..<got], as: UTF8.self) : nil
  }
}
