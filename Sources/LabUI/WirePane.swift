import LabEngine
import LabScript
import SocketKit
import TerminalUI
import WireKit

/// The Wire pane: one entry per segment the lesson's hosts exchanged, with its time since the
/// step began, direction, flags, relative numbers, length, window and options, what the lab did
/// with it, and what caused it. The selected segment opens into its header fields, byte by byte.
extension PaneContext {
  /// The rows hidden while a prediction about them is being asked: those of the line before.
  var wireHiddenFrom: Int? {
    guard let wire = run.wire, let line = run.pendingStatement, run.statements[line].actorName == WireLanguage.actor,
      run.statements[line].expectation == .prediction
    else { return nil }
    return wire.lineMark
  }

  /// The rows shown (a pending wire prediction keeps the line before's segments back).
  var wireRows: [WireRow] {
    guard let wire = run.wire else { return [] }
    guard let hidden = wireHiddenFrom else { return wire.rows.filter { $0.kind != "ARP" || ui.wireShowsARP } }
    return wire.rows.filter { $0.index < hidden && ($0.kind != "ARP" || ui.wireShowsARP) }
  }

  func wireLines(width: Int) -> [StyledLine] {
    if let problem = run.wireProblem {
      return wrap([Span("No wire on this machine: ", theme.failure), Span(problem.reason + ".", theme.text)], width: width)
        + wrap([Span("To allow it: ", theme.bold), Span(problem.fix, theme.code)], width: width)
        + wrap([Span("The lesson's calls still run, on this machine's loopback, without the Wire pane.", theme.dim)], width: width)
    }
    guard let wire = run.wire else {
      return wrap([Span("This lesson runs on loopback: it has no wire. Lessons with hosts: show one here.", theme.dim)], width: width)
    }
    let sep = unicode ? "·" : "|"
    var lines: [StyledLine] = []
    if wire.sharedHost {
      // One host of the lab's own: every actor is 127.0.0.1 there, and only ports tell them apart.
      lines.append([Span("the lab's host: loopback 127.0.0.1", theme.bold)])
    } else {
      let hosts = wire.hosts.map { "\($0.name) \($0.address)" }.joined(separator: unicode ? " ⇄ " : " <-> ")
      lines.append([Span(hosts, theme.bold)])
    }
    let rows = wireRows
    var summary = "\(rows.count) segment\(rows.count == 1 ? "" : "s")"
    if wire.forgotten > 0 { summary += " \(sep) \(wire.forgotten) older not kept" }
    if !wire.commands.isEmpty { summary += " \(sep) waiting: " + wire.commands.joined(separator: ", ") }
    lines.append([Span(summary, theme.dim)])
    if wireHiddenFrom != nil {
      lines.append([Span("The segments of the line before are hidden until you predict them.", theme.prediction)])
    }
    if rows.isEmpty {
      lines.append([Span("Nothing has crossed the wire yet.", theme.dim)])
      return lines
    }
    for row in rows {
      let selected = ui.wireSelection == row.index
      lines += rowLines(row, width: width, selected: selected, stepBegan: wire.stepBegan)
      if selected && ui.wireExpanded { lines += headerLines(row, width: width) }
    }
    return lines
  }

  /// Where the selected row begins among the pane's lines, to keep it in view.
  func wireSelectedLine(width: Int) -> Int? {
    guard let selected = ui.wireSelection else { return nil }
    let lines = wireLines(width: width)
    return lines.firstIndex { $0.first?.text.hasPrefix(unicode ? "▶" : ">") == true && $0.contains { $0.text.contains("#\(selected) ") } }
  }

