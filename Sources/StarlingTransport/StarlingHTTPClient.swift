import AsyncHTTPClient
import NIOCore
import NIOHTTP1
public import NIOSSL
import StarlingProtocol

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A small HTTPS client for the Starling API: JSON and binary bodies, bearer tokens, mutual TLS,
/// and one typed error for everything that can go wrong, so callers can tell a refused connection
/// from an API error code. A device's client offers HTTP/2: where the aggregator's device listener
/// takes it (`--device-http2`), the device's held watch and its round calls share one connection.
///
/// - Important: call ``shutdown()`` before dropping the last reference.
public final class StarlingHTTPClient: Sendable {
    public let baseURL: String
    private let bearerToken: String?
    private let client: HTTPClient
    private let observer: (@Sendable (StarlingHTTPExchange) -> Void)?

    /// The largest response body read, in bytes.
    public static let responseLimit = 256 << 20

    /// A client for `baseURL` (`https://host:port` or `http://…` when `tls` is nil); `observer`
    /// sees every answer read whole (see ``StarlingHTTPExchange``). With `http2` it offers HTTP/2
    /// (ALPN) beside HTTP/1.1 and sends its calls side by side on one connection when the server
    /// takes it; without, one call at a time a connection.
    public init(
        baseURL: String, tls: TLSConfiguration?, bearerToken: String? = nil, http2: Bool = false,
        observer: (@Sendable (StarlingHTTPExchange) -> Void)? = nil
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.bearerToken = bearerToken
        self.observer = observer
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            timeout: .init(connect: .seconds(10)))
        configuration.decompression = .disabled
        configuration.httpVersion = http2 ? .automatic : .http1Only
        // No spans: with the default no-op tracer every request still built its span's attributes.
        configuration.tracing.tracer = nil
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// `GET` a JSON resource.
    public func get<Response: Decodable & Sendable>(
        _ path: String, as type: Response.Type = Response.self, timeout: Duration = .seconds(30)
    ) async throws(StarlingHTTPError) -> Response {
        try decode(type, from: try await send(.GET, path, body: nil, contentType: nil, timeout: timeout))
    }

    /// `POST` a JSON body and decode a JSON answer.
    public func post<Body: Encodable & Sendable, Response: Decodable & Sendable>(
        _ path: String, json body: Body, as type: Response.Type = Response.self,
        timeout: Duration = .seconds(30)
    ) async throws(StarlingHTTPError) -> Response {
        let bytes = try encode(body)
        return try decode(
            type, from: try await send(.POST, path, body: bytes, contentType: "application/json", timeout: timeout))
    }

    /// `PUT` a JSON body and decode a JSON answer.
    public func put<Body: Encodable & Sendable, Response: Decodable & Sendable>(
        _ path: String, json body: Body, as type: Response.Type = Response.self,
        timeout: Duration = .seconds(30)
    ) async throws(StarlingHTTPError) -> Response {
        let bytes = try encode(body)
        return try decode(
            type, from: try await send(.PUT, path, body: bytes, contentType: "application/json", timeout: timeout))
    }

    /// `DELETE` a resource and decode a JSON answer.
    public func delete<Response: Decodable & Sendable>(
        _ path: String, as type: Response.Type = Response.self, timeout: Duration = .seconds(30)
    ) async throws(StarlingHTTPError) -> Response {
        try decode(type, from: try await send(.DELETE, path, body: nil, contentType: nil, timeout: timeout))
    }

    /// `POST` a JSON body and hand back the answer's bytes as they are (for receivers, such as
    /// webhooks, whose answers are not JSON).
    public func postJSON<Body: Encodable & Sendable>(
        _ path: String, json body: Body, timeout: Duration = .seconds(30)
    ) async throws(StarlingHTTPError) -> [UInt8] {
        try await send(.POST, path, body: try encode(body), contentType: "application/json", timeout: timeout)
    }

    /// `POST` raw bytes (a safetensors artifact, say) and decode a JSON answer.
    public func post<Response: Decodable & Sendable>(
        _ path: String, bytes: [UInt8], contentType: String = "application/octet-stream",
        as type: Response.Type = Response.self, timeout: Duration = .seconds(60)
    ) async throws(StarlingHTTPError) -> Response {
        try await post(path, body: ByteBuffer(bytes: bytes), contentType: contentType, as: type, timeout: timeout)
    }

