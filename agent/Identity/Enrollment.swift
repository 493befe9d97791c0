import Logging
import StarlingProtocol
import StarlingTransport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Joins the fleet once: makes a key, sends a CSR with the enrollment token over server-only TLS
/// (trusting the CA given on the command line) and stores what comes back.
public enum Enrollment {
    /// The stored identity, or a new one from enrolling when there is none yet; the token is read
    /// from `token` only then.
    public static func loadOrEnroll(
        paths: AgentPaths, aggregatorURL: String, caFile: URL, token source: EnrollmentTokenSource?, tags: [Tag],
        logger: Logger
    ) async throws(AgentError) -> DeviceIdentity {
        if let identity = try DeviceIdentity.load(from: paths) {
            logger.info("using stored identity", metadata: ["device_id": "\(identity.deviceId)"])
            return identity
        }
        guard let source else { throw .enrollmentTokenMissing }
        let token = try source.read()
        let caPEM: String
        do {
            caPEM = try PEMFile.read(caFile)
        } catch {
            throw .enrollmentFailed(error.description)
        }
        let identity = try await enroll(aggregatorURL: aggregatorURL, caPEM: caPEM, token: token, tags: tags)
        try identity.save(to: paths)
        logger.info("enrolled", metadata: ["device_id": "\(identity.deviceId)", "device_url": "\(identity.deviceURL)"])
        return identity
    }

    static func enroll(aggregatorURL: String, caPEM: String, token: String, tags: [Tag]) async throws(AgentError)
        -> DeviceIdentity
    {
        let key = DeviceKey.generate()
        let client: StarlingHTTPClient
        let request: EnrollmentRequest
        do {
            request = EnrollmentRequest(token: token, csrPem: try key.makeCSRPEM(), tags: tags)
            client = StarlingHTTPClient(
                baseURL: aggregatorURL, tls: try TLSConfigurations.client(trusting: caPEM, identity: nil))
        } catch {
            throw .enrollmentFailed(error.description)
        }
        let answer: Result<EnrollmentResponse, StarlingHTTPError>
        do {
            answer = .success(try await client.post(APIPath.enroll, json: request))
        } catch {
            answer = .failure(error)
        }
        await client.shutdown()
        let response: EnrollmentResponse
        switch answer {
        case .success(let value): response = value
        case .failure(let error): throw .enrollmentFailed(error.description)
        }
        return DeviceIdentity(
            deviceId: response.deviceId, deviceURL: response.deviceUrl, signingPublicKey: response.signingPublicKey,
            tls: TLSIdentity(certificateChainPEM: response.certificatePem, privateKeyPEM: key.privateKeyPEM),
            caCertificatePEM: response.caCertificatePem)
    }
}