  private func rowLines(_ row: WireRow, width: Int, selected: Bool, stepBegan: UInt64) -> [StyledLine] {
    let arrow = unicode ? "→" : "->"
    let time = Self.relativeTime(row.time, since: stepBegan)
    var fields: [String] = []
    if let seq = row.seq { fields.append("seq \(seq)") }
    if let ack = row.ack { fields.append("ack \(ack)") }
    if row.kind != "ARP" && row.kind != "ICMP" { fields.append("len \(row.length)") }
    if let window = row.window { fields.append("win \(window)") }
    var kindStyle = row.kind.hasPrefix("RST") ? theme.failure : row.kind.hasPrefix("SYN") || row.kind.contains("FIN") ? theme.prediction : theme.code
    var fate = ""
    switch row.fate {
    case .dropped(let why):
      fate = (unicode ? " ✗ dropped" : " x dropped") + " (\(why))"
      kindStyle = theme.failure
    case .delayed(let ns): fate = " delayed \(formatDuration(nanoseconds: ns))"
    case .duplicated: fate = " sent twice"
    case .reordered: fate = " sent after the next one"
    case .held: fate = " held (wire: release)"
    case .released(let after): fate = " held \(formatDuration(nanoseconds: after)), released"
    case .forwarded: break
    }
    var first: StyledLine = [
      Span((selected ? (unicode ? "▶" : ">") : " ") + time.leftPadded(9) + " ", selected ? theme.bold : theme.dim),
      Span("\(row.from)\(arrow)\(row.to) ", theme.text), Span(row.kind.padded(8), kindStyle),
      Span(fields.joined(separator: " "), theme.text),
    ]
    if selected { first.append(Span("  #\(row.index) ", theme.dim)) }
    if !fate.isEmpty { first.append(Span(fate, theme.failure)) }
    var details: [String] = []
    // A narrow pane (80 columns) keeps each segment to two lines: the SYN's options are in its
    // opened header (Enter) and in a wider or zoomed pane.
    if !row.options.isEmpty && (width >= 56 || row.kind == "ICMP") { details.append(row.options) }
    if row.length > 0 { details.append("\"\(row.payload)\"") }
    let cause = row.retransmission ? (unicode ? "⟳ " : "again: ") + row.cause.text : row.cause.text
    let second: StyledLine = [
      Span(String(repeating: " ", count: 11)), Span(details.isEmpty ? "" : details.joined(separator: " ") + " \(unicode ? "·" : "|") ", theme.dim),
      Span(cause, row.cause.isCall ? theme.actor : theme.dim),
    ]
    return fold(first, width: width, indent: 11) + fold(second, width: width, indent: 11)
  }

  static func relativeTime(_ time: UInt64, since start: UInt64) -> String {
    guard start > 0 else { return "" }
    let negative = time < start
    let delta = negative ? start - time : time - start
    let text: String
    if delta < 10_000_000 {
      text = "\(delta / 1_000)µs"
    } else if delta < 10_000_000_000 {
      text = "\(delta / 1_000_000)ms"
    } else {
      text = "\(delta / 1_000_000_000)s"
    }
    return (negative ? "-" : "+") + text
  }

  /// The selected segment's headers, field by field, with its bytes as they crossed the wire.
  private func headerLines(_ row: WireRow, width: Int) -> [StyledLine] {
    var lines: [StyledLine] = []
    for field in WireHeaderFields.fields(of: row.bytes) {
      if field.section {
        lines.append([Span("    " + field.meaning, theme.bold)])
        continue
      }
      let bytes = field.bytes.map(hexByte).joined(separator: " ")
      let line: StyledLine = [Span("      " + bytes.padded(12) + " ", theme.code), Span(field.meaning, theme.text)]
      lines += fold(line, width: width, indent: 19)
    }
    return lines
  }
}

extension WireCause {
  var isCall: Bool {
    if case .call = self { return true }
    return false
  }
}

extension String {
  func padded(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
  func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}

/// A frame's IPv4 and TCP, UDP or ICMP header, one field at a time.
enum WireHeaderFields {
  struct Field {
    var bytes: [UInt8]
    var meaning: String
    var section = false
  }

