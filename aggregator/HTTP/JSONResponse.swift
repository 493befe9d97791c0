import Foundation
import Hummingbird
import StarlingProtocol

/// Responses in the Starling JSON dialect and binary artifact responses.
enum JSONResponse {
    /// `value` as a `StarlingJSON` body with `status`.
    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws(APIError) -> Response {
        let data: Data
        do {
            data = try StarlingJSON.encoder().encode(value)
        } catch {
            throw .internal("cannot encode the answer: \(error)")
        }
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A model artifact with its digest header.
    static func artifact(_ bytes: [UInt8], sha256: String) -> Response {
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        if let name = HTTPFields.Element.Name("X-Starling-SHA256") { headers[name] = sha256 }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
