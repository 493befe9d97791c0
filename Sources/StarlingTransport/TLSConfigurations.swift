public import NIOSSL

/// The TLS settings every Starling endpoint uses: TLS 1.2 at least (1.3 preferred by negotiation),
/// trust limited to the aggregator's own CA, and mutual TLS where a client identity is required.
public enum TLSConfigurations {
    /// A server configuration. With `clientCA`, a client certificate signed by that CA is required
    /// and a handshake without one fails.
    public static func server(identity: TLSIdentity, clientCA: String?) throws(PKIError) -> TLSConfiguration {
        let chain = try certificates(identity.certificateChainPEM)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(try privateKey(identity.privateKeyPEM)))
        configuration.minimumTLSVersion = .tlsv12
        // Held long-polls released at shutdown must not wait the default 5 s for a close_notify.
        configuration.shutdownTimeout = .seconds(1)
        if let clientCA {
            configuration.trustRoots = .certificates(try certificates(clientCA))
            configuration.certificateVerification = .noHostnameVerification
        }
        return configuration
    }

    /// A client configuration trusting only `caPEM`, presenting `identity` when given (mutual TLS).
    public static func client(trusting caPEM: String, identity: TLSIdentity?) throws(PKIError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.trustRoots = .certificates(try certificates(caPEM))
        configuration.certificateVerification = .fullVerification
        // A client closing mid long-poll must not wait the default 5 s for the server's close_notify.
        configuration.shutdownTimeout = .milliseconds(200)
        if let identity {
            configuration.certificateChain = try certificates(identity.certificateChainPEM).map { .certificate($0) }
            configuration.privateKey = .privateKey(try privateKey(identity.privateKeyPEM))
        }
        return configuration
    }

    static func certificates(_ pem: String) throws(PKIError) -> [NIOSSLCertificate] {
        do {
            let parsed = try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8))
            guard !parsed.isEmpty else { throw PKIError("no certificate in PEM text") }
            return parsed
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError("invalid PEM certificate: \(error)")
        }
    }

    static func privateKey(_ pem: String) throws(PKIError) -> NIOSSLPrivateKey {
        do {
            return try NIOSSLPrivateKey(bytes: Array(pem.utf8), format: .pem)
        } catch {
            throw PKIError("invalid PEM private key: \(error)")
        }
    }
}
