import NIOCore

extension Channel {
    /// The accepted connection a request arrived on: for an HTTP/2 stream its connection, for an
    /// HTTP/1.1 request the channel itself. A server's connection is the child of its listening
    /// socket, which has no parent; an HTTP/2 stream is the child of its connection.
    public var acceptedConnection: any Channel {
        guard let parent, parent.parent != nil else { return self }
        return parent
    }
}
