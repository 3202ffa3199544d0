import LabScript

/// Whether a learner's answer at a prediction point says the same as what the line returned.
public enum PredictionJudge {
  /// `12`, `-1 ECONNREFUSED`, `ECONNREFUSED`, `LISTEN`, a string with or without quotes, or the
  /// lesson's own answer text.
  public static func matches(guess: String, actual: StepOutcome, answer: String?, ports: [String: UInt16]) -> Bool {
    func normal(_ text: String) -> String {
      let words = text.uppercased().split(separator: " ").joined(separator: " ")
      return String(words.drop { $0 == "\"" }.reversed().drop { $0 == "\"" }.reversed())
    }
    let said = normal(guess)
    var accepted: Set<String> = []
    if let record = actual.record {
      accepted.insert(normal(record.result.description))
      if let error = record.error {
        accepted.insert(normal("\(record.result) \(error.name)"))
        accepted.insert(normal(error.name))
      }
    } else {
      accepted.insert(normal(actual.value.description))
    }
    if let answer { accepted.insert(normal(answer)) }
    if let port = ports[said], accepted.contains(String(port)) { return true }
    return accepted.contains(said)
  }
}
