import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOSSL
import StarlingProtocol
import StarlingStorage

/// Sends an admin call that only the leader carries out (``AdminEndpoint/carriedOutByLeader``) on
/// to the leader's public listener, with the caller's token, and answers with the leader's
/// answer: so any replica takes admin traffic. The leader checks the token's role and records the
/// call in the audit log itself. Each replica records where its public listener is reached in
/// `replicaEndpoints` once bound (``record(_:url:in:)``: `--public-url`, else the bound address);
/// the leader is `leadership.holder`.
struct LeaderForwarder: Sendable {
    let engine: any StorageEngine
    /// Trusts the replicas' own CA, whose certificates every replica's listeners present.
    let tls: TLSConfiguration
    let timeout: Duration

    /// Records where replica `replica`'s public listener is.
    static func record(_ replica: String, url: String, in engine: any StorageEngine) async throws {
        try await engine.write { db in
            try db.execute(
                """
                INSERT INTO replicaEndpoints (replica, publicUrl) VALUES (?, ?)
                ON CONFLICT (replica) DO UPDATE SET publicUrl = excluded.publicUrl
                """, replica, url)
        }
    }

    /// The leader's answer to `request`; 503 `not_leader` when no leader is known or reachable,
    /// so the caller sends it again.
    func forward(_ request: Request) async throws -> Response {
        let leader = try await engine.reading { db in
            try db.row(
                SQLStatement(
                    """
                    SELECT replicaEndpoints.publicUrl FROM leadership
                    JOIN replicaEndpoints ON replicaEndpoints.replica = leadership.holder WHERE leadership.id = 1
                    """))?
                .text("publicUrl")
        }
        guard let leader else { throw APIError.notLeader("no leading aggregator is known yet; send it again") }
        let body = try await RequestBody.bytes(of: request, limit: BodyLimit.json)
        var outbound = HTTPClientRequest(url: leader + request.uri.description)
        outbound.method = HTTPMethod(rawValue: request.method.rawValue)
        outbound.tlsConfiguration = tls
        if let value = request.headers[.authorization] { outbound.headers.add(name: "Authorization", value: value) }
        if let value = request.headers[.contentType] { outbound.headers.add(name: "Content-Type", value: value) }
        outbound.body = .bytes(ByteBuffer(bytes: body))
        do {
            let answer = try await HTTPClient.shared.execute(outbound, timeout: .init(timeout))
            let bytes = try await answer.body.collect(upTo: BodyLimit.modelArtifact)
            var headers = HTTPFields()
            if let type = answer.headers.first(name: "Content-Type") { headers[.contentType] = type }
            return Response(
                status: HTTPResponse.Status(code: Int(answer.status.code)), headers: headers,
                body: ResponseBody(byteBuffer: bytes))
        } catch {
            throw APIError.notLeader("the leading aggregator could not be reached (\(error)); send it again")
        }
    }
}
