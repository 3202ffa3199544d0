/// A place in a script: 1-based line and column.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var line: Int
  public var column: Int

  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }

  public var description: String { "\(line):\(column)" }

  public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
    (a.line, a.column) < (b.line, b.column)
  }
}

/// A problem with a script, at a place, with what to do about it.
///
/// Shown as `file:line:column: message — hint`, the form editors and terminals link to.
public struct ScriptError: Error, Sendable, Hashable, CustomStringConvertible {
  public var location: SourceLocation
  public var message: String
  public var hint: String?
  /// The file the script came from, when there is one.
  public var file: String?

  public init(_ message: String, at location: SourceLocation, hint: String? = nil, file: String? = nil) {
    self.message = message
    self.location = location
    self.hint = hint
    self.file = file
  }

  public var description: String {
    let place = file.map { "\($0):\(location)" } ?? "\(location)"
    return hint.map { "\(place): \(message) — \($0)" } ?? "\(place): \(message)"
  }
}

/// The closest of `candidates` to `word`, for "did you mean …?" hints; nil when none is close.
func closest(to word: String, in candidates: some Sequence<String>) -> String? {
  let lower = word.lowercased()
  var best: (String, Int)?
  for candidate in candidates {
    let distance = editDistance(lower, candidate.lowercased())
    if best == nil || distance < best!.1 { best = (candidate, distance) }
  }
  guard let (name, distance) = best else { return nil }
  let allowed = max(1, min(3, word.count / 3))
  return distance <= allowed ? name : nil
}

/// Levenshtein distance with adjacent transpositions counted as one edit (`bnid` → `bind` is 1).
func editDistance(_ a: String, _ b: String) -> Int {
  let x = Array(a)
  let y = Array(b)
  if x.isEmpty { return y.count }
  if y.isEmpty { return x.count }
  var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
  for i in 0...x.count { d[i][0] = i }
  for j in 0...y.count { d[0][j] = j }
  for i in 1...x.count {
    for j in 1...y.count {
      let cost = x[i - 1] == y[j - 1] ? 0 : 1
      d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] {
        d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
      }
    }
  }
  return d[x.count][y.count]
}
