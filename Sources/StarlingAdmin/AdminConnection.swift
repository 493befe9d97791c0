import Foundation
import StarlingProtocol
import StarlingTransport

/// Where the admin API is and how to talk to it: URL, the CA to trust, and the bearer token.
///
/// Found, in this order, from explicit flags, from `STARLING_URL`, `STARLING_CA` and `STARLING_TOKEN`,
/// or from an aggregator's data folder on the same machine (`--aggregator-dir` or
/// `STARLING_AGGREGATOR_DIR`), which holds `aggregator.json`, `pki/ca.crt` and `admin.token`.
public struct AdminConnection: Sendable {
    public var url: String
    public var caCertificatePEM: String
    public var token: String

    public init(url: String, caCertificatePEM: String, token: String) {
        self.url = url
        self.caCertificatePEM = caCertificatePEM
        self.token = token
    }

    /// Resolves each setting from the first source that has it.
    public static func resolve(
        url: String?, caPath: String?, token: String?, aggregatorDir: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(AdminError) -> AdminConnection {
        let folder = (aggregatorDir ?? environment["STARLING_AGGREGATOR_DIR"]).map { URL(fileURLWithPath: $0) }
        let endpoints = try folder.map { folder throws(AdminError) in try AggregatorEndpoints.read(from: folder) }

        guard let resolvedURL = url ?? environment["STARLING_URL"] ?? endpoints?.url else {
            throw .configuration(
                "no aggregator URL: pass --url, set STARLING_URL, or point --aggregator-dir at an aggregator's data folder"
            )
        }
        let caFile = caPath ?? environment["STARLING_CA"] ?? folder.map { $0.appendingPathComponent("pki/ca.crt").path }
        guard let caFile else {
            throw .configuration("no CA certificate: pass --ca, set STARLING_CA, or use --aggregator-dir")
        }
        let tokenText: String
        if let token = token ?? environment["STARLING_TOKEN"] {
            tokenText = token
        } else if let folder {
            tokenText = try readText(folder.appendingPathComponent("admin.token"), what: "admin token")
        } else {
            throw .configuration("no admin token: pass --token, set STARLING_TOKEN, or use --aggregator-dir")
        }
        return AdminConnection(
            url: resolvedURL,
            caCertificatePEM: try readText(URL(fileURLWithPath: caFile), what: "CA certificate"),
            token: tokenText.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func readText(_ url: URL, what: String) throws(AdminError) -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw .configuration("cannot read the \(what) at \(url.path)")
        }
    }
}

extension AggregatorEndpoints {
    /// Reads `aggregator.json` from an aggregator's data folder.
    public static func read(from folder: URL) throws(AdminError) -> AggregatorEndpoints {
        let file = folder.appendingPathComponent("aggregator.json")
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw .configuration("no aggregator has run in \(folder.path) (\(file.lastPathComponent) is missing)")
        }
        do {
            return try StarlingJSON.decoder().decode(AggregatorEndpoints.self, from: data)
        } catch {
            throw .configuration("\(file.path) is not a valid aggregator endpoint file")
        }
    }
}
