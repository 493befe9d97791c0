import StarlingCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A certificate chain and its private key, both PEM: what a TLS endpoint presents to its peer.
public struct TLSIdentity: Sendable, Equatable {
    public var certificateChainPEM: String
    public var privateKeyPEM: String

    public init(certificateChainPEM: String, privateKeyPEM: String) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// Reads an identity from two PEM files.
    public static func load(certificate: URL, privateKey: URL) throws(PKIError) -> TLSIdentity {
        TLSIdentity(
            certificateChainPEM: try PEMFile.read(certificate),
            privateKeyPEM: try PEMFile.read(privateKey))
    }
}

/// Reading PEM text from disk with an error that names the file.
public enum PEMFile {
    public static func read(_ url: URL) throws(PKIError) -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw PKIError("cannot read \(url.path): \(FileErrorReason.describe(error))")
        }
    }
}

/// A certificate, key or signing request that could not be made, read or accepted.
public struct PKIError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