  static func fields(of frame: [UInt8]) -> [Field] {
    guard let packet = Packet.parse(frame) else {
      return [Field(bytes: [], meaning: Packet.describeOther(frame), section: true)]
    }
    func take(_ at: Int, _ count: Int) -> [UInt8] { Array(frame[min(at, frame.count)..<min(at + count, frame.count)]) }
    func u16(_ at: Int) -> Int { Int(frame[at]) << 8 | Int(frame[at + 1]) }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) << 16 | UInt32(u16(at + 2)) }
    let ip = packet.ipOffset
    let headerLength = Int(frame[ip] & 0x0F) * 4
    var fields: [Field] = [
      Field(bytes: [], meaning: "IPv4 header (\(headerLength) bytes)", section: true),
      Field(bytes: take(ip, 1), meaning: "version 4, header \(frame[ip] & 0x0F) × 4 = \(headerLength) bytes"),
      Field(bytes: take(ip + 2, 2), meaning: "total length \(u16(ip + 2)) bytes"),
      Field(bytes: take(ip + 6, 2), meaning: packet.dontFragment ? "don't fragment" : "may be fragmented"),
      Field(bytes: take(ip + 8, 1), meaning: "time to live \(frame[ip + 8])"),
      Field(bytes: take(ip + 9, 1), meaning: "protocol \(frame[ip + 9]) (\(frame[ip + 9] == 6 ? "TCP" : frame[ip + 9] == 17 ? "UDP" : frame[ip + 9] == 1 ? "ICMP" : "?"))"),
      Field(bytes: take(ip + 10, 2), meaning: "header checksum"),
      Field(bytes: take(ip + 12, 4), meaning: "source \(packet.source)"),
      Field(bytes: take(ip + 16, 4), meaning: "destination \(packet.destination)"),
    ]
    let at = packet.transportOffset
    switch packet.transport {
    case .tcp(let tcp):
      fields += [
        Field(bytes: [], meaning: "TCP header (\(tcp.headerLength) bytes)", section: true),
        Field(bytes: take(at, 2), meaning: "source port \(tcp.sourcePort)"),
        Field(bytes: take(at + 2, 2), meaning: "destination port \(tcp.destinationPort)"),
        Field(bytes: take(at + 4, 4), meaning: "sequence number \(u32(at + 4))"),
        Field(bytes: take(at + 8, 4), meaning: "acknowledgment number \(u32(at + 8))"),
        Field(bytes: take(at + 12, 1), meaning: "header \(frame[at + 12] >> 4) × 4 = \(tcp.headerLength) bytes"),
        Field(bytes: take(at + 13, 1), meaning: "flags \(tcp.flags.name)"),
        Field(bytes: take(at + 14, 2), meaning: "window \(tcp.window)" + (tcp.windowScale.map { " (scaled by 2^\($0) from now on)" } ?? "")),
        Field(bytes: take(at + 16, 2), meaning: "checksum"),
        Field(bytes: take(at + 18, 2), meaning: "urgent pointer"),
      ]
      if tcp.headerLength > 20 {
        var said: [String] = []
        if let mss = tcp.mss { said.append("MSS \(mss)") }
        if tcp.sackPermitted { said.append("SACK permitted") }
        if let stamp = tcp.timestamp { said.append("timestamp \(stamp.value), echo \(stamp.echo)") }
        if let scale = tcp.windowScale { said.append("window scale \(scale)") }
        fields.append(Field(bytes: take(at + 20, min(12, tcp.headerLength - 20)), meaning: "options: " + said.joined(separator: ", ")))
      }
    case .udp(let udp):
      fields += [
        Field(bytes: [], meaning: "UDP header (8 bytes)", section: true),
        Field(bytes: take(at, 2), meaning: "source port \(udp.sourcePort)"),
        Field(bytes: take(at + 2, 2), meaning: "destination port \(udp.destinationPort)"),
        Field(bytes: take(at + 4, 2), meaning: "length \(u16(at + 4)) (header and data)"),
        Field(bytes: take(at + 6, 2), meaning: "checksum"),
      ]
    case .icmp(let message):
      fields += [
        Field(bytes: [], meaning: "ICMP message", section: true),
        Field(bytes: take(at, 2), meaning: "type \(message.type), code \(message.code): \(message.name)"),
      ]
      if let port = message.quotedDestinationPort {
        fields.append(Field(bytes: [], meaning: "it quotes the datagram that caused it: to port \(port)"))
      }
    case .other:
      break
    }
    if packet.payloadLength > 0 {
      fields.append(Field(bytes: [], meaning: "data: \(packet.payloadLength) bytes", section: true))
      fields.append(
        Field(bytes: take(packet.payloadOffset, min(8, packet.payloadLength)), meaning: "\"\(escapeBytes(frame[packet.payloadOffset..<min(frame.count, packet.payloadOffset + packet.payloadLength)], limit: 32))\""))
    }
    return fields
  }
}
