import LabEngine
import Lessons
import Testing

@Suite("Predictions are judged by meaning") struct PredictionJudging {
  let ports: [String: UInt16] = ["PORT": 40123, "PORT2": 40124]

  func same(_ guess: String, _ answer: String) -> Bool { PredictionJudge.same(guess, answer, ports: ports) }

  @Test func numbersInAnyBaseAreTheirValue() {
    #expect(same("0xffffffff", "4294967295"))
    #expect(same("0XFFFFFFFF", "4294967295"))
    #expect(same("037777777777", "4294967295"), "a leading 0 is octal, as in C")
    #expect(same("0b1100", "12"))
    #expect(same("12", "0x0c"))
    #expect(!same("-1", "4294967295"), "a negative number is not its unsigned twin")
    #expect(!same("13", "12"))
    #expect(same("-0", "0"))
  }

  @Test func errnoNamesThatAreOneErrorAreOne() {
    #expect(same("-1 EWOULDBLOCK", "-1 EAGAIN"))
    #expect(same("-1 eagain", "-1 EAGAIN"))
    #expect(same("-1 ENOTSUP", "-1 EOPNOTSUPP"))
    #expect(!same("-1 EINTR", "-1 EAGAIN"))
  }

  @Test func aResultAndAnErrnoAreBothNeeded() {
    #expect(!same("ECONNREFUSED", "0 ECONNREFUSED"), "BIO_connect() returns 0 and sets the errno")
    #expect(!same("0", "0 ECONNREFUSED"))
    #expect(same("0 ECONNREFUSED", "0 ECONNREFUSED"))
    #expect(same("ECONNREFUSED -1", "-1 ECONNREFUSED"), "in either order")
    #expect(!same("-1", "-1 EPIPE"))
  }

  @Test func stringsAreComparedAsBytes() {
    #expect(same(#""hi\n""#, #""hi\x0a""#))
    #expect(same(#""hi\012""#, #""hi\n""#))
    #expect(same("127.0.0.2", #""127.0.0.2""#), "a string answer may be typed without its quotes")
    #expect(!same(#""127.0.0.2 ""#, #""127.0.0.2""#))
    #expect(!same(#""HI""#, #""hi""#), "bytes, so case counts inside quotes")
    #expect(!same(#""unclosed"#, #""unclosed""#))
  }

  @Test func namesIgnoreCaseAndTheDashOrUnderscore() {
    #expect(same("syn_sent", "SYN-SENT"))
    #expect(same("Time-Wait", "TIME-WAIT"))
    #expect(!same("SYN-RECV", "SYN-SENT"))
  }

  @Test func portNamesStandForTheSessionsPorts() {
    #expect(same("PORT", "40123"))
    #expect(same("40123", "PORT"))
    #expect(!same("PORT2", "40123"))
  }

  @Test func anAnswerMayGiveAlternatives() {
    #expect(Prediction.alternatives("0 | -1 EINPROGRESS") == ["0", "-1 EINPROGRESS"])
    #expect(Prediction.alternatives("INADDR_NONE") == ["INADDR_NONE"])
  }
}