    /// `POST` a body already in a buffer (a masked input written straight from its words) and
    /// decode a JSON answer.
    public func post<Response: Decodable & Sendable>(
        _ path: String, body: ByteBuffer, contentType: String = "application/octet-stream",
        as type: Response.Type = Response.self, timeout: Duration = .seconds(60)
    ) async throws(StarlingHTTPError) -> Response {
        try decode(type, from: try await send(.POST, path, body: body, contentType: contentType, timeout: timeout))
    }

    /// `POST` a body and hand back the whole answer, status and media type with the bytes, for calls
    /// whose successful answers differ in kind (a secure-aggregation message answered with the next
    /// stage's reply or with a receipt). Error statuses throw like the other calls.
    public func exchange(
        _ path: String, body: ByteBuffer, contentType: String, accept: String, timeout: Duration
    ) async throws(StarlingHTTPError) -> StarlingHTTPAnswer {
        try await answer(.POST, path, body: body, contentType: contentType, accept: accept, timeout: timeout)
    }

    /// `GET` a binary resource, asking for `accept` (errors still come as JSON).
    public func getBytes(
        _ path: String, accept: String = "application/octet-stream", timeout: Duration = .seconds(60)
    ) async throws(StarlingHTTPError) -> [UInt8] {
        try await send(.GET, path, body: nil, contentType: nil, accept: accept, timeout: timeout)
    }

    /// `GET` a binary resource from byte `offset` on (through byte `last` when given), for downloads
    /// that continue where an interrupted one stopped: sends `Range: bytes=offset-[last]` unless the
    /// whole resource is asked for, and hands back the answer's status and headers with a body read
    /// chunk by chunk, so a large artifact never sits whole in memory. Answers 200, 206 and 416
    /// (range not satisfiable) return; any other status throws like the other calls.
    ///
    /// `timeout` bounds the whole transfer, body included; a transfer cut short throws from
    /// ``StarlingByteStream/next()``.
    public func getRange(
        _ path: String, from offset: Int, through last: Int? = nil, timeout: Duration = .seconds(600)
    ) async throws(StarlingHTTPError) -> StarlingByteStream {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/octet-stream")
        if let bearerToken {
            request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)")
        }
        if offset > 0 || last != nil {
            request.headers.add(name: "Range", value: "bytes=\(offset)-\(last.map(String.init) ?? "")")
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: TimeAmount(timeout))
        } catch {
            throw .transport(Self.describe(error))
        }
        let status = Int(response.status.code)
        guard status == 200 || status == 206 || status == 416 else {
            let bytes = (try? await response.body.collect(upTo: 1 << 16)).map { Array($0.readableBytesView) } ?? []
            if let body = try? StarlingJSON.decoder().decode(APIErrorBody.self, from: Data(bytes)) {
                throw .api(status: status, code: body.error.code, message: body.error.message)
            }
            throw .api(status: status, code: "http_\(status)", message: "the server answered \(response.status)")
        }
        return StarlingByteStream(
            status: status,
            headers: response.headers.map { (name: $0.name.lowercased(), value: $0.value) },
            body: response.body.makeAsyncIterator())
    }

    /// Closes every connection; the client cannot be used afterwards.
    public func shutdown() async {
        try? await client.shutdown()
    }

    private func send(
        _ method: HTTPMethod, _ path: String, body: ByteBuffer?, contentType: String?,
        accept: String = "application/json", timeout: Duration
    ) async throws(StarlingHTTPError) -> [UInt8] {
        try await answer(method, path, body: body, contentType: contentType, accept: accept, timeout: timeout).body
    }

    private func answer(
        _ method: HTTPMethod, _ path: String, body: ByteBuffer?, contentType: String?, accept: String,
        timeout: Duration
    ) async throws(StarlingHTTPError) -> StarlingHTTPAnswer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: accept)
        if let bearerToken {
            request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/octet-stream")
            request.body = .bytes(body)
        }
        let status: HTTPResponseStatus
        let bytes: [UInt8]
        let mediaType: String?
        do {
            let response = try await client.execute(request, timeout: TimeAmount(timeout))
            status = response.status
            mediaType = response.headers.first(name: "Content-Type")
            let buffer = try await response.body.collect(upTo: Self.responseLimit)
            bytes = Array(buffer.readableBytesView)
            observer?(
                StarlingHTTPExchange(
                    method: method.rawValue, path: String(path.prefix { $0 != "?" }), status: Int(status.code),
                    contentType: mediaType, body: bytes))
        } catch {
            throw .transport(Self.describe(error))
        }
        guard (200..<300).contains(Int(status.code)) else {
            if let body = try? StarlingJSON.decoder().decode(APIErrorBody.self, from: Data(bytes)) {
                throw .api(status: Int(status.code), code: body.error.code, message: body.error.message)
            }
            throw .api(status: Int(status.code), code: "http_\(status.code)", message: "the server answered \(status)")
        }
        return StarlingHTTPAnswer(status: Int(status.code), contentType: mediaType, body: bytes)
    }

    private func encode<Body: Encodable>(_ body: Body) throws(StarlingHTTPError) -> ByteBuffer {
        do {
            return ByteBuffer(bytes: try StarlingJSON.encoder().encode(body))
        } catch {
            throw .invalidResponse("cannot encode the request: \(error)")
        }
    }

    private func decode<Response: Decodable>(_ type: Response.Type, from bytes: [UInt8]) throws(StarlingHTTPError)
        -> Response
    {
        do {
            return try StarlingJSON.decoder().decode(type, from: Data(bytes))
        } catch {
            throw .invalidResponse("the server's answer is not the expected \(type): \(error)")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
                return "timed out"
            }
        }
        return String(describing: error)
    }
}

