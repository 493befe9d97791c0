import ArgumentParser

/// A failure the user can act on: printed as one sentence, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
