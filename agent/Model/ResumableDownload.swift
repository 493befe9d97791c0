import Logging
import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Brings one artifact of a model version to `models/<sha256>[.int8].safetensors` over an unreliable
/// link: the body streams into `models/<sha256>.partial`; after an interruption (a dropped
/// connection, the agent killed) the next attempt asks for the rest with `Range: bytes=<size>-` and
/// appends it. The whole file must then have the promised SHA-256: a resumed file that does not is
/// deleted and downloaded afresh once; a fresh one that does not is refused.
struct ResumableDownload: Sendable {
    let client: StarlingHTTPClient
    let files: ModelFiles
    let work: BlockingWork
    let logger: Logger

    /// The artifact's verified bytes: those already stored under its final name, or else downloaded
    /// (continuing a partial download) and then stored.
    func fetch(model: String, version: Int, format: ArtifactFormat, sha256: String) async throws(AgentError) -> [UInt8]
    {
        let files = files
        let target = files.url(format, sha256: sha256)
        if files.has(format, sha256: sha256),
            let stored = try? await work.run({ () throws(AgentError) in try files.read(format, sha256: sha256) }
            )
        {
            return stored
        }
        try files.prepare()
        let partial = files.partial(sha256: sha256)
        let path = APIPath.deviceWeights(model: model, version: version, format: format)
        while true {
            let offset = PartialFile.size(of: partial)
            try await transfer(path, into: partial, from: offset)
            do {
                return try await work.run { () throws(AgentError) in
                    let bytes = try ModelFiles.read(partial, sha256: sha256)
                    try files.commit(partial, to: target)
                    return bytes
                }
            } catch {
                guard case .digestMismatch(let expected, let actual) = error else { throw error }
                try? FileManager.default.removeItem(at: partial)
                guard offset > 0 else { throw error }
                logger.warning(
                    "the resumed download does not have its digest; downloading it afresh",
                    metadata: [
                        "file": "\(partial.lastPathComponent)", "expected": "\(expected)", "actual": "\(actual)",
                    ])
            }
        }
    }

    /// Appends the artifact from byte `offset` on to `partial`: a 206 answer continues the file, a
    /// 200 (the server ignored the range) starts it over, a 416 means it already holds every byte.
    private func transfer(_ path: String, into partial: URL, from offset: Int) async throws(AgentError) {
        var stream: StarlingByteStream
        do {
            stream = try await client.getRange(path, from: offset)
        } catch {
            throw .aggregator(error.description)
        }
        let file: PartialFile
        switch stream.status {
        case 206:
            let range = stream.header("content-range").flatMap(ContentRange.init(header:))
            guard let range, range.first == offset else {
                throw .aggregator(
                    "asked for bytes from \(offset) on, the server sent "
                        + (stream.header("content-range") ?? "no Content-Range")
                )
            }
            logger.info(
                "resuming download",
                metadata: ["file": "\(partial.lastPathComponent)", "offset": "\(offset)", "size": "\(range.size)"])
            file = try PartialFile(url: partial, truncating: false)
        case 416:
            return
        default:
            logger.info(
                "downloading artifact",
                metadata: ["file": "\(partial.lastPathComponent)", "size": "\(stream.header("content-length") ?? "?")"])
            file = try PartialFile(url: partial, truncating: true)
        }
        while true {
            let chunk: [UInt8]?
            do {
                chunk = try await stream.next()
            } catch {
                throw .aggregator(error.description)
            }
            guard let chunk else { break }
            try file.append(chunk)
        }
        try await work.run { () throws(AgentError) in try file.sync() }
    }
}

/// The `Content-Range: bytes FIRST-LAST/SIZE` header of a 206 answer.
private struct ContentRange {
    let first: Int
    let size: Int

    init?(header: String) {
        guard header.hasPrefix("bytes ") else { return nil }
        let parts = header.dropFirst("bytes ".count).split(separator: "/")
        guard parts.count == 2, let first = parts[0].split(separator: "-").first.flatMap({ Int($0) }),
            let size = Int(parts[1])
        else { return nil }
        self.first = first
        self.size = size
    }
}
