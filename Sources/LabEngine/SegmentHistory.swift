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
    /// One byte below what the sender has sent, with no data: a probe. A keepalive asks whether
    /// the peer is still there; against a window of 0, a zero-window probe asks for room.
    var probe = false
    var zeroWindow = false
  }

  /// Each direction's segments that take sequence numbers (data, SYN, FIN), by sequence number and
  /// length, with when each was first seen.
  private var sent: [Flow: [UInt64: UInt64]] = [:]
  private var lastAck: [Flow: UInt32] = [:]
  /// The sequence number each direction will send next, and the window it last offered.
  private var nextSeq: [Flow: UInt32] = [:]
  private var window: [Flow: UInt16] = [:]
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
      if tcp.flags == .ack, packet.payloadLength == 0, let next = nextSeq[flow], tcp.seq &+ 1 == next {
        facts.probe = true
        facts.zeroWindow = window[flow.reversed] == 0
      }
      let taken = UInt32(packet.payloadLength) + (tcp.flags.contains(.syn) ? 1 : 0) + (tcp.flags.contains(.fin) ? 1 : 0)
      if let next = nextSeq[flow], Int32(bitPattern: (tcp.seq &+ taken) &- next) <= 0 {} else { nextSeq[flow] = tcp.seq &+ taken }
      let previousWindow = window[flow]
      window[flow] = tcp.window
      // The same acknowledgment after data arrived, with SACK blocks saying what came after a gap,
      // or with no more room than before (an ACK that only opens the window is a window update):
      // a duplicate.
      if tcp.flags.contains(.ack), !facts.probe {
        facts.duplicateAck =
          tcp.flags == .ack && packet.payloadLength == 0 && lastAck[flow] == tcp.ack
          && (tcp.sackBlocks || tcp.window <= previousWindow ?? 0)
          && lastReceived[frame.from]?.data == true
        lastAck[flow] = tcp.ack
      }
    }
    if case .dropped = frame.fate {} else {
      for host in frame.to { lastReceived[host] = (frame.time, carries) }
    }
    return facts
  }
}
