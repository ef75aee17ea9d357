/// A batch run that cannot go on (unreadable file, wrong `--columns`): one line
/// for the user, exit 1.
public struct BatchError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
