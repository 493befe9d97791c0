import Quantization
import StarlingCore
import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Fetches a round's fp32 base from the device listener in one request and accepts it only when
/// its SHA-256 matches the digest the aggregator promised and it decodes; also decodes the int8
/// artifacts that ``ResumableDownload`` brings for the model slots.
struct WeightsDownloader: Sendable {
    let client: StarlingHTTPClient

    /// The fp32 bundle and its raw bytes; asked again after a dropped link until `giveUp` when one
    /// is given (a round's deadline: the aggregator may be restarting).
    func download(
        model: String, version: Int, sha256: String, retryingUntil giveUp: Date? = nil
    ) async throws(AgentError) -> (ModelBundle, [UInt8]) {
        let bytes = try await fetch(model: model, version: version, format: .fp32, sha256: sha256, until: giveUp)
        do {
            return (try ModelBundle(decoding: bytes), bytes)
        } catch {
            throw .invalidModel(error.description)
        }
    }

    /// Decodes int8 artifact bytes, mapping the quantizer's error onto the agent's.
    static func decodeInt8(_ bytes: [UInt8]) throws(AgentError) -> Int8Bundle {
        do {
            return try Int8Bundle(decoding: bytes)
        } catch {
            throw .invalidModel("the int8 artifact does not decode: \(error)")
        }
    }

    /// The artifact's bytes, checked against `sha256`; asked again after a dropped link until
    /// `giveUp` when one is given.
    private func fetch(
        model: String, version: Int, format: ArtifactFormat, sha256: String, until giveUp: Date? = nil
    ) async throws(AgentError) -> [UInt8] {
        let (client, path) = (client, APIPath.deviceWeights(model: model, version: version, format: format))
        let bytes: [UInt8]
        do {
            bytes = try await Rejoin.retrying(until: giveUp ?? .distantPast) { () throws(StarlingHTTPError) in
                try await client.getBytes(path)
            }
        } catch {
            throw .aggregator(error.description)
        }
        let actual = ContentDigest.sha256Hex(bytes)
        guard actual == sha256.lowercased() else { throw .digestMismatch(expected: sha256, actual: actual) }
        return bytes
    }
}
