/// What the `socklab` binary carries from the package it was built in: the lesson files of
/// `Lessons/`, embedded at build time by the EmbedLessons plugin, and the commit it was built from.
public enum ShippedLessons {
  /// The shipped lesson files, by file name (`01-tcp-conversation.md`), in order.
  public static var files: [(name: String, text: String)] { embeddedLessonFiles }

  /// The first 12 digits of the commit the binary was built from, or `unknown` outside a checkout.
  public static var commit: String { builtCommit }

  /// The program's version.
  public static let version = "0.2.0"
}
