/// One answer a ``StarlingHTTPClient`` read whole, as its observer sees it: which call it was and
/// what came back, error answers included.
///
/// Clients that check the server against its contract (the tests validate every answer against
/// docs/openapi.yaml) observe these; range downloads (``StarlingHTTPClient/getRange(_:from:through:timeout:)``)
/// stream their bodies and are not observed.
public struct StarlingHTTPExchange: Sendable {
    /// `GET`, `POST`, `PUT` or `DELETE`.
    public var method: String
    /// The path asked for, without its query.
    public var path: String
    public var status: Int
    public var contentType: String?
    public var body: [UInt8]
}
