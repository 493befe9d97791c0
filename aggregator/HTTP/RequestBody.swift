import Foundation
import Hummingbird
import NIOCore
import StarlingProtocol

/// Reading request bodies under a size limit, and decoding JSON bodies into wire types.
enum RequestBody {
    /// The whole body, or 413 `body_too_large` as soon as it exceeds `limit` bytes; a body whose
    /// framing is broken (a chunk size that is not a number or overflows, a body cut short) is 400
    /// `invalid_request`, never a server error.
    static func bytes(of request: Request, limit: Int) async throws -> [UInt8] {
        var buffer = try await Self.buffer(of: request, limit: limit)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// As ``bytes(of:limit:)``, the body left in the buffer it was read into, for bodies read in
    /// place (masked inputs).
    static func buffer(of request: Request, limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge
        } catch {
            throw APIError.badRequest(.invalidRequest, "the request body could not be read: \(error)")
        }
    }

    /// A JSON body (at most ``BodyLimit/json`` bytes) decoded as `type`; a bad body is 400 `invalid_request`.
    ///
    /// Never inlined: swift-frontend 6.3.1 crashes in LLVM's coroutine splitting at -O when this
    /// generic async function is specialised into a route handler for a large request type (the
    /// handler of `POST /v1/admin/rounds`, swiftlang/swift#87719). A call costs one async frame per
    /// request, and the rest of the aggregator is optimised.
    @inline(never)
    static func json<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        let bytes = try await Self.bytes(of: request, limit: BodyLimit.json)
        return try decode(type, from: bytes)
    }

    /// As ``json(_:from:)``, but an empty body is nil.
    @inline(never)
    static func optionalJSON<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T? {
        let bytes = try await Self.bytes(of: request, limit: BodyLimit.json)
        return bytes.isEmpty ? nil : try decode(type, from: bytes)
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(APIError) -> T {
        do {
            return try StarlingJSON.decoder().decode(type, from: Data(bytes))
        } catch {
            throw .badRequest(
                .invalidRequest, "the body is not a valid \(type) JSON document: \(Self.describe(error))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "field '\(path)': \(context.debugDescription)"
        default: return "malformed JSON"
        }
    }
}
