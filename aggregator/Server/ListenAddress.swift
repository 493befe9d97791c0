/// A `HOST:PORT` the aggregator binds; port 0 lets the system choose.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `[V6]:PORT`; nil when malformed.
    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }

    /// The same host, on another port.
    public func with(port: Int) -> ListenAddress { ListenAddress(host: host, port: port) }

    /// `https://host:port`, with IPv6 hosts bracketed.
    public var httpsURL: String { "https://\(description)" }

    /// `http://host:port`, with IPv6 hosts bracketed.
    public var httpURL: String { "http://\(description)" }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
