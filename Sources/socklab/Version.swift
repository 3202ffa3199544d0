import ShippedLessons
import SocketKit

/// What `socklab --version` prints: the version, the commit it was built from, and the OpenSSL
/// whose BIO routines the lab calls.
enum Version {
  static var text: String {
    "socklab \(ShippedLessons.version) (commit \(ShippedLessons.commit))\n\(OpenSSLBIO.version)"
  }
}
