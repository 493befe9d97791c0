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

    /// A model artifact with its digest header: whole (200, `Accept-Ranges: bytes`), or the one byte
    /// range a `Range` header of the form `bytes=N-` or `bytes=N-M` asks for (206 with
    /// `Content-Range`; 416 with `Content-Range: bytes */size` when N is past the end), so a device
    /// can continue an interrupted download. Any other range form is ignored and the whole artifact
    /// served, as RFC 9110 §14.2 allows.
    static func artifact(_ bytes: [UInt8], sha256: String, range: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        if let name = HTTPFields.Element.Name("X-Starling-SHA256") { headers[name] = sha256 }
        switch range.flatMap(ByteRange.init(header:)) {
        case nil:
            headers[.acceptRanges] = "bytes"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        case let range? where range.first >= bytes.count:
            headers[.contentRange] = "bytes */\(bytes.count)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        case let range?:
            let last = min(range.last ?? bytes.count - 1, bytes.count - 1)
            headers[.contentRange] = "bytes \(range.first)-\(last)/\(bytes.count)"
            return Response(
                status: .partialContent, headers: headers,
                body: .init(byteBuffer: ByteBuffer(bytes: bytes[range.first...last])))
        }
    }
}

/// One `bytes=N-` or `bytes=N-M` range from a `Range` header; nil for every other form (suffix
/// ranges, several ranges, other units, M before N), which the artifact answer ignores.
private struct ByteRange {
    let first: Int
    /// Inclusive; nil for "to the end".
    let last: Int?

    init?(header: String) {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count)
            .split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard spec.count == 2, let first = Int(spec[0].trimmingCharacters(in: .whitespaces)), first >= 0 else {
            return nil
        }
        let lastText = spec[1].trimmingCharacters(in: .whitespaces)
        if lastText.isEmpty {
            last = nil
        } else {
            guard let last = Int(lastText), last >= first else { return nil }
            self.last = last
        }
        self.first = first
    }
}
