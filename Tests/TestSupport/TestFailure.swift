/// A test's own failure (a tool that did not run, a fixture that could not be set up), so it is never mistaken for an
/// error of the code under test.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
