import Foundation
import StarlingProtocol

/// Where everything of one aggregator lives under its `--data-dir`.
struct DataDirectory: Sendable {
    let root: URL

    init(_ root: URL) { self.root = root }

    var pki: URL { root.appendingPathComponent("pki") }
    var caCertificate: URL { pki.appendingPathComponent("ca.crt") }
    var caKey: URL { pki.appendingPathComponent("ca.key") }
    var serverCertificate: URL { pki.appendingPathComponent("server.crt") }
    var serverKey: URL { pki.appendingPathComponent("server.key") }
    var signingKey: URL { pki.appendingPathComponent("signing.key") }
    var adminToken: URL { root.appendingPathComponent("admin.token") }
    var database: URL { root.appendingPathComponent("starling.sqlite") }
    var endpointFile: URL { root.appendingPathComponent("aggregator.json") }
    var models: URL { root.appendingPathComponent("models") }
    var updates: URL { root.appendingPathComponent("updates") }

    /// The artifact of one model version in `format`: `<version>.safetensors` (fp32) or
    /// `<version>.int8.safetensors`.
    func artifact(model: String, version: Int, format: ArtifactFormat = .fp32) -> URL {
        models.appendingPathComponent(model).appendingPathComponent("\(version)\(format.fileSuffix).safetensors")
    }

    /// The stored tensors of one device's update to one round.
    func update(runId: String, round: Int, deviceID: String) -> URL {
        updates.appendingPathComponent(runId).appendingPathComponent("\(round)")
            .appendingPathComponent("\(deviceID).safetensors")
    }
}

extension ArtifactFormat {
    /// What an artifact's file name carries before `.safetensors`: nothing for fp32, `.int8` for int8.
    var fileSuffix: String { self == .fp32 ? "" : ".\(rawValue)" }
}