/// A successful answer whole, from ``StarlingHTTPClient/exchange(_:body:contentType:accept:timeout:)``:
/// what the caller needs when the status or media type says which of several answers came.
public struct StarlingHTTPAnswer: Sendable, Equatable {
    /// A 2xx status.
    public let status: Int
    /// The `Content-Type` header, nil when absent.
    public let contentType: String?
    public let body: [UInt8]
}

/// The answer to ``StarlingHTTPClient/getRange(_:from:through:timeout:)``: status and headers at
/// once, the body as it arrives. Read it with ``next()`` until nil; dropping it early abandons the
/// transfer. Not `Sendable`: one task reads it.
public struct StarlingByteStream {
    /// 200 (the whole resource), 206 (the range asked for) or 416 (the range is past the end).
    public let status: Int
    /// Every header, names in lowercase.
    public let headers: [(name: String, value: String)]
    private var body: HTTPClientResponse.Body.AsyncIterator

    init(status: Int, headers: [(name: String, value: String)], body: HTTPClientResponse.Body.AsyncIterator) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of the header `name` (any case), nil when absent.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }

    /// The next chunk of the body, nil once it ended; throws when the transfer is cut short.
    public mutating func next() async throws(StarlingHTTPError) -> [UInt8]? {
        do {
            return try await body.next().map { Array($0.readableBytesView) }
        } catch {
            throw .transport(StarlingHTTPClient.describe(error))
        }
    }
}

/// Why a Starling API call failed.
public enum StarlingHTTPError: Error, CustomStringConvertible, Equatable {
    /// The request never got an HTTP answer: connection refused, TLS handshake failure, timeout.
    case transport(String)
    /// The server answered with an error status and (usually) an ``APIErrorBody``.
    case api(status: Int, code: String, message: String)
    /// The answer was not what the API promises.
    case invalidResponse(String)

    public var description: String {
        switch self {
        case .transport(let reason): return "cannot reach the server: \(reason)"
        case .api(_, _, let message): return message
        case .invalidResponse(let reason): return reason
        }
    }

    /// The API error code, when the server answered with one.
    public var code: String? {
        if case .api(_, let code, _) = self { return code }
        return nil
    }

    /// The HTTP status, when the server answered.
    public var status: Int? {
        if case .api(let status, _, _) = self { return status }
        return nil
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
