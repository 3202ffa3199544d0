import WireKit

/// What a segment is in the light of those before it: the same sequence numbers sent again (a
/// retransmission, and when the original went), or a pure ACK that repeats the last one after data
/// arrived (a duplicate ACK: something before that data is missing). The Wire pane and the wire
/// questions read the segments the same way through it.
struct SegmentHistory {
  struct Flow: Hashable {
    var source: IPv4Address
    var sourcePort: UInt16
    var destination: IPv4Address
    var destinationPort: UInt16
    var reversed: Flow { Flow(source: destination, sourcePort: destinationPort, destination: source, destinationPort: sourcePort) }
  }

  struct Facts {
    var flow: Flow?
    var retransmission = false
    var originalTime: UInt64?
    var duplicateAck = false
  }

  /// Each direction's segments that take sequence numbers (data, SYN, FIN), by sequence number and
  /// length, with when each was first seen.
  private var sent: [Flow: [UInt64: UInt64]] = [:]
  private var lastAck: [Flow: UInt32] = [:]
  /// The last segment each host received: when, and whether it carried data or a FIN.
  private(set) var lastReceived: [String: (time: UInt64, data: Bool)] = [:]

  /// Takes in the next frame, in the order the wire carried them.
  mutating func note(_ frame: WireFrame) -> Facts {
    var facts = Facts()
    guard let packet = frame.packet else { return facts }
    var carries = packet.payloadLength > 0
    if case .tcp(let tcp) = packet.transport {
      let flow = Flow(source: packet.source, sourcePort: tcp.sourcePort, destination: packet.destination, destinationPort: tcp.destinationPort)
      facts.flow = flow
      carries = carries || tcp.flags.contains(.fin)
      if packet.payloadLength > 0 || tcp.flags.contains(.syn) || tcp.flags.contains(.fin) {
        let key = UInt64(tcp.seq) << 20 | UInt64(min(packet.payloadLength, 0xFFFFF))
        if let first = sent[flow]?[key] {
          facts.retransmission = true
          facts.originalTime = first
        } else {
          sent[flow, default: [:]][key] = frame.time
        }
      }
      if tcp.flags.contains(.ack) {
        facts.duplicateAck =
          tcp.flags == .ack && packet.payloadLength == 0 && lastAck[flow] == tcp.ack && lastReceived[frame.from]?.data == true
        lastAck[flow] = tcp.ack
      }
    }
    if case .dropped = frame.fate {} else {
      for host in frame.to { lastReceived[host] = (frame.time, carries) }
    }
    return facts
  }
}
