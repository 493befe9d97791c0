import StarlingCore
import StarlingProtocol
import StarlingTransport

/// Fetches a model version's weights from the device listener and accepts them only when their
/// SHA-256 matches the digest the aggregator promised and they decode as a model bundle.
struct WeightsDownloader: Sendable {
    let client: StarlingHTTPClient

    /// The bundle and its raw bytes.
    func download(model: String, version: Int, sha256: String) async throws(AgentError) -> (ModelBundle, [UInt8]) {
        let bytes: [UInt8]
        do {
            bytes = try await client.getBytes(APIPath.deviceWeights(model: model, version: version))
        } catch {
            throw .aggregator(error.description)
        }
        let actual = ContentDigest.sha256Hex(bytes)
        guard actual == sha256.lowercased() else { throw .digestMismatch(expected: sha256, actual: actual) }
        do {
            return (try ModelBundle(decoding: bytes), bytes)
        } catch {
            throw .invalidModel(error.description)
        }
    }
}
