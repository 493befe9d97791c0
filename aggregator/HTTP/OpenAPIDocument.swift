import Hummingbird
import StarlingProtocol

/// `GET /openapi.json` on the public listener, without authentication: the HTTP contract of every
/// listener and of the agent's local API, so clients and tools read the API from the server they
/// talk to.
///
/// The text is docs/openapi.yaml turned into JSON by scripts/openapi.py (see
/// `OpenAPIDocument+JSON.swift`); `make check` fails when the two differ.
enum OpenAPIDocument {
    private static let body = ByteBuffer(string: json)

    static func response() -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
    }
}
