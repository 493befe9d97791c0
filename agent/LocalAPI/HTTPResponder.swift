import NIOHTTP1

/// Whatever answers the requests of an ``HTTPConnection``: the local API router in the agent, a
/// stand-in aggregator in tests.
protocol HTTPResponder: Sendable {
    func respond(method: HTTPMethod, uri: String, body: [UInt8]) async -> LocalAPIResponse
}
