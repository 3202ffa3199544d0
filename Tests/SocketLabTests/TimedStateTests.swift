import Lessons
import ShippedLessons
import Testing

@Suite("Lessons do not depend on the clock") struct TimedStates {
  func lesson(_ steps: String) -> Lesson? {
    let text = """
      ---
      id: timed
      title: Timed
      summary: A state that runs out.
      level: beginner
      actors: server, client
      prerequisites: none
      time: 1
      ---

      \(steps)
      """
    return LessonParser.parse(text, file: "timed.md").0
  }

  let opening = """
    ## Connect

    Two sockets connect.

    ```lab
    server: s = socket(AF_INET, SOCK_STREAM, 0) = fd
    server: addr = sockaddr_in("127.0.0.1", htons(PORT))
    server: bind(s, &addr, sizeof addr) = 0
    server: listen(s, 5) = 0
    client: c = socket(AF_INET, SOCK_STREAM, 0) = fd
    client: connect(c, &addr, sizeof addr) = 0
    server: a = accept(s, NULL, NULL) = fd
    ```

    ## Close

    The client closes first.

    ```lab
    client: close(c) = 0
    server: close(a) = 0
    ```

    """

  @Test func aTimeWaitAssertedTwoStepsAfterItBeganIsWarnedAbout() throws {
    let later = try #require(lesson(opening + """
      ## Talk

      Nothing closes here.

      ```lab
      value(1) = 1
      ```

      ## Look

      The state.

      ```lab
      client: tcp_state(c) = TIME-WAIT
      ```
      """))
    let warned = later.timedStateWarnings()
    #expect(warned.count == 1)
    #expect(warned.first?.description.hasPrefix("timed.md:46:1: c has been in TIME-WAIT since step 2, 2 steps before this line") == true, "\(warned)")
  }

  @Test func aTimeWaitAssertedWhereItBeginsOrOneStepLaterIsFine() throws {
    let next = try #require(lesson(opening + """
      ## Look

      The state.

      ```lab
      client: tcp_state(c) = TIME-WAIT
      ```
      """))
    #expect(next.timedStateWarnings().isEmpty)
  }

  @Test func noShippedLessonDependsOnTheClock() throws {
    let library = try LessonLibrary.curriculum(shipped: ShippedLessons.files, folders: [])
    let warnings = library.lessons.flatMap { $0.timedStateWarnings() }
    #expect(warnings.isEmpty, "\(warnings.map(\.description).joined(separator: "\n"))")
  }
}
